"""The earthquake map and the Indonesia overview, drawn once and shared by every locale.

The images carry no words (only place names, degrees and km), so the same PNG
serves the English and the Indonesian report; the legend and north letter are
in the HTML around it.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import rasterio  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402

from realtime.earthquake.mmi import MMI_CLASSES  # noqa: E402
from realtime.earthquake.products import CONTOURS, MMI_TIF, PLACES, POPULATION_PREVIEW  # noqa: E402
from realtime.reporting.basemap import SEA_COLOUR, draw_land, draw_sea_veil, land_image, land_polygons  # noqa: E402
from realtime.reporting.map_parts import (  # noqa: E402
    MapContext, degree_axes, draw_basemap, draw_population, label_points, north_arrow, save_figure, scale_bar,
)

MAP_PNG = "map.png"
OVERVIEW_PNG = "overview.png"
INDONESIA = (94.0, -11.5, 142.0, 6.5)
MMI_CMAP = ListedColormap([c.colour for c in MMI_CLASSES])
MMI_NORM = BoundaryNorm(np.arange(0.5, 11.5, 1.0), MMI_CMAP.N)
MMI_ALPHA = 0.45  # MMI colours over land: strong enough to name the class, light enough for population
SEA_VEIL = 0.5  # sea colour over the shading at sea, so where the shaking meets people reads first


def _label_places(ax, places: list[dict], table_rows: int = 5, limit: int = 12) -> None:
    """Label the table's places first, then the biggest others, skipping labels that would collide."""
    rest = sorted(places[table_rows:], key=lambda f: -f["properties"]["population"])
    label_points(ax, ((*f["geometry"]["coordinates"], f["properties"]["name"]) for f in places[:table_rows] + rest), limit)


def draw_shake_map(folder: Path, document: dict, context: MapContext, size_inches: float = 4.3, dpi: int = 170) -> Path:
    """map.png: land and sea, MMI in colour, population in grey, coastline, contours, epicentre, places, grid."""
    return save_figure(shake_map_figure(folder, document, context, size_inches, dpi)[0], folder / MAP_PNG)


def shake_map_figure(folder: Path, document: dict, context: MapContext, size_inches: float = 4.3, dpi: int = 170):
    """The map's (figure, axes), drawn but not saved: tests read its pixels through the axes' transform."""
    grid = document["grid"]
    west, south, east, north = grid["lon_min"], grid["lat_min"], grid["lon_max"], grid["lat_max"]
    fig = plt.figure(figsize=(size_inches, size_inches), dpi=dpi)
    ax = fig.add_axes([0.1, 0.06, 0.88, 0.92])
    bounds = (west, south, east, north)
    land = land_polygons(context.land, bounds)
    draw_land(ax, land, fill=not context.basemap, coast_width=0.6, zorder=1, coast_zorder=3.5)
    if context.basemap:
        draw_basemap(ax, context.basemap, bounds)
    with rasterio.open(folder / MMI_TIF) as dataset:
        mmi = dataset.read(1)
        b = dataset.bounds
    ax.imshow(mmi, extent=(b.left, b.right, b.bottom, b.top), cmap=MMI_CMAP, norm=MMI_NORM, alpha=MMI_ALPHA, zorder=2,
              interpolation="bilinear")
    if context.land is not None and Path(context.land).is_file():  # without the file, land and sea are unknown
        draw_sea_veil(ax, land, bounds, alpha=SEA_VEIL, zorder=2.5)
    preview = folder / POPULATION_PREVIEW  # written by the exposure step; else read the analysis raster
    draw_population(ax, preview if preview.exists() else context.population, bounds)
    contours = json.loads((folder / CONTOURS).read_text())
    for feature in contours["features"]:
        props = feature["properties"]
        if props["roman"] is None:
            continue
        line = np.array(feature["geometry"]["coordinates"])
        ax.plot(line[:, 0], line[:, 1], color=props["colour"], linewidth=1.6, zorder=4,
                path_effects=[patheffects.withStroke(linewidth=2.6, foreground="#444444")])
        if np.ptp(line[:, 0]) > (east - west) * 0.08:  # label rings big enough to read
            x, y = line[np.argmin(line[:, 1])]
            ax.text(x, y, props["roman"], fontsize=7, fontweight="bold", ha="center", va="center", zorder=5,
                    bbox={"boxstyle": "round,pad=0.15", "facecolor": props["colour"], "edgecolor": "#444444", "linewidth": 0.5})
    epicentre = (document["event"]["longitude"], document["event"]["latitude"])
    ax.plot(*epicentre, marker="*", markersize=16, markerfacecolor="#d7191c", markeredgecolor="black", zorder=10)
    degree_axes(ax, bounds)
    places = json.loads((folder / PLACES).read_text())["features"]
    _label_places(ax, places)
    scale_bar(ax, bounds)
    north_arrow(ax, bounds)
    return fig, ax


def overview_bounds(grid: dict, margin: float = 0.3) -> tuple[float, float, float, float]:
    """Indonesia, widened where needed so the map's whole extent shows (a grid may reach past 11.5°S)."""
    west, south, east, north = INDONESIA
    return (min(west, grid["lon_min"] - margin), min(south, grid["lat_min"] - margin),
            max(east, grid["lon_max"] + margin), max(north, grid["lat_max"] + margin))


def draw_overview(folder: Path, document: dict, context: MapContext, dpi: int = 150) -> Path:
    """overview.png: where in Indonesia the event is: the coastline, the map's extent and the epicentre."""
    return save_figure(overview_figure(document, context, dpi)[0], folder / OVERVIEW_PNG)


def overview_figure(document: dict, context: MapContext, dpi: int = 150):
    """The overview's (figure, axes), drawn but not saved."""
    grid = document["grid"]
    west, south, east, north = overview_bounds(grid)
    size = (3.6, 1.5)
    fig = plt.figure(figsize=size, dpi=dpi)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_facecolor(SEA_COLOUR)
    land = land_image(context.land, (west, south, east, north), size, dpi, coast_width=0.3)
    if land is not None:
        ax.imshow(land, extent=(west, east, south, north), aspect="auto", interpolation="nearest", zorder=1)
    ax.add_patch(Rectangle((grid["lon_min"], grid["lat_min"]), grid["lon_max"] - grid["lon_min"],
                           grid["lat_max"] - grid["lat_min"], fill=False, edgecolor="#d7191c", linewidth=1.5, zorder=3))
    ax.plot(document["event"]["longitude"], document["event"]["latitude"], marker="*", markersize=8,
            markerfacecolor="#d7191c", markeredgecolor="black", markeredgewidth=0.5, zorder=4)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_xticks([])
    ax.set_yticks([])
    return fig, ax
