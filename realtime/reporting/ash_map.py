"""The ash map: fallout classes over land and sea, the volcano and the table's places, drawn once for every locale.

Class polygons come from the event folder (products.classes, in lon/lat); the map is a square in
kilometres around them and the volcano, so a long plume keeps its true shape. Like the other
maps it carries no words but place names, degrees and km: the legend is in the report's HTML.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.text import Annotation  # noqa: E402
from matplotlib.transforms import Bbox  # noqa: E402
from shapely.geometry import shape  # noqa: E402
from shapely.ops import unary_union  # noqa: E402

from realtime.reporting.basemap import draw_land, land_polygons  # noqa: E402
from realtime.reporting.flood_map import geometry_path  # noqa: E402
from realtime.reporting.map_parts import (  # noqa: E402
    Bounds, MapContext, degree_axes, draw_basemap, label_points, north_arrow, save_figure, scale_bar,
)

MAP_PNG = "map.png"
CLASSES_GEOJSON = "ash_classes.geojson"
KM_PER_DEGREE = 111.32
MIN_SPAN_KM = 40.0  # a small fall still shows the volcano's surroundings
PAD = 0.08
ASH_ALPHA = 0.7  # strong enough to name the class, light enough to see the coastline through it
VOLCANO_COLOUR = "#7a1f0f"
VOLCANO_SIZE = 10  # points: small enough to leave the thickest ash beside the vent visible
AIRPORT_COLOUR = "#08306b"


def map_bounds(geometries: list, volcano: tuple[float, float], pad: float = PAD) -> Bounds:
    """A square (in km) around the ash and the volcano, padded, never narrower than MIN_SPAN_KM."""
    lon, lat = volcano
    west, south, east, north = unary_union(geometries).bounds if geometries else (lon, lat, lon, lat)
    # The volcano kept well inside the frame: room for the names of the towns beside it.
    margin = 0.15 * max(east - west, north - south)
    west, south = min(west, lon - margin), min(south, lat - margin)
    east, north = max(east, lon + margin), max(north, lat + margin)
    km_lon = KM_PER_DEGREE * math.cos(math.radians((south + north) / 2))
    half_km = max((east - west) * km_lon, (north - south) * KM_PER_DEGREE, MIN_SPAN_KM) * (1 + 2 * pad) / 2
    lon, lat = (west + east) / 2, (south + north) / 2
    return lon - half_km / km_lon, lat - half_km / KM_PER_DEGREE, lon + half_km / km_lon, lat + half_km / KM_PER_DEGREE


def read_classes(folder: Path, document: dict) -> list[tuple[str, object]]:
    """(class key, shapely geometry) for each class polygon, in the file's order."""
    name = document.get("products", {}).get("classes", CLASSES_GEOJSON)
    path = Path(folder) / name
    if not path.is_file():
        return []
    features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
    return [(_class_key(f["properties"]), shape(f["geometry"])) for f in features if f.get("geometry")]


def _class_key(properties: dict) -> str | None:
    return next((properties[name] for name in ("class", "key", "class_key") if isinstance(properties.get(name), str)), None)


def _draw_classes(ax, classes: list[tuple[str, object]], document: dict) -> None:
    """Each class in its report colour; the same colour on the edges hides seams between touching cells."""
    for order, row in enumerate(document["classes"]):
        paths = [geometry_path(g) for key, g in classes if key == row["key"]]
        if paths:
            ax.add_collection(PathCollection(paths, facecolors=row["colour"], edgecolors=row["colour"], linewidths=0.3,
                                             alpha=ASH_ALPHA, zorder=2 + order / 10), autolim=False)


def _clear_volcano(ax, volcano: tuple[float, float]) -> None:
    """Drop place names that run under the volcano's triangle: label_points only keeps labels apart."""
    x, y = ax.transData.transform(volcano)
    half = VOLCANO_SIZE * ax.figure.dpi / 72 / 2
    triangle = Bbox.from_extents(x - half, y - half, x + half, y + half)
    renderer = ax.figure.canvas.get_renderer()
    for text in [t for t in ax.texts if isinstance(t, Annotation)]:
        if text.get_window_extent(renderer).overlaps(triangle):
            text.remove()  # the dot stays: the town is there, and named in the table


def _tick_step(bounds: Bounds) -> float:
    """About four graticule lines across the map."""
    span = bounds[2] - bounds[0]
    return next((step for step in (0.05, 0.1, 0.2, 0.25, 0.5) if span / step <= 5), 1.0)


def draw_ash_map(folder: Path, document: dict, context: MapContext, table_places: list[dict],
                 size_inches: float = 4.3, dpi: int = 170) -> Path:
    """map.png: land and sea, the ash classes, the coastline, the volcano, the table's places, grid, scale, north."""
    return save_figure(ash_map_figure(folder, document, context, table_places, size_inches, dpi)[0],
                       Path(folder) / MAP_PNG)


def ash_map_figure(folder: Path, document: dict, context: MapContext, table_places: list[dict],
                   size_inches: float = 4.3, dpi: int = 170):
    """The map's (figure, axes), drawn but not saved: tests read its pixels through the axes' transform."""
    volcano = (document["volcano"]["longitude"], document["volcano"]["latitude"])
    classes = read_classes(folder, document)
    bounds = map_bounds([g for _, g in classes], volcano)
    fig = plt.figure(figsize=(size_inches, size_inches), dpi=dpi)
    ax = fig.add_axes([0.11, 0.06, 0.87, 0.92])
    draw_land(ax, land_polygons(context.land, bounds), fill=not context.basemap, coast_width=0.6, zorder=1,
              coast_zorder=3.5)
    if context.basemap:
        draw_basemap(ax, context.basemap, bounds)
    _draw_classes(ax, classes, document)
    degree_axes(ax, bounds, step=_tick_step(bounds))
    for place in table_places:  # every listed place is marked, named where its name fits
        airport = place.get("kind") == "airport"
        ax.plot(place["longitude"], place["latitude"], marker="s" if airport else "o", markersize=5 if airport else 3.5,
                markerfacecolor=AIRPORT_COLOUR if airport else "black", markeredgecolor="white", zorder=9)
    labels = ((p["longitude"], p["latitude"], p["label"].replace("$", r"\$")) for p in table_places)  # no mathtext
    label_points(ax, labels, limit=len(table_places))
    _clear_volcano(ax, volcano)
    ax.plot(*volcano, marker="^", markersize=VOLCANO_SIZE, markerfacecolor=VOLCANO_COLOUR, markeredgecolor="white",
            markeredgewidth=1.2, zorder=10)
    scale_bar(ax, bounds)
    north_arrow(ax, bounds)
    return fig, ax
