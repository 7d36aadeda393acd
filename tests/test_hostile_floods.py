"""The real `realtime flood process` CLI against every hostile snapshot in tests/hostile_floods.py.

The contract for each: exit code 2, exactly one line on stderr naming the file
and the problem, no traceback, and nothing kept in FLOODMAPS_DIR or written to
the extract folder, so a refused snapshot never blocks a later valid one.
"""

from __future__ import annotations

import pytest

from conftest import FLOOD_SNAPSHOT, run_cli
from hostile_floods import CASES, VALID_FLOOD_ID, by_name


@pytest.fixture
def folders(tmp_path, jakarta_data) -> dict:
    env = {
        "FLOODMAPS_DIR": str(tmp_path / "floodmaps"),
        "REALTIME_FLOOD_EXTRACT_DIR": str(tmp_path / "extracted"),
        "ANALYSIS_DATA_DIR": str(jakarta_data),
        "REALTIME_LOCALES": "en",
        "COLUMNS": "80",  # a narrow terminal must not wrap the one-line refusal
    }
    return {"env": env, "root": tmp_path}


def files_under(folder) -> list:
    return sorted(path for path in folder.rglob("*")) if folder.exists() else []


def process(path, env: dict):
    return run_cli("flood", "process", "--source", "file", "--file", str(path), "--flood-id", VALID_FLOOD_ID, env=env)


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_snapshot_is_refused_in_one_line(case, folders):
    path = case.write(folders["root"])
    result = process(path, folders["env"])
    lines = [line for line in result.stderr.splitlines()]
    assert result.returncode == 2, (result.returncode, result.stdout[-2000:], result.stderr[-2000:])
    assert "Traceback" not in result.stdout + result.stderr
    assert len(lines) == 1 and lines[0].strip(), result.stderr[-2000:]
    assert str(path) in lines[0] and case.problem in lines[0], lines[0]
    assert files_under(folders["root"] / "floodmaps") == [] and files_under(folders["root"] / "extracted") == []


def test_a_refused_snapshot_never_blocks_a_valid_one_for_the_same_flood(folders, fixtures):
    hostile = by_name("out_of_range_coordinates").write(folders["root"])
    refused = process(hostile, folders["env"])
    assert refused.returncode == 2, refused.stderr
    accepted = process(FLOOD_SNAPSHOT, folders["env"])
    assert accepted.returncode == 0, accepted.stderr[-2000:]
    kept = folders["root"] / "floodmaps" / VALID_FLOOD_ID / "flood_data.json"
    assert kept.read_bytes() == FLOOD_SNAPSHOT.read_bytes()
    assert (folders["root"] / "extracted" / VALID_FLOOD_ID / "impact.json").is_file()
