"""Population per MMI class: the number everything else in a report rests on.

Each population cell whose centre lies inside the ShakeMap's node rectangle
takes the MMI bilinearly interpolated at its centre, and its people are added
to that MMI class. Only the raster window under the ShakeMap is read, in row
blocks spread over two threads (GDAL and numpy release the GIL), so the whole
step costs little more than reading the window, and memory stays at a few
blocks however large the footprint (a great earthquake's is 10x10 degrees).
"""

from __future__ import annotations

import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.windows import Window

from realtime.earthquake.grid import GridSpec
from realtime.earthquake.mmi import ROMANS, mmi_class_index
from realtime.earthquake.sampling import axis_weights, inside_footprint, sample_bilinear
from realtime.population_blocks import (BLOCK_ROWS, WGS84, bounds_window, centre_window, contiguous, read_block,
                                        row_blocks)

PREVIEW_CELLS = 700


@dataclass(frozen=True)
class Exposure:
    by_class: dict[str, float]  # people per MMI class, I..X
    total: float  # people in the footprint; equals the sum of the classes
    cells: int  # population cells inside the footprint
    # people summed onto a coarse grid (at most PREVIEW_CELLS a side) for maps, made during the same read
    preview: np.ndarray | None = field(default=None, repr=False)
    preview_transform: Affine | None = None

    def as_dict(self) -> dict[str, float]:
        return dict(self.by_class)


def population_per_mmi_class(
    spec: GridSpec, mmi: np.ndarray, population_path: str | Path, threads: int = 2
) -> Exposure:
    with rasterio.open(population_path) as dataset:
        fast = dataset.crs == WGS84 and dataset.transform.b == 0 and dataset.transform.d == 0
        window = centre_window(spec.footprint, dataset) if fast else bounds_window(spec.footprint, dataset)
        tile_rows = dataset.block_shapes[0][0] if dataset.profile.get("tiled") else BLOCK_ROWS
    if window is None:
        return _exposure(np.zeros(11), 0, None)
    blocks = row_blocks(window, max(tile_rows, 16))
    worker = _LonLatBlocks(spec, mmi, population_path, window) if fast else _ProjectedBlocks(spec, mmi, population_path)
    with ThreadPoolExecutor(max_workers=max(1, threads)) as pool:
        results = list(pool.map(worker, contiguous(blocks, max(1, threads))))
    sums = np.sum([r[0] for r in results], axis=0)
    previews = [r[2] for r in results if r[2] is not None]
    preview = (np.sum(previews, axis=0), worker.preview_transform) if previews else None
    return _exposure(sums, sum(r[1] for r in results), preview)


def _exposure(sums: np.ndarray, cells: int, preview: tuple[np.ndarray, Affine] | None) -> Exposure:
    by_class = {roman: float(sums[k]) for k, roman in enumerate(ROMANS, start=1)}
    return Exposure(
        by_class=by_class,
        total=float(sum(by_class.values())),
        cells=int(cells),
        preview=preview[0] if preview else None,
        preview_transform=preview[1] if preview else None,
    )


class _LonLatBlocks:
    """Exposure of row blocks of a lon/lat raster with separable interpolation weights."""

    def __init__(self, spec: GridSpec, mmi: np.ndarray, path, window: Window):
        self.path = path
        with rasterio.open(path) as dataset:
            t = dataset.transform
            self.nodata = dataset.nodata
        cols = np.arange(window.col_off, window.col_off + window.width)
        lon = t.c + (cols + 0.5) * t.a
        j, wx = axis_weights(lon, spec.lon_min, spec.dx, spec.nlon)
        wx = wx.astype(np.float32)
        values = mmi.astype(np.float32)
        # MMI interpolated along x for every node row: small (nlat x window width)
        self.along_x = values[:, j] * (1 - wx) + values[:, j + 1] * wx
        self.spec = spec
        self.transform = t
        self.window = window
        self.factor = max(1, math.ceil(max(window.width, window.height) / PREVIEW_CELLS))
        f = self.factor
        self.preview_shape = (math.ceil(window.height / f), math.ceil(window.width / f))
        self.preview_transform = Affine(
            t.a * f, 0.0, t.c + window.col_off * t.a, 0.0, t.e * f, t.f + window.row_off * t.e
        )

    def _add_preview(self, preview: np.ndarray, population: np.ndarray, window: Window) -> None:
        """Sum the block's people into preview cells of factor x factor raster cells."""
        f = self.factor
        rows, cols = population.shape
        index = (np.arange(window.row_off, window.row_off + rows) - self.window.row_off) // f
        starts = np.flatnonzero(np.r_[True, index[1:] != index[:-1]])
        by_row = np.add.reduceat(population, starts, axis=0, dtype=np.float64)  # rows first: f times less data
        padded = np.zeros((by_row.shape[0], self.preview_shape[1] * f))
        padded[:, :cols] = by_row
        preview[index[starts]] += padded.reshape(by_row.shape[0], -1, f).sum(axis=2)

    def __call__(self, blocks: list[Window]) -> tuple[np.ndarray, int, np.ndarray]:
        sums = np.zeros(11)
        cells = 0
        preview = np.zeros(self.preview_shape)
        for window in blocks:
            population = read_block(self.path, window, self.nodata)
            rows = np.arange(window.row_off, window.row_off + window.height)
            lat = self.transform.f + (rows + 0.5) * self.transform.e
            i, wy = axis_weights(-lat, -self.spec.lat_max, self.spec.dy, self.spec.nlat)
            wy = wy.astype(np.float32)[:, None]
            mmi = self.along_x[i]
            mmi *= 1 - wy  # in place, the same float32 operations as a * (1 - wy) + b * wy
            upper = self.along_x[i + 1]
            upper *= wy
            mmi += upper
            # Empty cells (sea, forest: often half a footprint) add 0.0: leaving them out changes no bit of the
            # sums. bincount is given the index and weight types it works in, which it would otherwise convert.
            people = population != 0
            weights = population[people].astype(np.float64)
            sums += np.bincount(mmi_class_index(mmi[people]).astype(np.intp), weights=weights, minlength=11)
            cells += population.size
            self._add_preview(preview, population, window)
        return sums, cells, preview


class _ProjectedBlocks:
    """Exposure of row blocks of a raster in any CRS: cell centres go back to lon/lat."""

    preview_transform = None  # no preview: the map reads the raster itself

    def __init__(self, spec: GridSpec, mmi: np.ndarray, path):
        self.spec, self.mmi, self.path = spec, mmi, path

    def __call__(self, blocks: list[Window]) -> tuple[np.ndarray, int, None]:
        sums = np.zeros(11)
        cells = 0
        with rasterio.open(self.path) as dataset:
            to_lonlat = Transformer.from_crs(dataset.crs, WGS84, always_xy=True)
            transform, nodata = dataset.transform, dataset.nodata
        for window in blocks:
            population = read_block(self.path, window, nodata)
            rows, cols = np.mgrid[
                window.row_off : window.row_off + window.height, window.col_off : window.col_off + window.width
            ]
            x, y = rasterio.transform.xy(transform, rows.ravel(), cols.ravel(), offset="center")
            lon, lat = to_lonlat.transform(np.asarray(x), np.asarray(y))
            inside = inside_footprint(self.spec, lon, lat)
            mmi = sample_bilinear(self.spec, self.mmi, lon[inside], lat[inside])
            weights = population.ravel()[inside]
            sums += np.bincount(mmi_class_index(mmi), weights=weights, minlength=11)
            cells += int(inside.sum())
        return sums, cells, None
