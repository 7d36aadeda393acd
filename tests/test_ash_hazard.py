"""Reading ash forecast rasters: the netCDF fill, missing NoData, south-up, rotated and projected rasters,
and the hostile files refused in one line naming the file."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.transform import from_origin

from realtime.ash.hazard import MAX_CELLS, AshHazardError, read_ash_hazard

FILL = 9.96921e36
N = np.array([[0.01, 0.1, 2.0],
              [5.0, 10.0, 10.5],
              [FILL, 0.05, 3.0]], dtype=np.float32)  # the hand case of test_ash_core, north-up
NORTH_UP = from_origin(110.0, -7.0, 0.1, 0.1)


def write_tif(path: Path, values: np.ndarray, transform, crs="EPSG:4326", nodata=None, **profile) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype=str(values.dtype), crs=crs, transform=transform, nodata=nodata, **profile) as dataset:
        dataset.write(values, 1)
    return path


def expected_north_up() -> np.ndarray:
    values = N.copy()
    values[2, 0] = np.nan
    return values


def test_netcdf_fill_declared(tmp_path):
    hazard = read_ash_hazard(write_tif(tmp_path / "declared.tif", N, NORTH_UP, nodata=FILL))
    np.testing.assert_array_equal(hazard.thickness, expected_north_up())
    assert hazard.transform == NORTH_UP and hazard.crs.to_epsg() == 4326 and hazard.name == "declared.tif"
    assert hazard.lonlat_bounds() == pytest.approx((110.0, -7.3, 110.3, -7.0))
    assert hazard.max_thickness_cm == 10.5


def test_netcdf_fill_present_but_no_nodata_declared(tmp_path):
    path = write_tif(tmp_path / "undeclared.tif", N, NORTH_UP)
    with rasterio.open(path) as dataset:
        assert dataset.nodata is None
    np.testing.assert_array_equal(read_ash_hazard(path).thickness, expected_north_up())


def test_other_declared_nodata_and_tiny_negative_noise(tmp_path):
    values = np.array([[-9999, 1.5], [-0.004, 0.2]], dtype=np.float32)
    hazard = read_ash_hazard(write_tif(tmp_path / "minus9999.tif", values, NORTH_UP, nodata=-9999))
    np.testing.assert_array_equal(hazard.thickness, np.array([[np.nan, 1.5], [0.0, 0.2]], dtype=np.float32))


def test_integer_raster_and_second_band_ignored(tmp_path):
    path = tmp_path / "two_bands.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=1, count=2, dtype="int16", crs="EPSG:4326",
                       transform=NORTH_UP, nodata=-1) as dataset:
        dataset.write(np.array([[[3, -1]], [[9999, 9999]]], dtype=np.int16))
    hazard = read_ash_hazard(path)
    assert hazard.thickness.dtype == np.float32
    np.testing.assert_array_equal(hazard.thickness, np.array([[3.0, np.nan]], dtype=np.float32))


def test_south_up_raster_is_flipped_exactly(tmp_path):
    south_up = Affine(0.1, 0, 110.0, 0, 0.1, -7.3)  # row 0 is the southern row
    hazard = read_ash_hazard(write_tif(tmp_path / "south_up.tif", N[::-1].copy(), south_up, nodata=FILL))
    np.testing.assert_array_equal(hazard.thickness, expected_north_up())
    assert hazard.transform.almost_equals(NORTH_UP)


def test_east_to_west_columns_are_flipped_exactly(tmp_path):
    mirrored = Affine(-0.1, 0, 110.3, 0, -0.1, -7.0)  # column 0 is the eastern column
    hazard = read_ash_hazard(write_tif(tmp_path / "mirrored.tif", N[:, ::-1].copy(), mirrored))
    np.testing.assert_array_equal(hazard.thickness, expected_north_up())
    assert hazard.transform.almost_equals(NORTH_UP)


def test_quarter_turn_raster_is_transposed_exactly(tmp_path):
    # rows run east, columns run south: x = 110 + 0.1 row, y = -7 - 0.1 col, so stored[r, c] = N[c, r]
    turned = Affine(0, 0.1, 110.0, -0.1, 0, -7.0)
    hazard = read_ash_hazard(write_tif(tmp_path / "turned.tif", N.T.copy(), turned, nodata=FILL))
    np.testing.assert_array_equal(hazard.thickness, expected_north_up())
    assert hazard.transform.almost_equals(NORTH_UP)
    assert hazard.sample(110.25, -7.15) == 10.5  # east column, middle row


def test_rotated_raster_keeps_every_value_where_it_was(tmp_path):
    values = np.arange(1, 21 * 17 + 1, dtype=np.float32).reshape(21, 17) / 10  # 0.1 .. 35.7 cm, all distinct
    rotated = Affine.translation(110.0, -7.0) * Affine.rotation(30) * Affine.scale(0.01, -0.01)
    assert rotated.b != 0 and rotated.d != 0
    hazard = read_ash_hazard(write_tif(tmp_path / "rotated.tif", values, rotated))
    t = hazard.transform
    assert t.b == t.d == 0 and t.a > 0 and t.e < 0
    rows, cols = np.mgrid[0:21, 0:17]
    lon, lat = rotated * (cols.ravel() + 0.5, rows.ravel() + 0.5)  # each stored cell's centre on the ground
    np.testing.assert_array_equal(hazard.sample(lon, lat), values.ravel())
    assert math.isnan(hazard.sample(110.5, -7.5))  # outside the turned footprint
    assert np.nanmax(hazard.thickness) == pytest.approx(35.7)
    assert np.nanmin(hazard.thickness) == pytest.approx(0.1)


def test_projected_raster_utm_49s(tmp_path):
    # 10 km cells in UTM zone 49S around Merapi (110.44 E, 7.54 S: about x 438,000, y 9,166,000)
    values = np.array([[1.0, 2.0], [3.0, 4.0]], dtype=np.float32)
    path = write_tif(tmp_path / "utm.tif", values, from_origin(430_000, 9_170_000, 10_000, 10_000), crs="EPSG:32749")
    hazard = read_ash_hazard(path)
    assert hazard.crs.to_epsg() == 32749 and hazard.transform == from_origin(430_000, 9_170_000, 10_000, 10_000)
    from pyproj import Transformer
    to_lonlat = Transformer.from_crs("EPSG:32749", "EPSG:4326", always_xy=True)
    lon, lat = to_lonlat.transform(445_000, 9_155_000)  # centre of the lower right cell
    assert hazard.sample(lon, lat) == 4.0
    west, south, east, north = hazard.lonlat_bounds()
    corners = [to_lonlat.transform(x, y) for x in (430_000, 450_000) for y in (9_150_000, 9_170_000)]
    assert west <= min(c[0] for c in corners) and east >= max(c[0] for c in corners)
    assert south <= min(c[1] for c in corners) and north >= max(c[1] for c in corners)
    assert 110.3 < west < east < 110.6 and -7.8 < south < north < -7.4


# Hostile files -----------------------------------------------------------------------------------------

def refusal(path: Path) -> str:
    with pytest.raises(AshHazardError) as info:
        read_ash_hazard(path)
    message = str(info.value)
    assert isinstance(info.value, ValueError) and "\n" not in message and message.startswith(f"{path.name}: ")
    return message


def test_truncated_file_refused(tmp_path, fixtures):
    data = (fixtures / "ash" / "201702211204+0000_Merapi-hazard.tif").read_bytes()
    for size in (len(data) // 2, 5000, 100, 8):
        path = tmp_path / f"truncated_{size}.tif"
        path.write_bytes(data[:size])
        assert "not a readable GeoTIFF" in refusal(path)


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_png_renamed_tif_refused(tmp_path):
    png = tmp_path / "picture.png"
    with rasterio.open(png, "w", driver="PNG", width=4, height=4, count=1, dtype="uint8") as dataset:
        dataset.write(np.full((4, 4), 7, dtype=np.uint8), 1)
    renamed = tmp_path / "picture.tif"
    renamed.write_bytes(png.read_bytes())
    assert renamed.read_bytes()[:4] == b"\x89PNG"
    assert "not a GeoTIFF (PNG data)" in refusal(renamed)


def test_text_and_empty_files_refused(tmp_path):
    (tmp_path / "notes.tif").write_text("thickness: lots\n")
    (tmp_path / "empty.tif").write_bytes(b"")
    assert "not a readable GeoTIFF" in refusal(tmp_path / "notes.tif")
    assert "not a readable GeoTIFF" in refusal(tmp_path / "empty.tif")


def test_no_crs_refused(tmp_path):
    assert "no coordinate reference system" in refusal(write_tif(tmp_path / "nocrs.tif", N, NORTH_UP, crs=None))


@pytest.mark.filterwarnings("ignore::rasterio.errors.NotGeoreferencedWarning")
def test_no_geotransform_refused(tmp_path):
    path = tmp_path / "nogeo.tif"
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32") as dataset:
        dataset.write(np.ones((2, 2), dtype=np.float32), 1)
    assert "no coordinate reference system" in refusal(path)
    with_crs = tmp_path / "crs_but_no_geotransform.tif"
    with rasterio.open(with_crs, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32",
                       crs="EPSG:4326") as dataset:
        dataset.write(np.ones((2, 2), dtype=np.float32), 1)
    assert "no usable geotransform" in refusal(with_crs)


@pytest.mark.parametrize("fill, words", [
    (FILL, "holds only NoData"),
    (np.nan, "holds only NoData"),
])
def test_all_nodata_refused(tmp_path, fill, words):
    values = np.full((4, 4), fill, dtype=np.float32)
    assert words in refusal(write_tif(tmp_path / "empty_forecast.tif", values, NORTH_UP))
    assert words in refusal(write_tif(tmp_path / "declared_empty.tif", values, NORTH_UP, nodata=fill))


@pytest.mark.parametrize("bad, words", [
    (np.inf, "infinite values"),
    (-np.inf, "infinite values"),
    (6000.0, "implausible thickness 6000 cm"),
    (1e30, "implausible thickness 1e+30 cm"),
    (-3.0, "implausible thickness -3 cm (negative)"),
])
def test_implausible_values_refused(tmp_path, bad, words):
    values = N.copy()
    values[0, 0] = bad
    assert words in refusal(write_tif(tmp_path / "implausible.tif", values, NORTH_UP, nodata=FILL))


def test_nan_cells_among_values_are_nodata(tmp_path):
    values = N.copy()
    values[1, 1] = np.nan
    hazard = read_ash_hazard(write_tif(tmp_path / "some_nan.tif", values, NORTH_UP))
    assert np.isnan(hazard.thickness).sum() == 2 and hazard.max_thickness_cm == 10.5


def test_huge_dimensions_refused_from_the_header(tmp_path):
    # 20000 x 10000 cells of which no tile is written: a few hundred bytes on disk, 200 M cells in the header
    path = tmp_path / "huge.tif"
    with rasterio.open(path, "w", driver="GTiff", width=20_000, height=10_000, count=1, dtype="float32",
                       crs="EPSG:4326", transform=from_origin(100, 0, 1e-4, 1e-4), tiled=True,
                       compress="deflate", sparse_ok=True):
        pass
    assert path.stat().st_size < 1_000_000 and 20_000 * 10_000 > MAX_CELLS
    assert "too large (20000 x 10000 cells" in refusal(path)
