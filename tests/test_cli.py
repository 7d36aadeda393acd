"""The `realtime` command end to end, as a duty officer runs it."""

from __future__ import annotations

import json
from datetime import datetime

import numpy as np
import rasterio

from conftest import GRID_CORRECTED, GRID_INITIAL, run_cli
from realtime.earthquake.mmi import ROMANS


def test_shake_process_writes_products(fixtures, demo_data, tmp_path):
    result = run_cli("shake", "process", str(GRID_INITIAL), "--analysis-data", str(demo_data), "--output", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "20180220163351" in result.stdout and "Estimated fatalities" in result.stdout
    folder = tmp_path / "20180220163351"
    impact = json.loads((folder / "impact.json").read_text())
    assert impact["shake_id"] == "20180220163351" and impact["source_type"] == "initial"
    event = impact["event"]
    assert (event["magnitude"], event["depth_km"], event["latitude"], event["longitude"]) == (5.0, 202.0, 1.34, 124.42)
    assert datetime.fromisoformat(event["time"]).isoformat() == "2018-02-20T16:29:28+07:00"
    assert event["timezone"] == "Asia/Jakarta" and event["description"] == "Minahassa Peninsula, Sulawesi"
    assert list(impact["exposure"]) == list(ROMANS)
    assert sum(impact["exposure"].values()) == np.float64(impact["exposure_total"])
    assert impact["exposure_total"] > 100_000  # Manado and Bitung are in the footprint
    fatalities = impact["fatalities"]
    assert fatalities["model"] == "itb_bayesian" and fatalities["alert"] in ("green", "yellow", "orange", "red")
    assert set(fatalities) >= {"total", "rounded", "range", "alert", "by_mmi"}
    assert set(impact["fatality_models"]) == {"itb", "itb_bayesian", "pager"}
    assert 0 < len(impact["places"]) <= 5
    assert set(impact["places"][0]) >= {"name", "population", "mmi", "distance_km", "bearing_deg", "direction"}
    assert impact["location"]["text"].startswith("Located ")
    assert impact["software"]["name"] == "InaSAFE Realtime"
    with rasterio.open(folder / "mmi.tif") as mmi:
        assert mmi.shape == (161, 161) and mmi.profile["tiled"]
        assert mmi.read(1).max() == np.float32(5.27)
        assert mmi.xy(0, 0) == (122.42, 3.34)
    contours = json.loads((folder / "contours.geojson").read_text())
    assert contours["features"] and {"mmi", "roman", "colour"} <= set(contours["features"][0]["properties"])
    places = json.loads((folder / "places.geojson").read_text())
    assert len(places["features"]) == impact["places_in_extent"]


def test_corrected_grid_goes_to_the_corrected_extract_dir(fixtures, demo_data, tmp_path):
    env = {"ANALYSIS_DATA_DIR": str(demo_data), "SHAKEMAPS_EXTRACT_DIR": str(tmp_path / "initial"),
           "SHAKEMAPS_CORRECTED_EXTRACT_DIR": str(tmp_path / "corrected")}
    result = run_cli("shake", "process", str(GRID_CORRECTED), env=env)
    assert result.returncode == 0, result.stderr
    impact = json.loads((tmp_path / "corrected" / GRID_CORRECTED.parent.name / "impact.json").read_text())
    assert impact["source_type"] == "corrected"


def test_bad_grid_gives_a_clear_error_and_exit_code(demo_data, tmp_path):
    bad = tmp_path / "20200101000000" / "grid.xml"
    bad.parent.mkdir()
    bad.write_text("<shakemap_grid event_id='20200101000000'><event/>")
    result = run_cli("shake", "process", str(bad), "--analysis-data", str(demo_data), "--output", str(tmp_path / "out"))
    assert result.returncode == 2
    assert str(bad) in result.stderr and "not well-formed" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_missing_analysis_data_says_how_to_fix_it(fixtures, tmp_path):
    result = run_cli("shake", "process", str(GRID_INITIAL), "--analysis-data", str(tmp_path / "none"), "--output", str(tmp_path))
    assert result.returncode == 2
    assert "realtime data init" in result.stderr


def test_scenario_command_round_trips(tmp_path, demo_data):
    result = run_cli("shake", "scenario", str(tmp_path), "--magnitude", "6.3", "--lat", "-7.96", "--lon", "110.45",
                     "--depth", "10", "--time", "2006-05-27T05:53:58", "--spacing", "0.05", "--half-width", "1")
    assert result.returncode == 0, result.stderr
    grid = tmp_path / "20060527055358" / "grid.xml"
    assert grid.exists()
    processed = run_cli("shake", "process", str(grid), "--analysis-data", str(demo_data), "--output", str(tmp_path / "out"))
    assert processed.returncode == 0, processed.stderr
    impact = json.loads((tmp_path / "out" / "20060527055358" / "impact.json").read_text())
    assert impact["exposure"]["VII"] > 0 and impact["location"]["place"]


def test_demo_runs_offline_and_prints_a_summary(demo_data, tmp_path):
    result = run_cli("demo", "--workdir", str(tmp_path), env={"ANALYSIS_DATA_DIR": str(demo_data)})
    assert result.returncode == 0, result.stderr
    for text in ("20060527055358", "People exposed per MMI class", "Estimated fatalities", "alert", "Bantul"):
        assert text in result.stdout, text
    assert (tmp_path / "shakemaps-extracted" / "20060527055358" / "impact.json").exists()


def test_help_explains_the_commands():
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("shake", "data", "demo"):
        assert command in result.stdout
    shake = run_cli("shake", "process", "--help")
    assert "grid.xml" in shake.stdout and "ANALYSIS_DATA_DIR" in shake.stdout
