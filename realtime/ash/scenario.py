"""Synthetic ash-fall forecasts for drills, demos and tests, shaped like the real ones.

The model is a simplified Tephra2 (Bonadonna, Connor et al. 2005, J. Geophys. Res. 110:B03203;
Connor & Connor 2006, "Inversion is the key to dispersion", IAVCEI Publ. 1; source
github.com/geoscience-community-codes/tephra2, common_src/tephra2_calc.c): the erupted mass
is released along the column with a Suzuki (1983) profile, split into grain sizes, and every
(grain size, release height) parcel lands as a 2-D Gaussian whose centre is carried downwind
for the parcel's fall time and whose width grows by diffusion during the fall:

    M(x, y) = sum_ij m_ij / (pi S_ij) * exp(-((x' - u t_ij)^2 + y'^2) / S_ij)

Simplifications, all on the side of a plausible picture rather than a forecast: one uniform
wind, a flat ground at the summit's elevation, no spread smaller than the coarse-particle law's
(see _parcels), and a fixed grain-size distribution: phi -3..4, median 2, sorting 1.5, fine to
medium ash as in published Tephra2 configurations. Ash finer than 63 um stays airborne for days
(the VAAC's business), so the erupted mass is shared among these sizes and all of it lands.
The module is pure: values in, an array or a file out; no clock, settings or network.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from affine import Affine
from rasterio.crs import CRS
from rasterio.io import MemoryFile

from realtime.event_folder import write_atomic

NODATA = 9.96921e36  # the netCDF default fill value found in real ash forecast GeoTIFFs
MIN_THICKNESS_CM = 0.001  # thinner is written as NoData, like the real files
MAGMA_DENSITY = 2500.0  # kg/m3, converts a DRE volume to mass (Ash3d's MagmaDensity default)
DEPOSIT_DENSITY = 1000.0  # kg/m3, converts a load to a thickness (Ash3d's DepositDensity default)
EARTH_RADIUS_M = 6_371_008.8
CRS_LONLAT = CRS.from_epsg(4326)

# Tephra2's example configuration (inputs/tephra2.conf).
DIFFUSION_COEFFICIENT = 5138.0  # K, m2/s, coarse particles
EDDY_CONSTANT = 0.04  # C, m2/s, fine particles (Suzuki 1983 / Bonadonna 2005 power law)
FALL_TIME_THRESHOLD = 1419.0  # s: longer falls diffuse as fine particles
SUZUKI_A = 4.0  # Suzuki (1983) shape: release peaks at 3/4 of the column height

_PHI = np.arange(-3.0, 4.01, 0.5)  # grain size bins, phi = -log2(d / 1 mm)
_PHI_MEDIAN, _PHI_SORTING = 2.0, 1.5
_LEVELS = 20  # release heights along the column
_AIR_VISCOSITY = 1.8325e-5  # Pa s
_G = 9.81
_LAYER_M = 250.0  # fall-time integration step
_COVER_SIGMAS = 3.5  # a Gaussian's mass beyond 3.5 sigma is exp(-6.1) = 0.2 %
_MAX_CELLS = 300  # cells along the grid's longer side, by default
_MAX_GRID = 4_000_000  # cells in all: about 10 s of work


class ScenarioError(ValueError):
    """Scenario parameters outside what the model (or a volcano) can do."""


def mass_eruption_rate_kg_s(column_height_km: float) -> float:
    """Mastin et al. (2009, J. Volcanol. Geotherm. Res. 186:10-21): H = 2.00 V^0.241, V in m3/s DRE."""
    return MAGMA_DENSITY * (column_height_km / 2.0) ** (1.0 / 0.241)


def ash_scenario(
    volcano,
    column_height_km: float,
    volume_km3: float,
    wind_speed_ms: float,
    wind_direction_deg: float,
    resolution_deg: float | None = None,
) -> tuple[np.ndarray, Affine, CRS]:
    """Ash-fall thickness (cm, float32, NaN below MIN_THICKNESS_CM) on a north-up lon/lat grid.

    volcano: anything with latitude, longitude, elevation_m (a realtime.ash.volcanoes.Volcano).
    column_height_km: eruption column height above the vent. volume_km3: erupted volume as dense
    rock equivalent (DRE, Ash3d's convention), so the mass is volume x 2500 kg/m3.
    wind_direction_deg: where the wind blows FROM, clockwise from north (meteorological, as in
    BMKG and VAAC products): 90 is an east wind and the ash drifts west.
    The grid covers where the deposit reaches MIN_THICKNESS_CM, at resolution_deg or so that its
    longer side has about 300 cells.
    """
    parcels = _parcels(volcano, column_height_km, volume_km3, wind_speed_ms)
    toward = math.radians((wind_direction_deg + 180.0) % 360.0)
    wind = (math.sin(toward), math.cos(toward))  # unit vector (east, north)
    lat0 = math.radians(volcano.latitude)
    # First pass on the 3.5-sigma box, coarse, to find where the deposit is thick enough to draw.
    box = _cover_box(parcels, wind)
    step = max(box[2] - box[0], box[3] - box[1]) / 150.0
    xs = np.arange(box[0] + step / 2, box[2], step)
    ys = np.arange(box[1] + step / 2, box[3], step)
    load = _load(parcels, wind, xs[None, :], ys[:, None], step**2 / 6.0)
    rows, cols = np.nonzero(load / DEPOSIT_DENSITY * 100.0 >= MIN_THICKNESS_CM)
    if rows.size == 0:
        raise ScenarioError("the deposit is thinner than 0.001 cm everywhere: raise the volume")
    pad = 2 * step
    box = (xs[cols].min() - pad, ys[rows].min() - pad, xs[cols].max() + pad, ys[rows].max() + pad)
    if resolution_deg is not None and not (math.isfinite(resolution_deg) and 1e-4 <= resolution_deg <= 1.0):
        raise ScenarioError(f"resolution {resolution_deg:g} degrees is outside 0.0001..1")
    cell_deg = resolution_deg or _nice_step(math.degrees(max(box[2] - box[0], box[3] - box[1]) / EARTH_RADIUS_M) / _MAX_CELLS)
    transform, lon, lat = _lonlat_grid(volcano, box, cell_deg)
    if lon.size * lat.size > _MAX_GRID:
        raise ScenarioError(f"{lon.size} x {lat.size} cells of {cell_deg:g} degrees is too many: coarsen the resolution")
    # Sinusoidal projection about the vent: equal-area, so the Gaussians' mass is kept exactly.
    x = EARTH_RADIUS_M * np.radians(lon - volcano.longitude) * np.cos(np.radians(lat))
    y = EARTH_RADIUS_M * np.radians(lat - volcano.latitude)
    cell_m = math.radians(cell_deg) * EARTH_RADIUS_M
    cell_variance = cell_m**2 * (1 + math.cos(lat0) ** 2) / 12.0  # a cell's square, as two box variances
    thickness = (_load(parcels, wind, x, y, cell_variance) / DEPOSIT_DENSITY * 100.0).astype(np.float32)
    thickness[thickness < MIN_THICKNESS_CM] = np.nan
    return thickness, transform, CRS_LONLAT


def write_scenario(out_dir: Path, name: str, *args, **kwargs) -> Path:
    """Write out_dir/<name>-hazard.tif (arguments as ash_scenario) atomically: NoData 9.96921e36, EPSG:4326, cm."""
    thickness, transform, crs = ash_scenario(*args, **kwargs)
    profile = dict(driver="GTiff", width=thickness.shape[1], height=thickness.shape[0], count=1, dtype="float32",
                   crs=crs, transform=transform, nodata=NODATA, compress="deflate", tiled=True,
                   blockxsize=256, blockysize=256)
    with MemoryFile() as memory:
        with memory.open(**profile) as dst:
            dst.write(np.where(np.isnan(thickness), np.float32(NODATA), thickness), 1)
            dst.update_tags(1, units="cm", long_name="ash fall thickness")
            dst.update_tags(model="simplified Tephra2 (Bonadonna et al. 2005) scenario")
        data = memory.read()
    target = Path(out_dir) / f"{name}-hazard.tif"
    write_atomic(target, data)  # a watcher never sees half a raster
    return target


@dataclass(frozen=True)
class _Parcels:
    """Per (grain size, release height): mass (kg), downwind distance (m), Gaussian spread S (m2)."""

    mass: np.ndarray
    distance: np.ndarray
    spread: np.ndarray


def _parcels(volcano, column_height_km: float, volume_km3: float, wind_speed_ms: float) -> _Parcels:
    _check(column_height_km, volume_km3, wind_speed_ms)
    total = volume_km3 * 1e9 * MAGMA_DENSITY
    grain = np.exp(-0.5 * ((_PHI - _PHI_MEDIAN) / _PHI_SORTING) ** 2)
    s = (np.arange(_LEVELS) + 0.5) / _LEVELS  # release height / column height
    suzuki = SUZUKI_A**2 * (1 - s) * np.exp(-SUZUKI_A * (1 - s))  # Suzuki (1983), normalised below
    mass = total * np.outer(grain / grain.sum(), suzuki / suzuki.sum())
    height = s * column_height_km * 1000.0  # above the vent, m
    fall = _fall_time(volcano.elevation_m, height)
    coarse = 4.0 * DIFFUSION_COEFFICIENT * (fall + 0.0032 * height**2 / DIFFUSION_COEFFICIENT)
    fine = 1.6 * EDDY_CONSTANT * (fall + (0.2 * height**2) ** 0.4) ** 2.5
    # Tephra2 switches to the fine-particle law past the threshold, where the spread drops by half and
    # pinches the isopachs near the vent; the larger of the two keeps a spread from shrinking with fall time.
    spread = np.where(fall < FALL_TIME_THRESHOLD, coarse, np.maximum(coarse, fine))
    return _Parcels(mass.ravel(), (wind_speed_ms * fall).ravel(), spread.ravel())


def _check(column_height_km: float, volume_km3: float, wind_speed_ms: float) -> None:
    for label, value, low, high in (("column height", column_height_km, 0.5, 45.0),
                                    ("volume", volume_km3, 1e-6, 50.0), ("wind speed", wind_speed_ms, 0.0, 60.0)):
        if not (math.isfinite(value) and low <= value <= high):
            raise ScenarioError(f"{label} {value:g} is outside {low:g}..{high:g}")


def _fall_time(vent_m: float, height: np.ndarray) -> np.ndarray:
    """Seconds for each grain size (rows) released at each height above the vent (columns) to reach the vent's level.

    Settling velocity by Reynolds regime, as Tephra2 (Kunii & Levenspiel 1969 via Bonadonna 1998):
    Stokes below Re 6, intermediate to 500, turbulent above; air thins as exp(-z/8200 m).
    """
    diameter = 1e-3 * 2.0 ** (-_PHI)
    density = np.interp(_PHI, [-1.0, 7.0], [1024.0, 2700.0])  # pumice to lithic, as Tephra2
    steps = np.arange(0.0, height.max() + _LAYER_M, _LAYER_M) + _LAYER_M / 2  # layer mid-heights above the vent
    air = 1.293 * np.exp(-(vent_m + steps) / 8200.0)
    d, rho, rho_a = diameter[:, None], density[:, None], air[None, :]
    stokes = rho * _G * d**2 / (18 * _AIR_VISCOSITY)
    middle = d * (4 * _G**2 * rho**2 / (225 * _AIR_VISCOSITY * rho_a)) ** (1 / 3)
    turbulent = np.sqrt(3.1 * rho * _G * d / rho_a)
    reynolds = lambda v: rho_a * v * d / _AIR_VISCOSITY  # noqa: E731
    speed = np.where(reynolds(stokes) < 6, stokes, np.where(reynolds(middle) < 500, middle, turbulent))
    per_layer = np.cumsum(_LAYER_M / speed, axis=1)  # time to fall from the top of layer k to the vent
    # Linear in the last partial layer: parcels are released between layer boundaries.
    tops = steps + _LAYER_M / 2
    return np.stack([np.interp(height, np.concatenate([[0.0], tops]), np.concatenate([[0.0], row])) for row in per_layer])


def _load(parcels: _Parcels, wind: tuple[float, float], x: np.ndarray, y: np.ndarray, extra: float) -> np.ndarray:
    """kg/m2 at (x, y) metres east/north of the vent, averaged over a cell: its square adds `extra` to each S.

    Adding the cell's variance keeps narrow near-vent Gaussians from falling between cell centres.
    """
    along = x * wind[0] + y * wind[1]
    across2 = (x * wind[1] - y * wind[0]) ** 2
    load = np.zeros(np.broadcast(x, y).shape)
    for mass, distance, spread in zip(parcels.mass, parcels.distance, parcels.spread + extra):
        load += mass / (math.pi * spread) * np.exp(-((along - distance) ** 2 + across2) / spread)
    return load


def _cover_box(parcels: _Parcels, wind: tuple[float, float]) -> tuple[float, float, float, float]:
    """West, south, east, north (metres from the vent) holding every parcel's Gaussian to 3.5 sigma."""
    reach = _COVER_SIGMAS * np.sqrt(parcels.spread / 2.0)
    cx, cy = parcels.distance * wind[0], parcels.distance * wind[1]
    return (float((cx - reach).min()), float((cy - reach).min()), float((cx + reach).max()), float((cy + reach).max()))


def _lonlat_grid(volcano, box: tuple[float, float, float, float], cell_deg: float):
    """North-up lon/lat grid snapped to cell_deg multiples covering the box (metres about the vent)."""
    south = volcano.latitude + math.degrees(box[1] / EARTH_RADIUS_M)
    north = volcano.latitude + math.degrees(box[3] / EARTH_RADIUS_M)
    if not -80.0 <= south <= north <= 80.0:
        raise ScenarioError("the deposit would reach a pole: this scenario model works away from the poles")
    coslat = math.cos(math.radians(max(abs(south), abs(north))))  # the parallel farthest from the equator is the shortest
    west = volcano.longitude + math.degrees(box[0] / (EARTH_RADIUS_M * coslat))
    east = volcano.longitude + math.degrees(box[2] / (EARTH_RADIUS_M * coslat))
    west, south = math.floor(west / cell_deg) * cell_deg, math.floor(south / cell_deg) * cell_deg
    east, north = math.ceil(east / cell_deg) * cell_deg, math.ceil(north / cell_deg) * cell_deg
    width, height = round((east - west) / cell_deg), round((north - south) / cell_deg)
    transform = Affine(cell_deg, 0.0, west, 0.0, -cell_deg, north)
    lon = west + (np.arange(width) + 0.5) * cell_deg
    lat = north - (np.arange(height) + 0.5) * cell_deg
    return transform, lon[None, :], lat[:, None]


def _nice_step(raw: float) -> float:
    """The smallest of 1, 2, 2.5, 5 x 10^k degrees at least raw."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1.0, 2.0, 2.5, 5.0, 10.0) if m * power >= raw * (1 - 1e-9))
