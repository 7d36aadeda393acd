"""The earthquake map and the Indonesia overview, drawn once and shared by every locale.

The images carry no words (only place names, degrees and km), so the same PNG
serves the English and the Indonesian report; the legend and north letter are
in the HTML around it.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import rasterio  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.colors import BoundaryNorm, ListedColormap, LogNorm  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from PIL import Image  # noqa: E402
from rasterio.enums import Resampling  # noqa: E402
from rasterio.warp import transform_bounds  # noqa: E402
from rasterio.windows import from_bounds  # noqa: E402

from realtime.earthquake.mmi import MMI_CLASSES  # noqa: E402
from realtime.earthquake.places import Places  # noqa: E402

MAP_PNG = "map.png"
OVERVIEW_PNG = "overview.png"
INDONESIA = (94.0, -11.5, 142.0, 6.5)
HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]
MMI_CMAP = ListedColormap([c.colour for c in MMI_CLASSES])
MMI_NORM = BoundaryNorm(np.arange(0.5, 11.5, 1.0), MMI_CMAP.N)


@dataclass(frozen=True)
class MapContext:
    """Analysis data the map draws besides the event's own products."""

    population: Path | None
    places: Places | None
    basemap: Path | None = None


def _read_background(path: Path, bounds: tuple[float, float, float, float], max_pixels: int = 700):
    """A decimated read of a raster over lon/lat bounds: (array, (west, east, south, north))."""
    with rasterio.open(path) as dataset:
        if dataset.crs and dataset.crs.to_epsg() != 4326:
            bounds = transform_bounds("EPSG:4326", dataset.crs, *bounds)
        window = from_bounds(*bounds, transform=dataset.transform).round_offsets().round_lengths()
        scale = max(1.0, max(window.width, window.height) / max_pixels)
        shape = (max(1, int(window.height / scale)), max(1, int(window.width / scale)))
        data = dataset.read(
            out_shape=(dataset.count, *shape), window=window, boundless=True, fill_value=0, resampling=Resampling.average
        )
        west, south, east, north = rasterio.windows.bounds(window, dataset.transform)
    return data, (west, east, south, north)


def _population_shade(population: np.ndarray) -> np.ndarray:
    """Grey with opacity growing with log density, so MMI colours show through empty land."""
    rgba = np.zeros((*population.shape, 4), dtype=np.float32)
    positive = population > 0
    if positive.any():
        top = float(np.percentile(population[positive], 99.5))
        level = np.clip(np.log10(np.maximum(population, 1e-9) / top) / 3 + 1, 0, 1)  # three decades of density
        rgba[..., :3] = 0.15
        rgba[..., 3] = np.where(positive, 0.15 + 0.7 * level, 0) * (level > 0)
    return rgba


def _degree_label(value: float, positive: str, negative: str) -> str:
    hemisphere = positive if value > 0 else negative if value < 0 else ""
    return f"{abs(value):g}°{hemisphere}"


def _nice_length(km: float) -> float:
    for candidate in (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1):
        if candidate <= km:
            return candidate
    return 1


def _scale_bar(ax, west: float, south: float, east: float, north: float) -> None:
    km_per_degree = 111.32 * math.cos(math.radians((south + north) / 2))
    length_km = _nice_length((east - west) * km_per_degree / 4)
    length_deg = length_km / km_per_degree
    x0 = west + (east - west) * 0.05
    y0 = south + (north - south) * 0.05
    height = (north - south) * 0.012
    for i in range(2):
        ax.add_patch(
            Rectangle((x0 + i * length_deg / 2, y0), length_deg / 2, height, facecolor="black" if i == 0 else "white",
                      edgecolor="black", linewidth=0.8, zorder=8)
        )
    ax.text(x0 + length_deg / 2, y0 + height * 1.8, f"{length_km:g} km", ha="center", va="bottom", fontsize=8,
            path_effects=HALO, zorder=8)


def _north_arrow(ax, west: float, south: float, east: float, north: float) -> None:
    x = east - (east - west) * 0.06
    top = north - (north - south) * 0.04
    size = (north - south) * 0.07
    ax.fill([x, x - size * 0.3, x], [top, top - size, top - size * 0.75], color="black", zorder=8)
    ax.fill([x, x + size * 0.3, x], [top, top - size, top - size * 0.75], facecolor="white", edgecolor="black",
            linewidth=0.8, zorder=8)


def _label_places(ax, places: list[dict], table_rows: int = 5, limit: int = 12) -> None:
    """Label the table's places first, then the biggest others, skipping labels that would collide."""
    ax.apply_aspect()  # settle the axes box so label extents are final, without drawing the figure
    taken = []
    renderer = ax.figure.canvas.get_renderer()
    rest = sorted(places[table_rows:], key=lambda f: -f["properties"]["population"])
    for feature in places[:table_rows] + rest:
        if len(taken) >= limit:
            break
        lon, lat = feature["geometry"]["coordinates"]
        name = feature["properties"]["name"]
        text = ax.annotate(name, (lon, lat), xytext=(4, 3), textcoords="offset points", fontsize=8, zorder=9,
                           path_effects=HALO)
        box = text.get_window_extent(renderer).expanded(1.1, 1.2)
        if any(box.overlaps(other) for other in taken) or not ax.bbox.contains(box.x1, box.y1):
            text.remove()
            continue
        taken.append(box)
        ax.plot(lon, lat, "o", markersize=3.5, markerfacecolor="black", markeredgecolor="white", zorder=9)


def draw_shake_map(folder: Path, document: dict, context: MapContext, size_inches: float = 4.3, dpi: int = 170) -> Path:
    """map.png: population in grey, MMI in colour, contours, epicentre, places, grid, scale, north."""
    grid = document["grid"]
    west, south, east, north = grid["lon_min"], grid["lat_min"], grid["lon_max"], grid["lat_max"]
    fig = plt.figure(figsize=(size_inches, size_inches), dpi=dpi)
    ax = fig.add_axes([0.1, 0.06, 0.88, 0.92])
    ax.set_facecolor("#f4f7fa")
    if context.basemap:
        data, extent = _read_background(context.basemap, (west, south, east, north))
        image = np.moveaxis(data[:3], 0, -1) if data.shape[0] >= 3 else data[0]
        ax.imshow(image, extent=extent, cmap="Greys_r", alpha=0.5, zorder=1)
    with rasterio.open(folder / "mmi.tif") as dataset:
        mmi = dataset.read(1)
        b = dataset.bounds
    ax.imshow(mmi, extent=(b.left, b.right, b.bottom, b.top), cmap=MMI_CMAP, norm=MMI_NORM, alpha=0.45, zorder=2,
              interpolation="bilinear")
    preview = folder / "population.tif"  # written by the exposure step; else read the analysis raster
    background = preview if preview.exists() else context.population
    if background and background.exists():
        data, extent = _read_background(background, (west, south, east, north))
        ax.imshow(_population_shade(data[0]), extent=extent, zorder=3, interpolation="nearest")
    contours = json.loads((folder / "contours.geojson").read_text())
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
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    ax.set_xticks(np.arange(math.ceil(west), math.floor(east) + 1))
    ax.set_yticks(np.arange(math.ceil(south), math.floor(north) + 1))
    ax.set_xticklabels([_degree_label(v, "E", "W") for v in ax.get_xticks()], fontsize=7)
    ax.set_yticklabels([_degree_label(v, "N", "S") for v in ax.get_yticks()], fontsize=7)
    ax.grid(color="#888888", linewidth=0.3, linestyle=":", zorder=6)
    places = json.loads((folder / "places.geojson").read_text())["features"]
    _label_places(ax, places)
    _scale_bar(ax, west, south, east, north)
    _north_arrow(ax, west, south, east, north)
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


def thumbnail(source: Path, target: Path, size: int = 200) -> Path:
    """A square crop of the map, scaled to `size` pixels: readable in a list of events."""
    with Image.open(source) as image:
        side = min(image.size)
        left = (image.width - side) // 2
        top = (image.height - side) // 2
        square = image.crop((left, top, left + side, top + side)).convert("RGB")
        square.resize((size, size), Image.LANCZOS).save(target, optimize=True)
    return target
