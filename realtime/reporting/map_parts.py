"""Map pieces every hazard's map shares: backgrounds, degree grid, scale, north, labels, thumbnail.

The maps carry no words beyond names, degrees and km, so one drawing serves
every locale; the legend and the north letter live in each report's HTML.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import numpy as np  # noqa: E402
import rasterio  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from PIL import Image  # noqa: E402
from rasterio.enums import Resampling  # noqa: E402
from rasterio.transform import from_bounds as transform_from_bounds  # noqa: E402
from rasterio.warp import reproject  # noqa: E402
from rasterio.windows import from_bounds  # noqa: E402

from realtime.gazetteer import Places  # noqa: E402

HALO = [patheffects.withStroke(linewidth=2.5, foreground="white")]
Bounds = tuple[float, float, float, float]  # west, south, east, north


@dataclass(frozen=True)
class MapContext:
    """Analysis data the map draws besides the event's own products."""

    population: Path | None
    places: Places | None
    basemap: Path | None = None  # optional relief or imagery; replaces the land and sea fill
    land: Path | None = None  # context/land.geojson; without it the map is all sea (and says so in the log)
    boundaries: Path | None = None  # context/kelurahan.geojson, drawn on the flood map


def read_background(path: Path, bounds: Bounds, max_pixels: int = 700):
    """A decimated read of a raster over lon/lat bounds: (array, (west, east, south, north)) in lon/lat, since the
    maps' axes are; a raster in another CRS is warped onto a lon/lat grid over the bounds."""
    with rasterio.open(path) as dataset:
        if dataset.crs and dataset.crs.to_epsg() != 4326:
            return _warped_background(dataset, bounds, max_pixels)
        window = from_bounds(*bounds, transform=dataset.transform).round_offsets().round_lengths()
        scale = max(1.0, max(window.width, window.height) / max_pixels)
        shape = (max(1, int(window.height / scale)), max(1, int(window.width / scale)))
        data = dataset.read(
            out_shape=(dataset.count, *shape), window=window, boundless=True, fill_value=0, resampling=Resampling.average
        )
        west, south, east, north = rasterio.windows.bounds(window, dataset.transform)
    return data, (west, east, south, north)


def _warped_background(dataset, bounds: Bounds, max_pixels: int):
    """The raster resampled onto max_pixels along the longer side of the lon/lat bounds (0 outside it)."""
    west, south, east, north = bounds
    scale = max(east - west, north - south) / max_pixels
    width, height = max(1, round((east - west) / scale)), max(1, round((north - south) / scale))
    data = np.zeros((dataset.count, height, width), dtype=dataset.dtypes[0])
    reproject(rasterio.band(dataset, list(range(1, dataset.count + 1))), data, dst_crs="EPSG:4326",
              dst_transform=transform_from_bounds(west, south, east, north, width, height), resampling=Resampling.average)
    return data, (west, east, south, north)


def population_shade(population: np.ndarray, opacity: float = 1.0) -> np.ndarray:
    """Grey with opacity growing with log density, so hazard colours show through empty land.

    `opacity` scales it down where hazard colours sit on top of the grey rather than under it.
    """
    rgba = np.zeros((*population.shape, 4), dtype=np.float32)
    positive = population > 0
    if positive.any():
        top = float(np.percentile(population[positive], 99.5))
        level = np.clip(np.log10(np.maximum(population, 1e-9) / top) / 3 + 1, 0, 1)  # three decades of density
        rgba[..., :3] = 0.15
        rgba[..., 3] = np.where(positive, 0.15 + 0.7 * level, 0) * (level > 0) * opacity
    return rgba


def draw_basemap(ax, path: Path, bounds: Bounds) -> None:
    """An optional relief or imagery raster, half transparent, under everything."""
    data, extent = read_background(path, bounds)
    image = np.moveaxis(data[:3], 0, -1) if data.shape[0] >= 3 else data[0]
    ax.imshow(image, extent=extent, cmap="Greys_r", alpha=0.5, zorder=1)


def draw_population(ax, path: Path | None, bounds: Bounds, zorder: int = 3, opacity: float = 1.0) -> None:
    """Population in grey over `bounds`, when the raster exists."""
    if path and Path(path).exists():
        data, extent = read_background(path, bounds)
        ax.imshow(population_shade(data[0], opacity), extent=extent, zorder=zorder, interpolation="nearest")


def degree_label(value: float, positive: str, negative: str) -> str:
    hemisphere = positive if value > 0 else negative if value < 0 else ""
    return f"{abs(value):g}°{hemisphere}"


def _ticks(low: float, high: float, step: float) -> np.ndarray:
    return np.round(np.arange(math.ceil(low / step) * step, high + step * 1e-6, step), 6)


def degree_axes(ax, bounds: Bounds, step: float = 1.0) -> None:
    """Limits, true-shape aspect, degree ticks every `step` and a dotted graticule."""
    west, south, east, north = bounds
    ax.set_xlim(west, east)
    ax.set_ylim(south, north)
    ax.set_aspect(1 / math.cos(math.radians((south + north) / 2)))
    ax.set_xticks(_ticks(west, east, step))
    ax.set_yticks(_ticks(south, north, step))
    ax.set_xticklabels([degree_label(v, "E", "W") for v in ax.get_xticks()], fontsize=7)
    ax.set_yticklabels([degree_label(v, "N", "S") for v in ax.get_yticks()], fontsize=7)
    ax.grid(color="#888888", linewidth=0.3, linestyle=":", zorder=6)


def _nice_length(km: float) -> float:
    for candidate in (1000, 500, 200, 100, 50, 20, 10, 5, 2, 1):
        if candidate <= km:
            return candidate
    return 1


def scale_bar(ax, bounds: Bounds) -> None:
    west, south, east, north = bounds
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


def north_arrow(ax, bounds: Bounds) -> None:
    """The arrow only; its letter is set in the report's HTML, in the reader's language."""
    west, south, east, north = bounds
    x = east - (east - west) * 0.06
    top = north - (north - south) * 0.04
    size = (north - south) * 0.07
    ax.fill([x, x - size * 0.3, x], [top, top - size, top - size * 0.75], color="black", zorder=8)
    ax.fill([x, x + size * 0.3, x], [top, top - size, top - size * 0.75], facecolor="white", edgecolor="black",
            linewidth=0.8, zorder=8)


def label_points(ax, points: Iterable[tuple[float, float, str]], limit: int, fontsize: float = 8) -> int:
    """Label points in the given order, skipping labels that would collide or leave the map; returns how many."""
    ax.apply_aspect()  # settle the axes box so label extents are final, without drawing the figure
    taken = []
    renderer = ax.figure.canvas.get_renderer()
    for lon, lat, name in points:
        if len(taken) >= limit:
            break
        text = ax.annotate(name, (lon, lat), xytext=(4, 3), textcoords="offset points", fontsize=fontsize, zorder=9,
                           path_effects=HALO)
        box = text.get_window_extent(renderer).expanded(1.1, 1.2)
        if any(box.overlaps(other) for other in taken) or not ax.bbox.contains(box.x1, box.y1):
            text.remove()
            continue
        taken.append(box)
        ax.plot(lon, lat, "o", markersize=3.5, markerfacecolor="black", markeredgecolor="white", zorder=9)
    return len(taken)


def save_figure(fig, path: Path) -> Path:
    """Write a map figure at its own dpi and free it.

    Fast zlib: as small as the default level on these maps (within 0.3 %) in a third of the time.
    """
    import matplotlib.pyplot as plt

    fig.savefig(path, dpi=fig.dpi, pil_kwargs={"compress_level": 1})
    plt.close(fig)
    return path


def thumbnail(source: Path, size: int = 200) -> bytes:
    """A square crop of the map, scaled to `size` pixels, as PNG bytes: readable in a list of events."""
    with Image.open(source) as image:
        side = min(image.size)
        left = (image.width - side) // 2
        top = (image.height - side) // 2
        square = image.crop((left, top, left + side, top + side)).convert("RGB")
        buffer = io.BytesIO()
        square.resize((size, size), Image.LANCZOS).save(buffer, format="PNG")
    return buffer.getvalue()
