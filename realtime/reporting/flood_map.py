"""The flood map: flooded RWs coloured by state over population, drawn once for every locale.

RWs are small (often under half a kilometre across) on a map of the whole
city, so each polygon gets an outline in a darker shade of its class colour:
that keeps a single flooded RW visible on the page and in the thumbnail.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.collections import PathCollection  # noqa: E402
from matplotlib.colors import to_rgb  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402
from shapely.geometry import shape  # noqa: E402
from shapely.geometry.base import BaseGeometry  # noqa: E402
from shapely.geometry.polygon import orient  # noqa: E402
from shapely.ops import unary_union  # noqa: E402

from realtime.flood.classes import CLASS_BY_STATE, FLOOD_CLASSES, MIN_AFFECTED_STATE  # noqa: E402
from realtime.flood.products import IMPACT_GEOJSON  # noqa: E402
from realtime.reporting.basemap import LAND_COLOUR, draw_land, land_polygons, polygon_path, read_polygons  # noqa: E402
from realtime.reporting.map_parts import (  # noqa: E402
    Bounds, MapContext, degree_axes, draw_basemap, draw_population, label_points, north_arrow, save_figure, scale_bar,
)

MAP_PNG = "map.png"
THUMB_PNG = "thumb-map.png"
JAKARTA: Bounds = (106.68, -6.38, 106.98, -6.08)  # shown when a document has no areas at all
KM_PER_DEGREE = 111.32
MIN_SPAN_KM = 8.0  # a flood in one village still shows its neighbourhood
LABELLED_VILLAGES = 8
BOUNDARY_COLOUR = "#7a7a7a"


def _polygons(geometry: BaseGeometry):
    """The polygons inside any geometry (make_valid may have produced a collection)."""
    if geometry.geom_type == "Polygon":
        yield geometry
    for part in getattr(geometry, "geoms", ()):
        yield from _polygons(part)


def geometry_path(geometry: BaseGeometry) -> MplPath:
    """One compound path per area, rings oriented so holes stay empty under the non-zero fill rule."""
    rings = [
        MplPath(np.asarray(ring.coords)[:, :2], closed=True)
        for polygon in _polygons(geometry)
        for ring in (orient(polygon).exterior, *orient(polygon).interiors)
    ]
    return MplPath.make_compound_path(*rings)


def _darker(colour: str, factor: float = 0.6) -> tuple[float, float, float]:
    return tuple(channel * factor for channel in to_rgb(colour))


def map_bounds(geometries: list[BaseGeometry], pad: float = 0.08) -> Bounds:
    """A square (in km) around the flooded areas, padded, never narrower than MIN_SPAN_KM."""
    west, south, east, north = unary_union(geometries).bounds
    km_lat = KM_PER_DEGREE
    km_lon = KM_PER_DEGREE * math.cos(math.radians((south + north) / 2))
    half_km = max((east - west) * km_lon, (north - south) * km_lat, MIN_SPAN_KM) * (1 + 2 * pad) / 2
    lon, lat = (west + east) / 2, (south + north) / 2
    return lon - half_km / km_lon, lat - half_km / km_lat, lon + half_km / km_lon, lat + half_km / km_lat


def village_anchors(
    features: list[dict], geometries: list[BaseGeometry], villages: list[dict]
) -> list[tuple[float, float, str]]:
    """(lon, lat, name) at the centre of each village's flooded RWs, in the order of `villages`."""
    flooded: dict[str, list[BaseGeometry]] = {}
    for feature, geometry in zip(features, geometries):
        props = feature["properties"]
        if props["state"] >= MIN_AFFECTED_STATE:
            flooded.setdefault(props["village"] or "?", []).append(geometry)
    anchors = []
    for village in villages:
        if village["name"] in flooded:
            centre = unary_union(flooded[village["name"]]).centroid
            anchors.append((centre.x, centre.y, village_label(village["name"])))
    return anchors


def village_label(name: str) -> str:
    """PetaBencana writes kelurahan in capitals; reports use title case."""
    return name.title() if name.isupper() else name


def _draw_areas(ax, features: list[dict], geometries: list[BaseGeometry], linewidth: float) -> None:
    """Least severe first, so the worst areas are drawn on top where outlines meet."""
    for flood_class in reversed(FLOOD_CLASSES):
        paths = [geometry_path(g) for f, g in zip(features, geometries) if f["properties"]["state"] == flood_class.state]
        if paths:
            ax.add_collection(PathCollection(
                paths, facecolors=flood_class.colour, edgecolors=[_darker(flood_class.colour)], linewidths=linewidth,
                zorder=4 + flood_class.state / 10,
            ))


def draw_villages(ax, villages: list, fill: bool, outline: bool) -> None:
    """Kelurahan as land, over the 1 km coastline (which may cut through the port or reclaimed land), outlined."""
    paths = [polygon_path(v) for v in villages]
    if fill:
        ax.add_collection(PathCollection(paths, facecolors=LAND_COLOUR, edgecolors="none", linewidths=0, zorder=1.5))
    if outline:
        ax.add_collection(PathCollection(paths, facecolors="none", edgecolors=BOUNDARY_COLOUR, linewidths=0.4,
                                         zorder=3.6))


def draw_flood_map(folder: Path, document: dict, context: MapContext) -> Path:
    """map.png: population in grey, flooded RWs by state, worst villages labelled, grid, scale, north."""
    return save_figure(flood_map_figure(folder, document, context)[0], Path(folder) / MAP_PNG)


def draw_flood_thumbnail(folder: Path, document: dict, context: MapContext) -> Path:
    """thumb-map.png: the areas filling 200 px with the three worst villages; a shrunken map.png is unreadable."""
    return save_figure(flood_map_figure(folder, document, context, width_inches=2.0, dpi=100, decorated=False)[0],
                       Path(folder) / THUMB_PNG)


def flood_map_figure(
    folder: Path, document: dict, context: MapContext, width_inches: float = 4.6, dpi: int = 170, decorated: bool = True
):
    """The map's (figure, axes), drawn but not saved: tests read its pixels through the axes' transform."""
    folder = Path(folder)
    areas = folder / document.get("products", {}).get("impact", IMPACT_GEOJSON)
    features = json.loads(areas.read_text())["features"]
    features = [f for f in features if f["properties"]["state"] in CLASS_BY_STATE]
    geometries = [shape(f["geometry"]) for f in features]
    bounds = map_bounds(geometries) if geometries else JAKARTA
    fig, ax = _figure(width_inches, dpi, decorated)
    draw_land(ax, land_polygons(context.land, bounds), fill=not context.basemap, coast_width=0.8 if decorated else 0.5)
    if context.basemap:
        draw_basemap(ax, context.basemap, bounds)
    if context.boundaries:
        draw_villages(ax, read_polygons(context.boundaries, bounds), fill=not context.basemap, outline=decorated)
    draw_population(ax, context.population, bounds, opacity=0.5)
    _draw_areas(ax, features, geometries, linewidth=0.9 if decorated else 0.6)
    degree_axes(ax, bounds, step=_tick_step(bounds))
    anchors = village_anchors(features, geometries, document.get("villages") or [])
    if decorated:
        label_points(ax, anchors, LABELLED_VILLAGES)
        scale_bar(ax, bounds)
        north_arrow(ax, bounds)
    else:
        ax.set_xticks([])
        ax.set_yticks([])
        label_points(ax, anchors, 3, fontsize=7)
    return fig, ax


def _figure(width_inches: float, dpi: int, decorated: bool):
    """A square map; when decorated, with room for degree labels left and below and no empty band on top."""
    if not decorated:
        fig = plt.figure(figsize=(width_inches, width_inches), dpi=dpi)
        return fig, fig.add_axes([0, 0, 1, 1])
    left, right, bottom, top = 0.46, 0.12, 0.25, 0.08
    side = width_inches - left - right
    height = side + bottom + top
    fig = plt.figure(figsize=(width_inches, height), dpi=dpi)
    return fig, fig.add_axes([left / width_inches, bottom / height, side / width_inches, side / height])


def _tick_step(bounds: Bounds) -> float:
    """About four graticule lines across the map."""
    span = bounds[2] - bounds[0]
    return next((step for step in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5) if span / step <= 5), 1.0)
