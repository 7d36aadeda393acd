"""`realtime.tasks.ash.process_ash` through a real worker and redis, sent by name with InaSAFE Django's keyword
arguments as JSON, as the web app's upload sends it: the raster is copied out of the hazard drop into
ASHMAPS_DIR/<ash_id>/, processed once per version, recorded in the ledger, and pushed to the live web app."""

from __future__ import annotations

import json
import shutil

import pytest

from conftest import FIXTURES
from stack import Stack, wait_until

pytestmark = pytest.mark.slow
TASK = "realtime.tasks.ash.process_ash"
MERAPI = FIXTURES / "ash" / "201702211204+0000_Merapi-hazard.tif"
ASH_ID = "201702211904+0700_Merapi"
KWARGS = {"volcano_name": "Merapi", "region": "Jawa Tengah", "latitude": -7.542, "longitude": 110.442,
          "alert_level": "siaga", "event_time": "2017-02-21T19:04:00+07:00", "eruption_height": 3000,
          "vent_height": 2968, "forecast_duration": 3}


@pytest.fixture(scope="module")
def stack(fixtures, demo_data, tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("ash-task"), demo_data)
    stack.start_redis()
    stack.start_web()
    stack.start_worker(ASHMAPS_DIR=str(stack.root / "ashmaps"), REALTIME_MAX_ATTEMPTS="2", REALTIME_RETRY_DELAY="1")
    yield stack
    stack.stop_all()


def drop(stack: Stack, name: str = "upload-1234.tif") -> str:
    """What the web app does with an upload: a copy in the hazard drop, in a folder of its own."""
    target = stack.root / "hazard-drop" / "tmp-upload" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(MERAPI, target)
    return str(target)


def run_task(stack: Stack, timeout: float = 240.0, **kwargs) -> dict:
    """Send the task by name as the web app does (JSON) and wait for what it returns."""
    from celery import Celery

    client = Celery(broker=stack.redis_url, backend=stack.redis_url)
    client.conf.update(task_serializer="json", accept_content=["json"], result_serializer="json")
    try:
        return client.send_task(TASK, kwargs=kwargs, queue="inasafe-realtime").get(timeout=timeout)
    finally:
        client.close()


def row_in(stack: Stack, event_id: str, states: tuple[str, ...], timeout: float = 240.0) -> dict:
    return wait_until(lambda: next((r for r in stack.ledger_rows(event_id) if r["state"] in states), None), timeout,
                      what=f"{event_id} in {states}")


def test_upload_is_copied_processed_and_pushed_with_its_reports(stack):
    dropped = drop(stack)
    stack.send_task(TASK, ash_file_path=dropped, **KWARGS)
    row = row_in(stack, ASH_ID, ("pushed",))
    assert row["attempts"] == 1 and row["sha256"]
    kept = stack.root / "ashmaps" / ASH_ID / "upload-1234.tif"
    assert kept.read_bytes() == MERAPI.read_bytes()  # copied before processing: the drop is temporary
    document = json.loads((stack.root / "ashmaps" / "extracted" / ASH_ID / "impact.json").read_text())
    assert document["input"]["name"] == kept.name and document["event"]["column_height_asl_m"] == 5968

    answer = stack.api_get("ash/Merapi/20170221190400+0700/")  # InaSAFE Django's address of the event
    assert answer.status_code == 200, answer.text[:300]
    record = answer.json()
    assert record["impact"] == document  # written last, so the whole version is there
    assert record["task_status"] == "SUCCESS" and record["alert_level"] == "siaga"
    assert {report["language"] for report in record["reports"]} == {"en", "id"}
    for language in ("en", "id"):
        report = stack.api_get(f"ash-report/Merapi/20170221190400+0700/{language}/")
        assert report.status_code == 200 and report.json()["report_map"]


def test_an_uploaded_event_is_completed_in_place(stack):
    """The upload page creates the event before it queues the task: the push updates that record (PUT), with the
    same volcano and time in another spelling of the offset, and does not make a second one."""
    import requests

    from stack import USER

    created = requests.post(stack.api + "ash/", auth=USER, timeout=30, data={
        "volcano_name": "Merapi", "event_time": "2017-03-01T06:30:00+07:00", "alert_level": "waspada",
        "eruption_height": 1500, "forecast_duration": 1, "task_status": "QUEUED"})
    assert created.status_code == 201, created.text[:300]
    result = run_task(stack, ash_file_path=drop(stack, "upload-5678.tif"),
                      **{**KWARGS, "event_time": "2017-03-01T06:30:00+07:00", "alert_level": "waspada",
                         "eruption_height": 1500, "forecast_duration": 1})
    assert result["status"] == "done" and result["ash_id"] == "201703010630+0700_Merapi"
    row_in(stack, "201703010630+0700_Merapi", ("pushed",))
    record = stack.api_get("ash/Merapi/20170301063000+0700/").json()
    assert record["id"] == created.json()["id"] and record["task_status"] == "SUCCESS"
    assert record["impact"]["ash_id"] == "201703010630+0700_Merapi" and len(record["reports"]) == 2
    listed = stack.api_get("ash/").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert [r["ash_id"] for r in rows].count("201703010630+0700_Merapi") == 1


def test_the_same_raster_again_is_not_processed_twice(stack):
    result = run_task(stack, ash_file_path=drop(stack, "upload-again.tif"), **KWARGS)
    assert result["status"] == "already-done" and result["ash_id"] == ASH_ID and result["success"]
    rows = stack.ledger_rows(ASH_ID)
    assert len(rows) == 1 and rows[0]["attempts"] == 1 and rows[0]["state"] == "pushed"


def test_bad_metadata_is_refused_at_once(stack):
    for changed, words in (({"alert_level": "red"}, "alert level"), ({"event_time": "2017-02-21T19:04:00"}, "offset"),
                           ({"volcano_name": "Vesuvius", "latitude": None}, "unknown volcano")):
        result = run_task(stack, ash_file_path=drop(stack), **{**KWARGS, **changed})
        assert result["success"] is False and words in result["error"], result


def test_a_raster_outside_the_drop_is_refused_and_not_retried(stack):
    outside = stack.root / "elsewhere.tif"
    shutil.copyfile(MERAPI, outside)
    stack.send_task(TASK, ash_file_path=str(outside), **{**KWARGS, "event_time": "2017-02-22T08:00:00+07:00"})
    row = row_in(stack, "201702220800+0700_Merapi", ("failed",), timeout=60)
    assert "elsewhere.tif" in row["error"] and "read only from" in row["error"] and "not retried" in row["error"]
    assert not (stack.root / "ashmaps" / "201702220800+0700_Merapi").exists()


def test_a_broken_raster_fails_once_with_its_name(stack):
    broken = stack.root / "hazard-drop" / "tmp-broken" / "broken.tif"
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"II*\x00 not a GeoTIFF at all")
    stack.send_task(TASK, ash_file_path=str(broken), **{**KWARGS, "event_time": "2017-02-23T08:00:00+07:00"})
    row = row_in(stack, "201702230800+0700_Merapi", ("failed",), timeout=60)
    assert "broken.tif" in row["error"] and "attempt 1 of 2; not retried" in row["error"]
    assert not (stack.root / "ashmaps" / "extracted" / "201702230800+0700_Merapi").exists()


def test_a_moved_worker_finds_the_pushed_event_in_the_web_app(stack, tmp_path):
    """An empty ledger (a worker on another host) rebuilds from the ash products and asks the web app at the ash
    event's own address: the version is recorded pushed, nothing is queued again."""
    from conftest import run_cli
    from realtime.runtime.ledger import ledger_at

    env = {**stack.env(), "ASHMAPS_DIR": str(stack.root / "ashmaps"), "REALTIME_STATE_DIR": str(tmp_path / "state")}
    result = run_cli("state", "rebuild", env=env)
    assert result.returncode == 0, result.stderr
    ledger = ledger_at(tmp_path / "state")
    assert [row["state"] for row in ledger.events(event_id=ASH_ID)] == ["pushed"]
    assert ledger.pending_pushes() == 0
