"""End to end with real parts: redis-server, the web app under gunicorn, `realtime worker`, `realtime monitor`.

Every fault case ends the same way: the event is in the web app once, with its reports.
"""

from __future__ import annotations

import os
import shutil
import signal
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import FLOOD_SNAPSHOT, GRID_INITIAL, GRID_PAPUA
from servers import manage
from stack import Stack, wait_until
from realtime.earthquake.scenario import write_scenario

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def stack(fixtures, demo_data, tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("stack"), demo_data)
    stack.start_redis()
    stack.start_web()
    stack.start_worker()
    stack.start_monitor()
    yield stack
    stack.stop_all()


def upload_in_chunks(source: Path, target: Path, chunks: int = 5, pause: float = 0.4) -> None:
    """Write a grid the way a slow SFTP put does: the final name, growing over a couple of seconds."""
    target.parent.mkdir(parents=True, exist_ok=True)
    data = source.read_bytes()
    step = len(data) // chunks + 1
    with target.open("wb") as stream:
        for start in range(0, len(data), step):
            stream.write(data[start:start + step])
            stream.flush()
            time.sleep(pause)


def upload_by_rename(source: Path, target: Path) -> None:
    """Write under a temp name and rename, as rsync and Syncthing do."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}.partial"
    shutil.copyfile(source, temp)
    temp.rename(target)


def event_with_reports(stack: Stack, shake_id: str, source_type: str = "initial") -> dict | None:
    response = stack.api_get(f"earthquake/{shake_id}/{source_type}/")
    if response.status_code != 200:
        return None
    body = response.json()
    return body if len(body.get("reports", [])) == 2 else None


def scenario(folder: Path, minutes: int, magnitude: float = 5.5) -> Path:
    origin = datetime(2024, 1, 1, 0, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    return write_scenario(folder, magnitude, 10.0, -7.9, 110.4, origin, "Scenario", spacing=0.05, half_width=1.0)


def test_an_uploaded_grid_becomes_reports_in_the_web_app(stack):
    upload_in_chunks(GRID_INITIAL, stack.shakemaps / "20180220163351" / "grid.xml")
    rows = stack.wait_pushed("20180220163351")
    assert len(rows) == 1 and rows[0]["attempts"] == 1
    event = wait_until(lambda: event_with_reports(stack, "20180220163351"), 30, what="event with two reports")
    assert event["magnitude"] == 5.0 and event["location"]["coordinates"] == [124.42, 1.34]
    assert sorted(report["language"] for report in event["reports"]) == ["en", "id"]
    assert stack.cli("status", "20180220163351").stdout.count("pushed") >= 1


def test_a_flood_request_from_the_web_app_becomes_a_flood_report(stack):
    drop = stack.root / "hazard-drop" / "flood_data.json"
    shutil.copyfile(FLOOD_SNAPSHOT, drop)
    manage(stack.web_env(), "requestflood", "--source", "file", "--file", str(drop), "--flood-id", "2017022105-6-rw")
    stack.wait_pushed("2017022105-6-rw", timeout=180)
    flood = stack.api_get("flood/2017022105-6-rw/").json()
    assert flood["boundary_flooded"] == 158 and flood["total_affected"] > 0  # 158 flooded + 3 "use caution"
    reports = stack.api_get("flood-report/2017022105-6-rw/en/")
    assert reports.status_code == 200
    assert (stack.root / "floodmaps" / "2017022105-6-rw" / "flood_data.json").read_bytes() == FLOOD_SNAPSHOT.read_bytes()


def test_the_same_grid_twice_is_processed_once_and_a_changed_grid_again(stack):
    target = stack.shakemaps / "20131105060809" / "output" / "grid.xml"
    upload_by_rename(GRID_PAPUA, target)
    stack.wait_pushed("20131105060809")
    os.utime(target)  # touched, same content
    upload_by_rename(GRID_PAPUA, target)  # pushed again, same content
    time.sleep(6)  # a settle and a reconcile pass
    assert len(stack.ledger_rows("20131105060809")) == 1
    changed = GRID_PAPUA.read_bytes().replace(b'magnitude="3.6"', b'magnitude="3.9"')
    temp = target.parent / ".grid.xml.new"
    temp.write_bytes(changed)
    temp.rename(target)
    wait_until(lambda: len([r for r in stack.ledger_rows("20131105060809") if r["state"] == "pushed"]) == 2, 120,
               what="second version pushed")
    wait_until(lambda: stack.api_get("earthquake/20131105060809/initial/").json()["magnitude"] == 3.9, 30,
               what="web app updated to the new version")
    assert len(stack.api_get("earthquake/20131105060809/").json()["results"]) == 1


def test_a_malformed_grid_fails_clearly_and_the_monitor_keeps_running(stack):
    target = stack.shakemaps / "20200101000000" / "grid.xml"
    target.parent.mkdir()
    target.write_text("<shakemap_grid event_id='20200101000000'><event magnitude='5'/>")
    rows = wait_until(lambda: [r for r in stack.ledger_rows("20200101000000") if r["state"] == "failed"], 30,
                      what="malformed grid marked failed")
    assert "not well-formed XML" in rows[0]["error"] and str(target) in rows[0]["error"]
    assert stack.health("monitor") == 200
    assert "20200101000000" in stack.cli("status", "--failed").stdout


def test_worker_killed_mid_task_completes_the_event_once(stack):
    folder = stack.shakemaps
    grid = scenario(folder / ".." / "incoming", 1)
    event_id = grid.parent.name
    upload_by_rename(grid, folder / event_id / "grid.xml")
    wait_until(lambda: any(r["state"] == "processing" for r in stack.ledger_rows(event_id)), 60, interval=0.05,
               what="processing started")
    stack.stop("worker", signal.SIGKILL)  # the whole worker, pool and all, mid-task
    stack.start_worker()
    rows = stack.wait_pushed(event_id, timeout=180)
    assert len(rows) == 1 and rows[0]["attempts"] == 2
    assert len(stack.api_get(f"earthquake/{event_id}/").json()["results"]) == 1
    wait_until(lambda: event_with_reports(stack, event_id), 30, what="reports after the restart")


def test_redis_restart_with_events_queued_loses_nothing(stack):
    stack.stop("worker")
    ids = []
    for minute in (2, 3):
        grid = scenario(stack.root / "incoming", minute)
        ids.append(grid.parent.name)
        upload_by_rename(grid, stack.shakemaps / grid.parent.name / "grid.xml")
    for event_id in ids:
        wait_until(lambda: any(r["state"] == "queued" for r in stack.ledger_rows(event_id)), 30, what="queued")
    stack.stop("redis")
    stack.start_redis()  # same port and data dir: the append-only file brings the queue back
    stack.start_worker()
    for event_id in ids:
        stack.wait_pushed(event_id, timeout=180)


def test_web_app_down_then_back_the_outbox_delivers(stack):
    stack.stop("web")
    grid = scenario(stack.root / "incoming", 4)
    event_id = grid.parent.name
    upload_by_rename(grid, stack.shakemaps / event_id / "grid.xml")
    wait_until(lambda: any(r["state"] == "done" for r in stack.ledger_rows(event_id)), 120, what="processed offline")
    time.sleep(4)  # a few failed delivery attempts
    assert not [r for r in stack.ledger_rows(event_id) if r["state"] == "pushed"]
    stack.start_web()
    stack.wait_pushed(event_id, timeout=120)
    wait_until(lambda: event_with_reports(stack, event_id), 30, what="reports delivered from the outbox")


def test_monitor_down_while_five_events_arrive_reconcile_picks_them_up(stack):
    stack.stop("monitor")
    ids = []
    for minute in range(10, 15):
        grid = scenario(stack.root / "incoming", minute)
        ids.append(grid.parent.name)
        upload_by_rename(grid, stack.shakemaps / grid.parent.name / "grid.xml")
    time.sleep(1)
    assert all(not stack.ledger_rows(event_id) for event_id in ids)
    stack.start_monitor()
    for event_id in ids:
        stack.wait_pushed(event_id, timeout=240)
    assert stack.health("worker") == 200


def test_a_second_monitor_is_refused(stack):
    result = stack.cli("monitor", "--polling")
    assert result.returncode == 3
    assert "another monitor already watches" in result.stderr
