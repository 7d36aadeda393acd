"""Every hostile or implausible grid is refused by `realtime shake process`: exit 2, one line, nothing written."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import GRID_INITIAL, run_cli
from hostile_grids import CASE_NAMES, FOLDER_ID, grid_xml, write_cases


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    return {case.name: case for case in write_cases(tmp_path_factory.mktemp("hostile-grids"))}


@pytest.mark.parametrize("name", CASE_NAMES)
def test_hostile_grid_is_refused_with_one_line(cases, demo_data, tmp_path, name):
    case = cases[name]
    out = tmp_path / "extracted"
    result = run_cli("shake", "process", str(case.path), "--analysis-data", str(demo_data), "--output", str(out),
                     env={"INASAFE_LOCALE": "en", "COLUMNS": "400"})
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert len(lines) == 1, result.stderr
    assert str(case.path) in lines[0], lines[0]
    assert case.problem in lines[0], lines[0]
    assert "Traceback" not in result.stderr + result.stdout
    assert not out.exists() or not any(out.rglob("*")), sorted(out.rglob("*"))


def test_corpus_is_large_enough():
    assert len(CASE_NAMES) >= 30


def test_grid_in_another_events_folder_names_both_ids(demo_data, tmp_path):
    """Event A's grid dropped in folder B must not replace A: both ids are in the reason."""
    folder = tmp_path / "shakemaps" / "20200102030406"
    folder.mkdir(parents=True)
    (folder / "grid.xml").write_bytes(grid_xml(event_id=FOLDER_ID))
    out = tmp_path / "extracted"
    result = run_cli("shake", "process", str(folder / "grid.xml"), "--analysis-data", str(demo_data),
                     "--output", str(out), env={"INASAFE_LOCALE": "", "COLUMNS": "400"})
    assert result.returncode == 2
    assert FOLDER_ID in result.stderr and "20200102030406" in result.stderr
    assert not out.exists() or not any(out.iterdir())


def test_loose_file_outside_any_event_folder_uses_the_xml_id(demo_data, tmp_path):
    loose = tmp_path / "downloads" / "quake.xml"
    loose.parent.mkdir()
    shutil.copy(GRID_INITIAL, loose)
    out = tmp_path / "extracted"
    result = run_cli("shake", "process", str(loose), "--analysis-data", str(demo_data), "--output", str(out),
                     env={"INASAFE_LOCALE": ""})
    assert result.returncode == 0, result.stderr
    impact = json.loads((out / "20180220163351" / "impact.json").read_text())
    assert impact["shake_id"] == "20180220163351"


def test_mmi_just_outside_the_scale_is_clipped_within_tolerance(demo_data, tmp_path):
    """0.98 and 12.03 are rounding at the scale's ends; they are clipped to 1 and 12, not refused."""
    folder = tmp_path / FOLDER_ID
    folder.mkdir()
    (folder / "grid.xml").write_bytes(grid_xml(mmi=("0.98", "5.0", "6.0", "12.03")))
    out = tmp_path / "extracted"
    result = run_cli("shake", "process", str(folder / "grid.xml"), "--analysis-data", str(demo_data),
                     "--output", str(out), env={"INASAFE_LOCALE": ""})
    assert result.returncode == 0, result.stderr
    impact = json.loads((out / FOLDER_ID / "impact.json").read_text())
    assert impact["shake_id"] == FOLDER_ID
