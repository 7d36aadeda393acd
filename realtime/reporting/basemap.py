"""Land, sea and coastline under every map, from the analysis data's context/land.geojson.

The polygons are derived once by `realtime data init` (realtime.geography, from a 1 km land mask);
the maps read only that small GeoJSON, never the mask, which costs 1 GB to load. Without the file a
map still renders, all sea, and the log says how to add it.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np
from matplotlib.collections import PathCollection
from matplotlib.path import Path as MplPath

Bounds = tuple[float, float, float, float]  # west, south, east, north
Polygon = tuple[np.ndarray, ...]  # (n, 2) lon/lat rings: the outer one anticlockwise, then its holes clockwise
LAND_COLOUR = "#f2efe6"
SEA_COLOUR = "#dbe8f0"
COAST_COLOUR = "#5d7c94"  # grey-blue: reads as the water's edge without competing with hazard colours

log = logging.getLogger(__name__)


def _ring(coordinates: list, clockwise: bool) -> np.ndarray:
    """A ring as an (n, 2) array turned the given way, so holes stay empty under the non-zero fill rule."""
    ring = np.asarray(coordinates, dtype=float)[:, :2]
    x, y = ring[:, 0], ring[:, 1]
    is_clockwise = float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])) < 0
    return ring[::-1] if is_clockwise != clockwise else ring


@lru_cache(maxsize=4)
def _read(path: str, stamp: tuple[int, int]) -> tuple[np.ndarray, tuple[Polygon, ...]]:
    """Every polygon of a GeoJSON file, with the (west, south, east, north) of each.

    Cached per file version (`stamp` is its mtime and size), so a worker parses the file once.
    """
    document = json.loads(Path(path).read_text(encoding="utf-8"))
    polygons, boxes = [], []
    for feature in document.get("features", []):
        geometry = feature.get("geometry") or {}
        kind, coordinates = geometry.get("type"), geometry.get("coordinates") or []
        for rings in [coordinates] if kind == "Polygon" else coordinates if kind == "MultiPolygon" else []:
            if rings:
                polygon = (_ring(rings[0], clockwise=False), *(_ring(hole, clockwise=True) for hole in rings[1:]))
                polygons.append(polygon)
                boxes.append((*polygon[0].min(axis=0), *polygon[0].max(axis=0)))
    return np.asarray(boxes, dtype=float).reshape(-1, 4), tuple(polygons)


def read_polygons(path: Path, bounds: Bounds | None = None) -> list[Polygon]:
    """The polygons of a lon/lat GeoJSON file that touch `bounds` (all when None)."""
    stat = Path(path).stat()
    boxes, polygons = _read(str(path), (stat.st_mtime_ns, stat.st_size))
    if bounds is None:
        return list(polygons)
    west, south, east, north = bounds
    touching = (boxes[:, 0] <= east) & (boxes[:, 2] >= west) & (boxes[:, 1] <= north) & (boxes[:, 3] >= south)
    return [polygons[i] for i in np.flatnonzero(touching)]


def land_polygons(path: Path | None, bounds: Bounds | None = None) -> list[Polygon]:
    """The land polygons that touch `bounds`; none, with a warning, when the file is missing."""
    if path is None or not Path(path).is_file():
        log.warning("no land polygons at %s: the map shows sea only (`realtime data init` writes them)",
                    path or "context/land.geojson")
        return []
    return read_polygons(path, bounds)


def polygon_path(rings: Polygon) -> MplPath:
    """One compound path per polygon, for a PathCollection."""
    return MplPath.make_compound_path(*(MplPath(ring, closed=True) for ring in rings))


def sea_path(land: list[Polygon], bounds: Bounds) -> MplPath:
    """The frame less the land: each land ring turned the other way cancels the frame's winding (lakes stay sea)."""
    west, south, east, north = bounds
    frame = np.array([(west, south), (east, south), (east, north), (west, north), (west, south)], dtype=float)
    return polygon_path([frame, *(ring[::-1] for polygon in land for ring in polygon)])


def draw_land(ax, land: list[Polygon], fill: bool = True, coast_width: float = 0.5, zorder: float = 1,
              coast_zorder: float | None = None) -> None:
    """Sea as the axes' background, land filled above it, and the coastline (at `coast_zorder`, over shading)."""
    ax.set_facecolor(SEA_COLOUR)
    if not land:
        return
    paths = [polygon_path(polygon) for polygon in land]
    if fill:
        ax.add_collection(PathCollection(paths, facecolors=LAND_COLOUR, edgecolors="none", linewidths=0, zorder=zorder),
                          autolim=False)
    if coast_width:
        ax.add_collection(PathCollection(paths, facecolors="none", edgecolors=COAST_COLOUR, linewidths=coast_width,
                                         zorder=zorder if coast_zorder is None else coast_zorder), autolim=False)


def draw_sea_veil(ax, land: list[Polygon], bounds: Bounds, alpha: float, zorder: float) -> None:
    """Sea colour over the hazard shading at sea only: the shading reads strongest where people live."""
    # a collection without autolim: add_patch would walk every vertex in Python to update the data limits
    ax.add_collection(PathCollection([sea_path(land, bounds)], facecolors=SEA_COLOUR, edgecolors="none", alpha=alpha,
                                     zorder=zorder), autolim=False)


def land_image(path: Path | None, bounds: Bounds, size_inches: tuple[float, float], dpi: int,
               coast_width: float) -> np.ndarray | None:
    """Land and sea over `bounds` drawn once as an RGBA image filling a figure of that size, or None without land.

    For the overview, whose background is the same for nearly every event: a worker draws its 1,100
    polygons once, then only lays the image down.
    """
    if path is None or not Path(path).is_file():
        land_polygons(path)  # the warning
        return None
    stat = Path(path).stat()
    return _land_image(str(path), (stat.st_mtime_ns, stat.st_size), tuple(bounds), tuple(size_inches), dpi, coast_width)


@lru_cache(maxsize=4)
def _land_image(path: str, stamp: tuple[int, int], bounds: Bounds, size_inches: tuple[float, float], dpi: int,
                coast_width: float) -> np.ndarray:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size_inches, dpi=dpi, facecolor=SEA_COLOUR)
    canvas = FigureCanvasAgg(fig)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_axis_off()
    draw_land(ax, read_polygons(path, bounds), coast_width=coast_width)
    ax.set_xlim(bounds[0], bounds[2])
    ax.set_ylim(bounds[1], bounds[3])
    canvas.draw()
    image = np.asarray(canvas.buffer_rgba()).copy()
    image.setflags(write=False)
    return image
