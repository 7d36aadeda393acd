"""Reading a population raster under a hazard's footprint: windows, row blocks and clean cells.

Shared by every hazard's exposure (earthquake, ash): only the window under the hazard is read, in row blocks
cut on tile boundaries and spread over threads, each block from a dataset opened for it alone.

A negative population is no data whatever the raster declares: real rasters (GPWv3's clips) carry -9999 without
declaring it as NoData, and counting it would take 9,999 people off the total for every such cell.
"""

from __future__ import annotations

import logging
import math
import threading
from pathlib import Path

import numpy as np
import rasterio
from rasterio.crs import CRS
from rasterio.errors import WindowError
from rasterio.warp import transform_bounds
from rasterio.windows import Window, from_bounds

log = logging.getLogger(__name__)

WGS84 = CRS.from_epsg(4326)
BLOCK_ROWS = 256  # for untiled (striped) rasters


def row_blocks(window: Window, tile_rows: int) -> list[Window]:
    """Row blocks cut on the raster's tile boundaries, so no tile is decompressed twice."""
    first, stop = window.row_off, window.row_off + window.height
    edges = [first] + list(range((first // tile_rows + 1) * tile_rows, stop, tile_rows)) + [stop]
    return [Window(window.col_off, a, window.width, b - a) for a, b in zip(edges, edges[1:])]


def contiguous(items: list, parts: int) -> list[list]:
    """One unbroken run of blocks per thread: neighbouring threads share at most one tile row."""
    size = -(-len(items) // parts)
    return [items[i : i + size] for i in range(0, len(items), size)]


def centre_window(bounds: tuple[float, float, float, float], dataset) -> Window | None:
    """Rows and columns whose cell centres lie inside (west, south, east, north), edges included (same CRS,
    north-up)."""
    lon_min, lat_min, lon_max, lat_max = bounds
    t = dataset.transform
    eps = 1e-6
    col_start = max(0, math.ceil((lon_min - t.c) / t.a - 0.5 - eps))
    col_stop = min(dataset.width, math.floor((lon_max - t.c) / t.a - 0.5 + eps) + 1)
    row_start = max(0, math.ceil((lat_max - t.f) / t.e - 0.5 - eps))
    row_stop = min(dataset.height, math.floor((lat_min - t.f) / t.e - 0.5 + eps) + 1)
    if col_stop <= col_start or row_stop <= row_start:
        return None
    return Window(col_start, row_start, col_stop - col_start, row_stop - row_start)


def bounds_window(bounds: tuple[float, float, float, float], dataset) -> Window | None:
    """A lon/lat (west, south, east, north) box's bounding window in the raster's CRS, padded by one cell."""
    bounds = transform_bounds(WGS84, dataset.crs, *bounds, densify_pts=51)
    window = from_bounds(*bounds, transform=dataset.transform)
    # whole cells from the one holding the first edge to the one holding the last (rasterio 1.4's round_lengths
    # rounds to nearest whatever `op` says, which cut up to a cell off the south and east sides)
    col_start, row_start = math.floor(window.col_off) - 1, math.floor(window.row_off) - 1
    col_stop = math.ceil(window.col_off + window.width) + 1
    row_stop = math.ceil(window.row_off + window.height) + 1
    padded = Window(col_start, row_start, col_stop - col_start, row_stop - row_start)
    try:
        return padded.intersection(Window(0, 0, dataset.width, dataset.height))
    except WindowError:
        return None


def clean_population(block: np.ndarray, nodata) -> np.ndarray:
    block = block.astype(np.float32, copy=False)
    bad = ~np.isfinite(block) | (block < 0)
    if nodata is not None and np.isfinite(nodata):
        bad |= block == nodata
    if bad.any():
        block = np.where(bad, np.float32(0), block)
    return block


def read_block(path, window: Window, nodata) -> np.ndarray:
    """One block from a dataset opened for it alone.

    Each tile row is read once, so GDAL's block cache (5 % of RAM by default) would only grow and
    hold the whole window; closing the dataset drops the block's tiles.
    """
    with rasterio.open(path) as dataset:
        block = dataset.read(1, window=window)
    undeclared = (block < 0) & (block != nodata) if nodata is not None else block < 0
    if undeclared.any():
        _warn_undeclared_nodata(path, float(block[undeclared].min()), nodata)
    return clean_population(block, nodata)


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_undeclared_nodata(path, example: float, nodata) -> None:
    """Say once per raster and process (blocks are read in threads, events follow each) that negative cells
    were dropped."""
    key = str(Path(path).resolve())
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    log.warning("population raster %s has negative cells (e.g. %g) that are not its declared NoData (%s): "
                "they count as no data, not as people", path, example, nodata)
