"""Every way a task can fail ends `failed` in the ledger, with its reason, and the attempts counted.

Real redis and a real `realtime worker`; tasks are sent by name as the monitor and the web app send them.
Input errors are not retried; errors that may pass are retried until REALTIME_MAX_ATTEMPTS.
"""

from __future__ import annotations

import shutil

import pytest

from conftest import FLOOD_SNAPSHOT, GRID_INITIAL
from hostile_grids import grid_xml
from stack import Stack, wait_until

pytestmark = pytest.mark.slow
SHAKE = "realtime.tasks.earthquake.process_shake"
FLOOD = "realtime.tasks.flood.process_flood"
FAST_RETRIES = {"REALTIME_MAX_ATTEMPTS": "2", "REALTIME_RETRY_DELAY": "1", "INASAFE_LOCALE": "en"}


@pytest.fixture(scope="module")
def stack(fixtures, jakarta_data, tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("failures"), jakarta_data)
    stack.start_redis()
    yield stack
    stack.stop_all()


@pytest.fixture
def worker(stack):
    """A worker per test, so each can give it its own settings."""
    started = []

    def start(**extra_env: str) -> Stack:
        stack.start_worker(**{**FAST_RETRIES, **extra_env})
        started.append(True)
        return stack

    yield start
    stack.stop("worker")


def finished(stack: Stack, event_id: str, attempts: int, timeout: float = 90.0) -> dict:
    """The one ledger row of `event_id` once it is failed after `attempts` attempts."""
    def row():
        rows = stack.ledger_rows(event_id)
        done = [r for r in rows if r["state"] == "failed" and r["attempts"] == attempts]
        return done[0] if done else None
    return wait_until(row, timeout, what=f"{event_id} failed after {attempts} attempt(s)")


def put_grid(stack: Stack, folder_id: str, data: bytes) -> str:
    path = stack.shakemaps / folder_id / "grid.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return str(path)


def test_implausible_grid_fails_once_with_the_file_and_value(stack, worker):
    worker()
    path = put_grid(stack, "20200102030405", grid_xml(mmi=("4.0", "-41", "6.0", "7.0")))
    stack.send_task(SHAKE, event_id="20200102030405", grid_file=path)
    row = finished(stack, "20200102030405", attempts=1)
    assert path in row["error"] and "MMI=-41" in row["error"] and "not retried" in row["error"]
    assert not (stack.root / "shakemaps-extracted" / "20200102030405").exists()


def test_grid_of_another_event_fails_with_both_ids_and_writes_nothing(stack, worker):
    worker()
    path = put_grid(stack, "20180220163352", GRID_INITIAL.read_bytes())  # names 20180220163351
    stack.send_task(SHAKE, event_id="20180220163352", grid_file=path)
    row = finished(stack, "20180220163352", attempts=1)
    assert "20180220163351" in row["error"] and "20180220163352" in row["error"]
    extracted = stack.root / "shakemaps-extracted"
    assert not (extracted / "20180220163351").exists() and not (extracted / "20180220163352").exists()


def test_missing_analysis_data_fails_both_hazards_without_retry(stack, worker, tmp_path):
    worker(ANALYSIS_DATA_DIR=str(tmp_path / "no-analysis-data"))
    path = put_grid(stack, "20180220163351", GRID_INITIAL.read_bytes())
    stack.send_task(SHAKE, event_id="20180220163351", grid_file=path)
    row = finished(stack, "20180220163351", attempts=1)
    assert "no-analysis-data" in row["error"] and "not retried" in row["error"]
    drop = stack.root / "hazard-drop" / "flood.json"
    shutil.copyfile(FLOOD_SNAPSHOT, drop)
    stack.send_task(FLOOD, flood_id="2017022105-6-rw", data_source="file", data_source_args={"filename": str(drop)})
    row = finished(stack, "2017022105-6-rw", attempts=1)
    assert "no-analysis-data" in row["error"]


def test_unexpected_error_is_retried_then_failed_with_its_reason(stack, worker, tmp_path):
    """Report templates missing: not the input's fault, so tried again, then given up after the attempts."""
    (tmp_path / "empty-templates").mkdir()
    worker(REALTIME_TEMPLATES_DIR=str(tmp_path / "empty-templates"))
    path = put_grid(stack, "20180220163351", GRID_INITIAL.read_bytes() + b"<!-- another version -->\n")
    stack.send_task(SHAKE, event_id="20180220163351", grid_file=path)
    row = finished(stack, "20180220163351", attempts=2)
    assert "unexpected" in row["error"] and "attempt 2 of 2" in row["error"] and "not retried" in row["error"]
    assert not (stack.root / "shakemaps-extracted" / "20180220163351").exists()


def test_flood_refusals_and_conflicts_end_failed(stack, worker):
    worker()
    drop = stack.root / "hazard-drop"
    (drop / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    stack.send_task(FLOOD, flood_id="2017022106-6-rw", data_source="file",
                    data_source_args={"filename": str(drop / "deep.json")})
    row = finished(stack, "2017022106-6-rw", attempts=1)
    assert "deep.json" in row["error"] and "not retried" in row["error"]

    outside = stack.root / "elsewhere.json"
    shutil.copyfile(FLOOD_SNAPSHOT, outside)
    stack.send_task(FLOOD, flood_id="2017022107-6-rw", data_source="file", data_source_args={"filename": str(outside)})
    row = finished(stack, "2017022107-6-rw", attempts=1)
    assert "elsewhere.json" in row["error"] and "read only from" in row["error"]

    kept = stack.root / "floodmaps" / "2017022108-6-rw" / "flood_data.json"  # history holds another snapshot
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text('{"type": "FeatureCollection", "features": []}')
    shutil.copyfile(FLOOD_SNAPSHOT, drop / "real.json")
    stack.send_task(FLOOD, flood_id="2017022108-6-rw", data_source="file", data_source_args={"filename": str(drop / "real.json")})
    row = finished(stack, "2017022108-6-rw", attempts=1)
    assert "2017022108-6-rw" in row["error"] and "not retried" in row["error"]


def test_petabencana_down_is_retried_then_failed(stack, worker):
    from servers import free_port

    worker(REALTIME_PETABENCANA_URL=f"http://127.0.0.1:{free_port()}/floods", REALTIME_PETABENCANA_TIMEOUT="1")
    stack.send_task(FLOOD, flood_id="2017022109-6-rw", data_source="petabencana")
    row = finished(stack, "2017022109-6-rw", attempts=2, timeout=180)
    assert "attempt 2 of 2" in row["error"] and "not retried" in row["error"]


def test_worker_start_up_removes_what_killed_runs_left(stack, worker):
    import os

    extracted = stack.root / "shakemaps-extracted"
    extracted.mkdir(exist_ok=True)
    dead = extracted / f".20200102030405.{os.uname().nodename.replace('.', '-')}.999999999.x.tmp"
    (dead / "half").mkdir(parents=True)
    live = extracted / f".20200102030405.{os.uname().nodename.replace('.', '-')}.{os.getpid()}.y.tmp"
    live.mkdir()  # a run that is alive (this test process) keeps its staging folder
    worker()
    assert not dead.exists() and live.exists()
    live.rmdir()
