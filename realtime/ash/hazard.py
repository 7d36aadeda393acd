"""Reading an ash-fall forecast raster (thickness in cm), or refusing it in one line that names the file.

Forecasts arrive as GeoTIFFs converted from model output (FALL3D, Ash3d, Tephra2): in any CRS, often
with the netCDF default fill 9.96921e36 for NoData whether or not the file declares it, sometimes
south-up or rotated. Everything downstream wants one thing: a north-up float32 grid with NaN where
nothing is known, so that is what this module returns, and a file it cannot turn into that is refused
before anything is queued or computed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.enums import MaskFlags, Resampling
from rasterio.errors import RasterioError
from rasterio.warp import reproject, transform_bounds

WGS84 = CRS.from_epsg(4326)
NETCDF_FILL = 9.96921e36  # netCDF's NF_FILL_FLOAT: what converted model output holds where nothing fell
MAX_CELLS = 100_000_000  # 400 MB of float32: far beyond any forecast (the Merapi one is 150x150)
MAX_PLAUSIBLE_CM = 5000.0  # 50 m of ash: beyond any deposit outside a crater (Tangkuban Parahu's sample: 632 cm)
NEGATIVE_NOISE_CM = 0.01  # interpolation noise below zero, read as no ash; anything lower is refused
WARP_OVERSAMPLE = 3
_FLAGS_TO_READ = {MaskFlags.per_dataset, MaskFlags.alpha}


class AshHazardError(ValueError):
    """A forecast raster that cannot be used, with one line saying why and naming the file."""


@dataclass(frozen=True, eq=False)
class AshHazard:
    thickness: np.ndarray = field(repr=False)  # float32 cm, north-up; NaN where NoData
    transform: Affine  # north-up: a > 0, e < 0, no rotation
    crs: CRS
    name: str = ""  # the file's name, for messages and provenance

    @property
    def shape(self) -> tuple[int, int]:
        return self.thickness.shape

    @property
    def max_thickness_cm(self) -> float:
        return float(np.nanmax(self.thickness))

    def bounds(self) -> tuple[float, float, float, float]:
        """(left, bottom, right, top) in the raster's own CRS."""
        rows, cols = self.shape
        t = self.transform
        return t.c, t.f + rows * t.e, t.c + cols * t.a, t.f

    def lonlat_bounds(self) -> tuple[float, float, float, float]:
        """(lon_min, lat_min, lon_max, lat_max) of the raster's extent."""
        if self.crs == WGS84:
            return self.bounds()
        return tuple(transform_bounds(self.crs, WGS84, *self.bounds(), densify_pts=51))

    def cells_of(self, x, y) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, inside) of the cells holding points x, y given in the raster's CRS.

        A cell holds its west and north edges; points outside the raster get inside False (their
        rows and cols are clipped so they can still index the grid).
        """
        t = self.transform
        col = np.floor((np.asarray(x, dtype=np.float64) - t.c) / t.a)
        row = np.floor((np.asarray(y, dtype=np.float64) - t.f) / t.e)
        rows, cols = self.shape
        inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)  # NaN coordinates fall out here
        return np.where(inside, row, 0).astype(np.intp), np.where(inside, col, 0).astype(np.intp), inside

    def sample(self, lon, lat):
        """Thickness (cm) of the cell holding each lon/lat point; NaN outside or on NoData."""
        x, y = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
        if self.crs != WGS84:
            x, y = Transformer.from_crs(WGS84, self.crs, always_xy=True).transform(x, y)
        rows, cols, inside = self.cells_of(x, y)
        values = np.where(inside, self.thickness[rows, cols], np.float32(np.nan))
        return float(values) if values.ndim == 0 else values


def read_ash_hazard(path: str | Path) -> AshHazard:
    """The forecast's first band as a north-up thickness grid, or AshHazardError."""
    name = Path(path).name
    try:
        with rasterio.open(path) as dataset:
            _check_header(dataset, name)
            raw = dataset.read(1)
            unknown = _unknown(dataset, raw)
            transform, crs = dataset.transform, dataset.crs
    except RasterioError as exc:
        raise AshHazardError(f"{name}: not a readable GeoTIFF ({_first_line(exc)})") from None
    thickness = _thickness(raw, unknown, name)
    thickness, transform = _north_up(thickness, transform, crs, name)
    return AshHazard(thickness=thickness, transform=transform, crs=crs, name=name)


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:160]


def _check_header(dataset, name: str) -> None:
    """Refusals that need no pixels: the wrong format, no CRS, no usable georeferencing, too many cells."""
    if dataset.driver != "GTiff":
        raise AshHazardError(f"{name}: not a GeoTIFF ({dataset.driver} data)")
    if dataset.width * dataset.height > MAX_CELLS:
        raise AshHazardError(f"{name}: too large ({dataset.width} x {dataset.height} cells; at most {MAX_CELLS:,})")
    if dataset.crs is None:
        raise AshHazardError(f"{name}: no coordinate reference system (georeference it, e.g. EPSG:4326)")
    t = dataset.transform
    if t.is_identity or not all(math.isfinite(v) for v in t[:6]) or t.determinant == 0:  # identity: GDAL's stand-in
        raise AshHazardError(f"{name}: no usable geotransform")
    if np.dtype(dataset.dtypes[0]).kind not in "fiu":
        raise AshHazardError(f"{name}: band 1 holds {dataset.dtypes[0]} values, not thickness")


def _unknown(dataset, raw: np.ndarray) -> np.ndarray:
    """True where the raster holds no value: declared NoData, the netCDF fill (declared or not), NaN, masks."""
    unknown = np.zeros(raw.shape, dtype=bool)
    if raw.dtype.kind == "f":
        unknown |= np.isnan(raw)
        with np.errstate(over="ignore", invalid="ignore"):
            unknown |= np.abs(raw / np.float32(NETCDF_FILL) - 1) < 1e-6
    nodata = dataset.nodata
    if nodata is not None and not math.isnan(nodata):
        unknown |= raw == np.array(nodata).astype(raw.dtype)
    if _FLAGS_TO_READ & set(dataset.mask_flag_enums[0]):
        unknown |= dataset.read_masks(1) == 0
    return unknown


def _thickness(raw: np.ndarray, unknown: np.ndarray, name: str) -> np.ndarray:
    """float32 cm with NaN where unknown, after refusing values no forecast holds."""
    known = raw[~unknown]
    if known.size == 0:
        raise AshHazardError(f"{name}: holds only NoData (no thickness anywhere)")
    if raw.dtype.kind == "f" and not np.isfinite(known).all():
        raise AshHazardError(f"{name}: holds infinite values (expected thickness in cm)")
    high, low = float(known.max()), float(known.min())
    if high > MAX_PLAUSIBLE_CM:
        raise AshHazardError(
            f"{name}: implausible thickness {high:.6g} cm (at most {MAX_PLAUSIBLE_CM:g} cm; is it in cm, "
            f"and is its NoData declared?)")
    if low < -NEGATIVE_NOISE_CM:
        raise AshHazardError(f"{name}: implausible thickness {low:.6g} cm (negative)")
    thickness = raw.astype(np.float32)
    thickness[unknown] = np.nan
    np.maximum(thickness, 0, out=thickness, where=~unknown)  # noise just below zero: no ash
    return thickness


def _north_up(thickness: np.ndarray, transform: Affine, crs: CRS, name: str) -> tuple[np.ndarray, Affine]:
    """The same grid north-up: exact for flips and quarter turns, nearest-neighbour warp for other rotations."""
    t = transform
    if t.a == 0 and t.e == 0:  # rows run along x: a quarter turn, exact as a transpose
        thickness, t = thickness.T, Affine(t.b, 0.0, t.c, 0.0, t.d, t.f)
    if t.b == 0 and t.d == 0:
        if t.a < 0:
            thickness, t = thickness[:, ::-1], Affine(-t.a, 0.0, t.c + t.a * thickness.shape[1], 0.0, t.e, t.f)
        if t.e > 0:
            thickness, t = thickness[::-1, :], Affine(t.a, 0.0, t.c, 0.0, -t.e, t.f + t.e * thickness.shape[0])
        return np.ascontiguousarray(thickness), t
    return _warp_north_up(thickness, t, crs, name)


def _warp_north_up(thickness: np.ndarray, t: Affine, crs: CRS, name: str) -> tuple[np.ndarray, Affine]:
    rows, cols = thickness.shape
    xs, ys = zip(*(t * corner for corner in ((0, 0), (cols, 0), (0, rows), (cols, rows))))
    # Square cells a third of the source's side: every source cell centre then lands in a target cell whose
    # centre maps back into that same source cell, so nearest neighbour keeps each value where it was.
    size = math.sqrt(abs(t.determinant)) / WARP_OVERSAMPLE
    width, height = math.ceil((max(xs) - min(xs)) / size), math.ceil((max(ys) - min(ys)) / size)
    if width * height > MAX_CELLS:
        raise AshHazardError(f"{name}: too large once turned north-up ({width} x {height} cells)")
    target = Affine(size, 0.0, min(xs), 0.0, -size, max(ys))
    out = np.full((height, width), np.nan, dtype=np.float32)
    reproject(thickness, out, src_transform=t, src_crs=crs, src_nodata=np.nan, dst_transform=target,
              dst_crs=crs, dst_nodata=np.nan, resampling=Resampling.nearest)
    return out, target
