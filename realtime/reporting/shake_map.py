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
from realtime.reporting.map_parts import (  # noqa: E402
    MapContext, degree_axes, draw_basemap, draw_population, label_points, north_arrow, scale_bar,
)

MAP_PNG = "map.png"
OVERVIEW_PNG = "overview.png"
INDONESIA = (94.0, -11.5, 142.0, 6.5)
MMI_CMAP = ListedColormap([c.colour for c in MMI_CLASSES])
MMI_NORM = BoundaryNorm(np.arange(0.5, 11.5, 1.0), MMI_CMAP.N)


def _label_places(ax, places: list[dict], table_rows: int = 5, limit: int = 12) -> None:
    """Label the table's places first, then the biggest others, skipping labels that would collide."""
    rest = sorted(places[table_rows:], key=lambda f: -f["properties"]["population"])
    label_points(ax, ((*f["geometry"]["coordinates"], f["properties"]["name"]) for f in places[:table_rows] + rest), limit)


def draw_shake_map(folder: Path, document: dict, context: MapContext, size_inches: float = 4.3, dpi: int = 170) -> Path:
    """map.png: population in grey, MMI in colour, contours, epicentre, places, grid, scale, north."""
    grid = document["grid"]
    west, south, east, north = grid["lon_min"], grid["lat_min"], grid["lon_max"], grid["lat_max"]
    fig = plt.figure(figsize=(size_inches, size_inches), dpi=dpi)
    ax = fig.add_axes([0.1, 0.06, 0.88, 0.92])
    ax.set_facecolor("#f4f7fa")
    bounds = (west, south, east, north)
    if context.basemap:
        draw_basemap(ax, context.basemap, bounds)
    with rasterio.open(folder / MMI_TIF) as dataset:
        mmi = dataset.read(1)
        b = dataset.bounds
    ax.imshow(mmi, extent=(b.left, b.right, b.bottom, b.top), cmap=MMI_CMAP, norm=MMI_NORM, alpha=0.45, zorder=2,
              interpolation="bilinear")
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
    path = folder / MAP_PNG
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def draw_overview(folder: Path, document: dict, context: MapContext, dpi: int = 150) -> Path:
    """overview.png: where in Indonesia the event is, on a scatter of the places layer."""
    west, south, east, north = INDONESIA
    fig = plt.figure(figsize=(3.6, 1.5), dpi=dpi)
    ax = fig.add_axes([0, 0, 1, 1])
    ax.set_facecolor("#dfeaf3")
    if context.places is not None and len(context.places):
        sizes = np.clip(np.log10(np.maximum(context.places.population, 1)) - 2.5, 0.3, 4)
        ax.scatter(context.places.lon, context.places.lat, s=sizes, color="#6b6b6b", linewidths=0, zorder=2)
    grid = document["grid"]
    ax.add_patch(Rectangle((grid["lon_min"], grid["lat_min"]), grid["lon_max"] - grid["lon_min"],
                           grid["lat_max"] - grid["lat_min"], fill=False, edgecolor="#d7191c", linewidth=1.5, zorder=3))
    ax.plot(document["event"]["longitude"], document["event"]["latitude"], marker="*", markersize=8,
            markerfacecolor="#d7191c", markeredgecolor="black", markeredgewidth=0.5, zorder=4)
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_xticks([])
    ax.set_yticks([])
    path = folder / OVERVIEW_PNG
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
