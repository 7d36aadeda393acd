"""`realtime ash process` end to end on the real Merapi forecast raster: impact.json, GIS products, reports;
bad metadata refused in one line before any work."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio

from conftest import FIXTURES, run_cli

MERAPI = FIXTURES / "ash" / "201702211204+0000_Merapi-hazard.tif"
ASH_ID = "201702211904+0700_Merapi"
EVENT = ["--event-time", "2017-02-21T19:04:00+07:00", "--eruption-height", "3000", "--alert-level", "siaga",
         "--forecast-duration", "3"]


def ash_process(raster: Path, data: Path, output: Path, *options: str, volcano: str = "Merapi",
                locale: str = "en,id"):
    return run_cli("ash", "process", str(raster), "--volcano", volcano, *options, "--analysis-data", str(data),
                   "--output", str(output), env={"INASAFE_LOCALE": locale})


@pytest.fixture(scope="module")
def merapi(fixtures, demo_data, tmp_path_factory) -> Path:
    output = tmp_path_factory.mktemp("ash-extracted")
    result = ash_process(MERAPI, demo_data, output, *EVENT)
    assert result.returncode == 0, result.stderr
    return output / ASH_ID


def test_impact_json_holds_the_issue_keys(merapi):
    document = json.loads((merapi / "impact.json").read_text(encoding="utf-8"))
    assert document["ash_id"] == ASH_ID and document["hazard"] == "volcanic_ash"
    # the packaged table's Merapi (the reference's DBF values), the summit plus 3000 m above the vent
    assert document["volcano"] == {**document["volcano"], "name": "Merapi", "latitude": -7.542, "longitude": 110.442,
                                   "elevation_m": 2968}
    event = document["event"]
    assert event["time"] == "2017-02-21T19:04:00+07:00" and event["timezone"] == "WIB"
    assert event["eruption_height_m"] == 3000 and event["column_height_asl_m"] == 5968
    assert event["alert_level"] == "siaga" and event["forecast_duration_days"] == 3
    exposure = document["exposure"]
    assert list(exposure) == ["very_low", "low", "medium", "high", "very_high"]
    assert document["summary"]["affected"] == pytest.approx(sum(exposure.values()))
    assert document["summary"]["displaced"] == pytest.approx(exposure["high"] + exposure["very_high"])  # rate 1.0
    assert document["summary"]["affected"] > 0
    assert isinstance(document["places"], list) and document["software"]["name"]
    assert document["input"]["name"] == MERAPI.name
    assert 98 < document["max_thickness_cm"] < 99  # the reference: maximum 98.5 cm


def test_hazard_tif_is_tiled_and_keeps_the_values(merapi):
    document = json.loads((merapi / "impact.json").read_text(encoding="utf-8"))
    with rasterio.open(merapi / document["products"]["hazard"]) as written, rasterio.open(MERAPI) as source:
        assert written.profile["tiled"] and written.crs == source.crs and written.shape == source.shape
        values, original = written.read(1), source.read(1)
    valid = original < 1e30  # the netCDF fill 9.96921e36 is NoData
    assert np.isnan(values[~valid]).all()
    assert np.allclose(values[valid & (original >= 0)], original[valid & (original >= 0)])


def test_class_polygons_are_lonlat_geojson_of_the_classes(merapi):
    document = json.loads((merapi / "impact.json").read_text(encoding="utf-8"))
    polygons = json.loads((merapi / document["products"]["classes"]).read_text(encoding="utf-8"))
    keys = [feature["properties"]["key"] for feature in polygons["features"]]
    assert "very_high" in keys and set(keys) <= {"very_low", "low", "medium", "high", "very_high"}
    lons = [x for f in polygons["features"] for polygon in f["geometry"]["coordinates"] for ring in polygon
            for x, _ in ring]
    extent = document["hazard_extent"]
    assert extent["lon_min"] - 1e-6 <= min(lons) and max(lons) <= extent["lon_max"] + 1e-6


def test_a_report_per_language(merapi):
    document = json.loads((merapi / "impact.json").read_text(encoding="utf-8"))
    reports = document["products"]["reports"]
    assert set(reports) == {"en", "id"}
    for names in reports.values():
        assert (merapi / names["pdf"]).read_bytes()[:5] == b"%PDF-"
        assert (merapi / names["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (merapi / names["thumbnail"]).is_file()
    assert not [p.name for p in merapi.parent.iterdir() if p.name.startswith(".")]  # no staging left behind


@pytest.mark.parametrize("options, volcano, words", [
    (EVENT, "Vesuvius", ["unknown volcano", "Merapi"]),
    (["--event-time", "2017-02-21T19:04:00+07:00", "--eruption-height", "3000", "--alert-level", "red",
      "--forecast-duration", "3"], "Merapi", ["alert level", "red", "awas"]),
    (["--event-time", "2017-02-21T19:04:00", "--eruption-height", "3000", "--alert-level", "siaga",
      "--forecast-duration", "3"], "Merapi", ["offset"]),
])
def test_bad_metadata_is_one_line_and_writes_nothing(fixtures, tmp_path, options, volcano, words):
    result = ash_process(MERAPI, tmp_path / "no-data-needed", tmp_path / "out", *options, volcano=volcano)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error:") and "Traceback" not in result.stderr
    assert all(word in lines[0] for word in words), lines[0]
    assert not (tmp_path / "out").exists()


def test_an_unlisted_volcano_with_its_position(demo_data, fixtures, tmp_path):
    """Not in the table: latitude, longitude and elevation make it one (English report only)."""
    result = ash_process(MERAPI, demo_data, tmp_path, *EVENT, "--lat", "-7.54", "--lon", "110.44",
                         "--elevation", "2900", volcano="Gunung Contoh", locale="")
    assert result.returncode == 0, result.stderr
    document = json.loads((tmp_path / "201702211904+0700_Gunung_Contoh" / "impact.json").read_text())
    assert document["volcano"]["name"] == "Gunung Contoh" and document["event"]["column_height_asl_m"] == 5900


def test_a_broken_raster_is_refused_in_one_line(demo_data, tmp_path):
    broken = tmp_path / "broken.tif"
    broken.write_bytes(b"II*\x00 not really a tiff")
    result = ash_process(broken, demo_data, tmp_path / "out", *EVENT)
    assert result.returncode == 2 and "broken.tif" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "out" / ASH_ID).exists()


def test_the_demo_ends_with_an_ash_scenario_processed(demo_data, tmp_path):
    result = run_cli("demo", "--workdir", str(tmp_path), env={"ANALYSIS_DATA_DIR": str(demo_data), "INASAFE_LOCALE": "en"})
    assert result.returncode == 0, result.stderr
    folder = tmp_path / "ashmaps-extracted" / "201011050005+0700_Merapi"
    document = json.loads((folder / "impact.json").read_text(encoding="utf-8"))
    assert document["event"]["column_height_asl_m"] == 10000 + 2968  # 10 km above the vent, Merapi's summit
    assert document["summary"]["affected"] > 0 and (folder / document["products"]["reports"]["en"]["pdf"]).is_file()
    assert "201011050005+0700_Merapi" in result.stdout and "Very High" in result.stdout
