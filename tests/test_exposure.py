"""Population per MMI class, checked against numbers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from conftest import GRID_INITIAL
from realtime.earthquake.exposure import population_per_mmi_class
from realtime.earthquake.grid import GridSpec, read_shake_grid
from realtime.earthquake.mmi import ROMANS, mmi_class_index

# A 3x3 ShakeMap on nodes lon 100, 100.5, 101 / lat 0, -0.5, -1 whose MMI is the plane
# mmi = 2 + 4*(lon - 100) + 2*(-lat), which bilinear interpolation reproduces exactly.
SPEC = GridSpec(lon_min=100.0, lat_min=-1.0, lon_max=101.0, lat_max=0.0, nlon=3, nlat=3)
MMI = np.array([[2.0, 4.0, 6.0], [3.0, 5.0, 7.0], [4.0, 6.0, 8.0]])


def write_raster(path, data, transform, crs="EPSG:4326", nodata=None):
    with rasterio.open(
        path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0], count=1,
        dtype=data.dtype, crs=crs, transform=transform, nodata=nodata,
    ) as dataset:
        dataset.write(data, 1)
    return path


def test_hand_computed_case(tmp_path):
    # 6x6 cells of 0.25 deg from lon 99.75 / lat 0.25: centres at 99.875 ... 101.125.
    population = np.arange(36, dtype=np.float32).reshape(6, 6)
    path = write_raster(tmp_path / "pop.tif", population, from_origin(99.75, 0.25, 0.25, 0.25))
    exposure = population_per_mmi_class(SPEC, MMI, path)

    # Only the inner 4x4 cells have their centre inside the node rectangle.
    # Cell (row r, col c) with r, c in 1..4 has x = 0.25c - 0.125, y = 0.25r - 0.125,
    # so mmi = 2 + 4x + 2y = 1.25 + c + 0.5r:
    #   r=1: 2.75 3.75 4.75 5.75 -> III IV V VI       people  7  8  9 10
    #   r=2: 3.25 4.25 5.25 6.25 -> III IV V VI       people 13 14 15 16
    #   r=3: 3.75 4.75 5.75 6.75 -> IV  V  VI VII     people 19 20 21 22
    #   r=4: 4.25 5.25 6.25 7.25 -> IV  V  VI VII     people 25 26 27 28
    expected = {"III": 7 + 13, "IV": 8 + 14 + 19 + 25, "V": 9 + 15 + 20 + 26, "VI": 10 + 16 + 21 + 27, "VII": 22 + 28}
    assert exposure.by_class == {roman: float(expected.get(roman, 0)) for roman in ROMANS}
    assert exposure.total == sum(exposure.by_class.values()) == population[1:5, 1:5].sum() == 280
    assert exposure.cells == 16


def test_class_boundaries_are_half_open_upwards():
    values = np.array([0.2, 1.5, 1.5001, 2.5, 2.51, 4.5, 4.500001, 10.5, 10.6, 12.0])
    assert mmi_class_index(values).tolist() == [1, 1, 2, 2, 3, 4, 5, 10, 10, 10]


def test_nodata_nan_and_negative_cells_count_as_nobody(tmp_path):
    population = np.full((6, 6), 10.0, dtype=np.float32)
    population[1, 1] = -9999  # nodata
    population[2, 2] = np.nan
    population[3, 3] = -5
    path = write_raster(tmp_path / "pop.tif", population, from_origin(99.75, 0.25, 0.25, 0.25), nodata=-9999)
    exposure = population_per_mmi_class(SPEC, MMI, path)
    assert exposure.total == 13 * 10


def test_raster_outside_the_shakemap_counts_nothing(tmp_path):
    population = np.ones((4, 4), dtype=np.float32)
    path = write_raster(tmp_path / "pop.tif", population, from_origin(120, 10, 0.25, 0.25))
    assert population_per_mmi_class(SPEC, MMI, path).total == 0


def test_projected_raster_gives_the_same_classes(tmp_path):
    """A raster in Web Mercator whose cells sit at the same centres as a lon/lat one."""
    population = np.arange(36, dtype=np.float32).reshape(6, 6) + 1
    lonlat = write_raster(tmp_path / "lonlat.tif", population, from_origin(99.75, 0.25, 0.25, 0.25))
    to_merc = Transformer.from_crs(4326, 3857, always_xy=True)
    x0, y0 = to_merc.transform(99.75, 0.25)
    x1, y1 = to_merc.transform(101.25, -1.25)
    # Mercator distorts latitude spacing slightly; near the equator the centres stay well inside their class.
    merc = write_raster(
        tmp_path / "merc.tif", population, from_origin(x0, y0, (x1 - x0) / 6, (y0 - y1) / 6), crs="EPSG:3857"
    )
    a = population_per_mmi_class(SPEC, MMI, lonlat)
    b = population_per_mmi_class(SPEC, MMI, merc)
    assert b.by_class == a.by_class
    assert b.cells == a.cells == 16


def test_real_grid_classes_sum_to_footprint_population(fixtures, tmp_path):
    grid = read_shake_grid(GRID_INITIAL)
    spec = grid.spec
    rng = np.random.default_rng(1)
    cell = 0.01
    population = rng.gamma(0.5, 40, size=(420, 420)).astype(np.float32)
    origin = from_origin(spec.lon_min - 0.1, spec.lat_max + 0.1, cell, cell)
    path = write_raster(tmp_path / "pop.tif", population, origin)
    exposure = population_per_mmi_class(spec, grid.mmi, path, threads=2)
    single = population_per_mmi_class(spec, grid.mmi, path, threads=1)
    # footprint cells: centres from lon_min to lon_max -> columns 10..409, rows 10..409
    footprint = population[10:410, 10:410].astype(np.float64).sum()
    assert exposure.cells == 400 * 400
    assert exposure.total == pytest.approx(footprint, rel=1e-9)
    assert exposure.by_class == pytest.approx(single.by_class, rel=1e-9)
    # this real event (M5.0, 202 km deep) peaks at MMI 5.27: nobody above class V
    assert all(exposure.by_class[r] == 0 for r in ROMANS[5:])


def test_preview_sums_people_onto_a_coarse_grid(fixtures, tmp_path):
    grid = read_shake_grid(GRID_INITIAL)
    spec = grid.spec
    population = np.random.default_rng(2).gamma(0.5, 40, size=(1620, 1620)).astype(np.float32)
    path = write_raster(tmp_path / "pop.tif", population, from_origin(spec.lon_min - 0.0125, spec.lat_max + 0.0125, 1 / 400, 1 / 400))
    exposure = population_per_mmi_class(spec, grid.mmi, path)
    assert max(exposure.preview.shape) <= 700
    assert exposure.preview.sum() == pytest.approx(exposure.total, rel=1e-9)
    # the preview's first cell holds the window's top-left factor x factor cells
    factor = round(exposure.preview_transform.a * 400)
    window = population[5:1605, 5:1605]
    assert exposure.preview[0, 0] == pytest.approx(window[:factor, :factor].sum(dtype=np.float64), rel=1e-6)


# A child process reports how far the exposure of a big footprint raised its peak RSS (VmHWM).
_PEAK_GROWTH = """
import sys
from pathlib import Path
import numpy as np
from realtime.earthquake.exposure import population_per_mmi_class
from realtime.earthquake.grid import GridSpec

def peak_kb():
    return int(next(l.split()[1] for l in Path("/proc/self/status").read_text().splitlines() if l.startswith("VmHWM:")))

spec = GridSpec(lon_min=100.0, lat_min=-12.0, lon_max=102.0, lat_max=0.0, nlon=3, nlat=13)
small = GridSpec(lon_min=100.0, lat_min=-0.1, lon_max=100.1, lat_max=0.0, nlon=2, nlat=2)
population_per_mmi_class(small, np.full((2, 2), 6.0), sys.argv[1], threads=1)  # GDAL and PROJ start-up
before = peak_kb()
exposure = population_per_mmi_class(spec, np.full((13, 3), 6.0), sys.argv[1], threads=1)
print(exposure.total, exposure.cells, peak_kb() - before)
"""


def test_a_big_footprint_does_not_keep_the_raster_in_memory(tmp_path):
    """Each tile is read once, so none needs to stay in memory; GDAL's block cache would keep them all."""
    import os
    import subprocess
    import sys

    from rasterio.windows import Window

    # 12000 x 2000 cells of 1 person (96 MB as float32, a few hundred KB compressed), cell centres all inside.
    path = tmp_path / "big.tif"
    profile = dict(driver="GTiff", width=2000, height=12000, count=1, dtype="float32", crs="EPSG:4326",
                   transform=from_origin(100.0, 0.0, 0.001, 0.001), tiled=True, blockxsize=256, blockysize=256,
                   compress="deflate")
    with rasterio.open(path, "w", **profile) as dataset:
        for top in range(0, 12000, 1000):
            dataset.write(np.ones((1000, 2000), dtype=np.float32), 1, window=Window(0, top, 2000, 1000))
    # a 1 GB block cache, as GDAL's default of 5 % of RAM gives on a 20 GB machine
    env = {**os.environ, "GDAL_CACHEMAX": "1024"}
    result = subprocess.run([sys.executable, "-c", _PEAK_GROWTH, str(path)], env=env, capture_output=True, text=True,
                            timeout=300, check=True)
    total, cells, growth_kb = result.stdout.split()
    assert float(total) == 24_000_000 and int(cells) == 24_000_000
    # one 256-row block is 2 MB and its working arrays a few times that; the whole raster would be 96 MB
    assert int(growth_kb) < 48 * 1024, f"peak RSS grew by {growth_kb} kB"
