"""`realtime ash scenario` / `ash process` refusals through the real CLI: one line saying what is wrong, nothing
written, exit 2 for bad input and exit 1 (still one line, naming the file) when the failure is not the input's."""

from __future__ import annotations

import pytest
import rasterio
from conftest import FIXTURES, run_cli

MERAPI_RASTER = FIXTURES / "ash" / "201702211204+0000_Merapi-hazard.tif"
PLUME = ["--column-height-km", "10", "--volume-km3", "0.01", "--wind-speed", "10", "--wind-direction", "90"]
WIDE = {"COLUMNS": "400"}  # rich would wrap a long line


def scenario(out_dir, *options: str):
    return run_cli("ash", "scenario", str(out_dir), *PLUME, *options, env=WIDE)


def one_error_line(result, code: int) -> str:
    assert result.returncode == code, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize(("options", "line"), [
    (["--volcano", "Merapi", "--lat", "-7.54"],
     "error: give all of --lat, --lon and --elevation, or none to use the packaged volcano table"),
    (["--volcano", "Merapi", "--lat", "-7.54", "--lon", "110.44"],
     "error: give all of --lat, --lon and --elevation, or none to use the packaged volcano table"),
    (["--volcano", "Gunung Contoh", "--lat", "95", "--lon", "110.44", "--elevation", "2900"],
     "error: volcano position 95.0, 110.44, 2900.0 m is not on Earth"),
    (["--volcano", "Gunung Contoh", "--lat", "-7.54", "--lon", "110.44", "--elevation", "9500"],
     "error: volcano position -7.54, 110.44, 9500.0 m is not on Earth"),
    (["--volcano", "Merapi", "--time", "yesterday at noon"],
     "error: event time 'yesterday at noon' is not ISO-8601, e.g. 2017-02-21T19:04+07:00"),
    (["--volcano", "a/b", "--lat", "-7.54", "--lon", "110.44", "--elevation", "2900", "--time", "2017-02-21T19:04+07:00"],
     "error: volcano name 'a/b' cannot name an event: not an ash id: '201702211904+0700_a/b'; expected "
     "YYYYmmddHHMM+zzzz_<Volcano>, e.g. 201702211904+0700_Merapi, in ASCII"),
])
def test_scenario_refusals_are_one_line_and_write_nothing(tmp_path, options, line):
    out = tmp_path / "out"
    out.mkdir()
    assert one_error_line(scenario(out, *options), 2) == line
    assert list(out.iterdir()) == []


def test_a_volcano_placed_by_position_with_a_time_on_its_clock(tmp_path):
    """Not in the table: --lat/--lon/--elevation make it; a time without offset is read on WIB (+07:00)."""
    result = scenario(tmp_path, "--volcano", "Gunung Contoh", "--lat", "-7.54", "--lon", "110.44", "--elevation",
                      "2900", "--time", "2017-02-21T19:04")
    assert result.returncode == 0, result.stderr
    path = tmp_path / "201702211904+0700_Gunung_Contoh-hazard.tif"
    assert f"wrote {path}" in result.stdout
    with rasterio.open(path) as src:
        west, south, east, north = src.bounds
        band = src.read(1, masked=True)
    assert west < 110.44 < east and south < -7.54 < north  # the plume starts at the given vent
    assert f"max thickness {float(band.max()):.2f} cm" in result.stdout


def test_scenario_into_a_file_is_one_line_naming_it(tmp_path):
    not_a_folder = tmp_path / "ashmaps"
    not_a_folder.write_text("a file where the folder should be")
    line = one_error_line(scenario(not_a_folder, "--volcano", "Merapi", "--time", "2017-02-21T19:04+07:00"), 1)
    assert line == f"error: {not_a_folder}: FileExistsError: File exists"
    assert not_a_folder.read_text() == "a file where the folder should be"


def test_process_into_a_file_is_one_line_naming_the_raster(fixtures, demo_data, tmp_path):
    not_a_folder = tmp_path / "extracted"
    not_a_folder.write_text("x")
    result = run_cli("ash", "process", str(MERAPI_RASTER), "--volcano", "Merapi", "--event-time",
                     "2017-02-21T19:04:00+07:00", "--eruption-height", "3000", "--alert-level", "siaga",
                     "--forecast-duration", "3", "--analysis-data", str(demo_data), "--output", str(not_a_folder),
                     env={**WIDE, "INASAFE_LOCALE": "en"})
    assert one_error_line(result, 1) == f"error: {MERAPI_RASTER}: FileExistsError: File exists: {not_a_folder}"
    assert not_a_folder.read_text() == "x"
    assert not list(tmp_path.glob("**/impact.json"))
