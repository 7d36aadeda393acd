"""Ash scenario rasters: the mass that erupts lands, downwind, thinning away from the vent, in a real-looking file."""

from __future__ import annotations

import math

import numpy as np
import pytest
import rasterio

from conftest import run_cli
from realtime.ash.scenario import ScenarioError, ash_scenario, write_scenario
from realtime.ash.volcanoes import Volcano, find_volcano

R = 6_371_008.8
MERAPI = find_volcano("Merapi")


def cell_areas_m2(transform, height: int) -> np.ndarray:
    """Area of each row's cells on the sphere: R^2 dlon (sin(north) - sin(south)), a column vector."""
    north = transform.f + np.arange(height) * transform.e
    south = north + transform.e
    return (R**2 * math.radians(transform.a) * (np.sin(np.radians(north)) - np.sin(np.radians(south))))[:, None]


def offsets_m(transform, shape, volcano) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres east and north of the vent, metres (local, cos(lat) for east)."""
    lon = transform.c + (np.arange(shape[1]) + 0.5) * transform.a
    lat = transform.f + (np.arange(shape[0]) + 0.5) * transform.e
    lon, lat = np.meshgrid(lon, lat)
    return R * np.radians(lon - volcano.longitude) * np.cos(np.radians(lat)), R * np.radians(lat - volcano.latitude)


@pytest.mark.parametrize(
    "volcano, height_km, volume_km3, speed, direction",
    [(MERAPI, 10, 0.01, 10, 90), (find_volcano("Kelud"), 17, 0.1, 25, 250), (MERAPI, 5, 0.002, 0, 0)],
)
def test_the_erupted_mass_lands_on_the_grid(volcano, height_km, volume_km3, speed, direction):
    thickness, transform, crs = ash_scenario(volcano, height_km, volume_km3, speed, direction)
    assert crs.to_epsg() == 4326
    # Erupted mass: DRE volume x 2500 kg/m3. Deposit: thickness (m) x 1000 kg/m3 x cell area on the sphere.
    erupted = volume_km3 * 1e9 * 2500.0
    areas = np.broadcast_to(cell_areas_m2(transform, thickness.shape[0]), thickness.shape)
    deposited = np.nansum(thickness / 100.0 * 1000.0 * areas)
    # Only ash thinner than 0.001 cm (0.01 kg/m2, written as NoData) may be missing: at most that load over
    # the NoData cells, plus the thin tails beyond the grid (1 % allowed); nothing may be created (float32: 0.5 %).
    missing_at_most = 0.01 * areas[np.isnan(thickness)].sum() + 0.01 * erupted
    assert erupted - missing_at_most <= deposited <= 1.005 * erupted
    assert deposited >= 0.97 * erupted


@pytest.mark.parametrize("direction, bearing", [(90, 270), (270, 90), (0, 180), (135, 315)])
def test_the_plume_goes_downwind(direction, bearing):
    thickness, transform, _ = ash_scenario(MERAPI, 10, 0.01, 10, direction)
    east, north = offsets_m(transform, thickness.shape, MERAPI)
    weight = np.nan_to_num(thickness)
    cx, cy = (east * weight).sum() / weight.sum(), (north * weight).sum() / weight.sum()
    assert math.hypot(cx, cy) > 20_000  # 10 m/s carries fine ash hundreds of km
    assert abs((math.degrees(math.atan2(cx, cy)) - bearing + 180) % 360 - 180) < 1.0


def test_no_wind_leaves_the_deposit_round_the_vent():
    thickness, transform, _ = ash_scenario(MERAPI, 10, 0.01, 0, 90)
    east, north = offsets_m(transform, thickness.shape, MERAPI)
    weight = np.nan_to_num(thickness)
    cell_m = math.radians(transform.a) * R
    assert math.hypot((east * weight).sum() / weight.sum(), (north * weight).sum() / weight.sum()) < cell_m


@pytest.mark.parametrize("direction, step", [(90, -1), (270, 1)])
def test_thickness_falls_away_from_the_vent_along_the_axis(direction, step):
    thickness, transform, _ = ash_scenario(MERAPI, 10, 0.01, 10, direction)
    row = int((transform.f - MERAPI.latitude) / -transform.e)  # the row holding the vent: the axis of an E-W wind
    vent_col = int((MERAPI.longitude - transform.c) / transform.a)
    profile = thickness[row]
    peak = int(np.nanargmax(profile))
    assert abs(peak - vent_col) * transform.a * 111.0 < 10.0  # the thickest ash within 10 km of the vent
    downwind = profile[peak::step]
    downwind = downwind[: int(np.argmax(np.isnan(downwind)))]  # up to the first NoData cell
    upwind = profile[peak::-step]
    upwind = upwind[: int(np.argmax(np.isnan(upwind)))]
    assert len(downwind) * transform.a * 111.0 > 250.0  # long enough to say something
    assert np.all(np.diff(downwind) < 0) and np.all(np.diff(upwind) < 0)
    assert len(upwind) < len(downwind) / 5


def test_the_reference_sanity_case_is_of_the_same_order():
    """ash.md §6: H = 10 km, 0.01 km3 gave about 5 cm at most and >= 0.1 cm to about 120 km downwind."""
    thickness, transform, _ = ash_scenario(MERAPI, 10, 0.01, 10, 90)
    east, north = offsets_m(transform, thickness.shape, MERAPI)
    reach_km = np.hypot(east, north)[thickness >= 0.1].max() / 1000
    assert 2.0 < np.nanmax(thickness) < 20.0
    assert 60.0 < reach_km < 200.0


def test_the_same_inputs_give_the_same_raster():
    first, transform1, _ = ash_scenario(MERAPI, 10, 0.01, 10, 90)
    second, transform2, _ = ash_scenario(MERAPI, 10, 0.01, 10, 90)
    assert transform1 == transform2 and np.array_equal(first, second, equal_nan=True)


def test_the_file_reads_back_like_a_real_forecast(tmp_path):
    path = write_scenario(tmp_path, "201702211904+0700_Merapi", MERAPI, 10, 0.01, 10, 90)
    assert path == tmp_path / "201702211904+0700_Merapi-hazard.tif"
    expected, transform, _ = ash_scenario(MERAPI, 10, 0.01, 10, 90)
    with rasterio.open(path) as src:
        assert src.crs.to_epsg() == 4326 and src.dtypes == ("float32",) and src.count == 1
        assert src.nodata == np.float32(9.96921e36)
        assert src.transform == transform and src.transform.e < 0 and src.transform.b == src.transform.d == 0
        assert src.tags(1)["units"] == "cm"
        raw = src.read(1)
    nodata = raw == np.float32(9.96921e36)
    assert nodata.any() and not nodata.all()
    assert np.array_equal(nodata, np.isnan(expected))
    assert np.array_equal(raw[~nodata], expected[~nodata])
    assert raw[~nodata].min() >= 0.001
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


@pytest.mark.parametrize("kwargs", [dict(column_height_km=0), dict(volume_km3=-1), dict(wind_speed_ms=float("nan"))])
def test_impossible_scenarios_are_refused(kwargs):
    args = dict(volcano=MERAPI, column_height_km=10, volume_km3=0.01, wind_speed_ms=10, wind_direction_deg=90) | kwargs
    with pytest.raises(ScenarioError):
        ash_scenario(**args)


def test_a_volcano_given_by_position_works_anywhere_sensible():
    thickness, transform, _ = ash_scenario(Volcano("Test", 1.5, 125.0, 1000), 8, 0.005, 5, 180)
    assert np.nanmax(thickness) > 0.1 and transform.f > 1.5  # the ash drifts north of the vent


def test_cli_scenario_writes_the_named_raster(tmp_path):
    result = run_cli("ash", "scenario", "--volcano", "merapi", "--column-height-km", "10", "--volume-km3", "0.01",
                     "--wind-speed", "10", "--wind-direction", "90", "--time", "2017-02-21T19:04+07:00", str(tmp_path),
                     env={"COLUMNS": "300"})
    assert result.returncode == 0, result.stderr
    path = tmp_path / "201702211904+0700_Merapi-hazard.tif"
    assert f"wrote {path}" in result.stdout
    with rasterio.open(path) as src:
        top = float(src.read(1, masked=True).max())
    assert f"max thickness {top:.2f} cm" in result.stdout


def test_cli_unknown_volcano_is_one_line_listing_the_known(tmp_path):
    result = run_cli("ash", "scenario", "--volcano", "Etna", "--column-height-km", "10", "--volume-km3", "0.01",
                     "--wind-speed", "10", "--wind-direction", "90", str(tmp_path), env={"COLUMNS": "300"})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Etna" in lines[0] and "Merapi" in lines[0] and "Kelud" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_cli_impossible_scenario_is_one_line(tmp_path):
    result = run_cli("ash", "scenario", "--volcano", "Merapi", "--column-height-km", "50", "--volume-km3", "0.01",
                     "--wind-speed", "10", "--wind-direction", "90", str(tmp_path), env={"COLUMNS": "300"})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == ["error: column height 50 is outside 0.5..45"]
