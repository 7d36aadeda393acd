"""End to end with real parts: redis-server, the web app under gunicorn and its Celery worker, `realtime worker`,
`realtime monitor`, and an SMTP server for the subscribers' mail.

Every fault case ends the same way: the event is in the web app once, with its reports. What reaches the web app
is compared with the impact.json the worker wrote; what did not happen is shown by what did (a failed attempt with
its reason, a reconcile pass, a rule's log line), never by a fixed wait.
"""

from __future__ import annotations

import email
import io
import json
import os
import re
import shutil
import signal
import sys
import time
import zipfile
from datetime import datetime, timedelta, timezone
from email.policy import default as email_policy
from pathlib import Path

import lxml.html
import pytest
import requests

from conftest import FLOOD_SNAPSHOT, GRID_CORRECTED, GRID_INITIAL, GRID_PAPUA
from servers import django_shell, free_port, manage
from stack import Stack, wait_until
from realtime.earthquake.scenario import write_scenario

sys.path.append(str(Path(__file__).parent / "web"))
from smtp_inbox import smtp_server  # noqa: E402 (tests/web is not on the path when this file runs alone)

pytestmark = pytest.mark.slow

INITIAL_ID, CORRECTED_ID = GRID_INITIAL.parent.name, GRID_CORRECTED.parent.name
SUBSCRIBER = "duty@example.org"  # green and up, in a box around Sulawesi: the Minahassa quake is hers
ORANGE_ONLY = "orange@example.org"  # orange and up, anywhere: a green quake is not for her
SULAWESI = "118,-6,128,5"  # W,S,E,N; the scenario quakes near Yogyakarta are outside it


@pytest.fixture(scope="module")
def inbox():
    port = free_port()
    with smtp_server(port) as received:
        received.port = port
        yield received


@pytest.fixture(scope="module")
def stack(fixtures, demo_data, inbox, tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("stack"), demo_data, web_extra={
        "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(inbox.port),
        "DEFAULT_FROM_EMAIL": "InaSAFE Realtime <realtime@example.org>",
        # The fixture quake is from 2018: past the default 8 h, so that no rule but the one under test is at play.
        "REALTIME_NOTIFY_MAX_AGE_HOURS": "1000000",
    })
    try:
        stack.start_redis()
        stack.start_web()
        manage(stack.web_env(), "addsubscriber", SUBSCRIBER, "--min-alert", "green", "--bbox", SULAWESI)
        manage(stack.web_env(), "addsubscriber", ORANGE_ONLY, "--min-alert", "orange")
        stack.start_web_worker()
        stack.start_worker()
        stack.start_monitor()
        yield stack
    finally:
        stack.stop_all()


def upload_in_chunks(source: Path, target: Path, chunks: int = 5, pause: float = 0.4) -> None:
    """Write a grid the way a slow SFTP put does: the final name, growing over a couple of seconds.

    The pause is the simulated writer's pace, not a wait for anything: the monitor must not queue it half written.
    """
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
    return body if len(body.get("reports", [])) == 2 and body.get("impact") else None


def scenario(folder: Path, minutes: int, magnitude: float = 5.5) -> Path:
    origin = datetime(2024, 1, 1, 0, 0, tzinfo=timezone.utc) + timedelta(minutes=minutes)
    return write_scenario(folder, magnitude, 10.0, -7.9, 110.4, origin, "Scenario", spacing=0.05, half_width=1.0)


def read_impact(folder: Path) -> dict:
    return json.loads((folder / "impact.json").read_text(encoding="utf-8"))


def download(url: str) -> bytes:
    response = requests.get(url, timeout=10)
    assert response.status_code == 200, f"{url}: HTTP {response.status_code}"
    return response.content


def assert_quake_in_web(body: dict, folder: Path, grid: Path) -> None:
    """The version the web app serves is the one the worker wrote in `folder`: its record, its estimate, its files."""
    impact, written = read_impact(folder), (folder / "impact.json").read_bytes()
    event, held = impact["event"], body["impact"]
    assert (body["shake_id"], body["source_type"]) == (impact["shake_id"], impact["source_type"])
    assert body["magnitude"] == event["magnitude"] and body["depth"] == event["depth_km"]
    assert body["location"]["coordinates"] == [event["longitude"], event["latitude"]]
    assert datetime.fromisoformat(body["time"]) == datetime.fromisoformat(event["time"])
    assert body["location_description"] == event["description"]
    assert held["exposure"] == impact["exposure"]  # people per MMI class, unrounded
    assert held["exposure_total"] == impact["exposure_total"]
    fatalities = ("range", "alert", "total")
    assert [held["fatalities"][k] for k in fatalities] == [impact["fatalities"][k] for k in fatalities]
    assert held["places"] == impact["places"] and held["location"] == impact["location"]
    assert held == impact  # and nothing else lost or changed on the way
    assert download(body["shake_grid_download_url"]) == grid.read_bytes()
    with zipfile.ZipFile(io.BytesIO(download(body["mmi_layer_download_url"]))) as layers:
        assert layers.read("impact.json") == written
    for report in body["reports"]:
        assert download(report["report_pdf"]) == (folder / impact["products"]["reports"][report["language"]]["pdf"]).read_bytes()


def test_an_uploaded_grid_becomes_reports_in_the_web_app(stack):
    upload_in_chunks(GRID_INITIAL, stack.shakemaps / INITIAL_ID / "grid.xml")
    rows = stack.wait_pushed(INITIAL_ID)
    assert len(rows) == 1 and rows[0]["attempts"] == 1
    event = wait_until(lambda: event_with_reports(stack, INITIAL_ID), 30, what="event with two reports")
    # Read by hand from the grid.xml: M 5.0, 202 km deep at 124.42 E 1.34 N, 2018-02-20 16:29:28 WIB.
    assert event["magnitude"] == 5.0 and event["depth"] == 202.0 and event["location"]["coordinates"] == [124.42, 1.34]
    assert datetime.fromisoformat(event["time"]) == datetime(2018, 2, 20, 9, 29, 28, tzinfo=timezone.utc)
    assert sorted(report["language"] for report in event["reports"]) == ["en", "id"]
    assert_quake_in_web(event, stack.product_folder(INITIAL_ID), GRID_INITIAL)
    assert stack.cli("status", INITIAL_ID).stdout.count("pushed") >= 1


def mails_about(inbox, shake_id: str) -> list[tuple[list[str], email.message.EmailMessage]]:
    """(recipients, message) of every mail whose text names the shake id."""
    parsed = [(to, email.message_from_bytes(content, policy=email_policy)) for to, content in list(inbox.messages)]
    return [(to, message) for to, message in parsed
            if shake_id in message.get_body(preferencelist=("plain",)).get_content()]


def other_versions(page: str, shown: str) -> list[str] | None:
    """On the HTML list, the links to other versions in the one row whose main link is `shown`; None: no row."""
    rows = [row for row in lxml.html.fromstring(page).iter("tr")
            if row.xpath(".//td[contains(@class, 'when')]/a/@href") == [shown]]
    return [str(href) for href in rows[0].xpath(".//a[contains(@class, 'other-version')]/@href")] if rows else None


def test_a_corrected_shakemap_is_processed_linked_listed_and_notified_by_the_rules(stack, inbox):
    upload_by_rename(GRID_CORRECTED, stack.root / "shakemaps-corrected" / CORRECTED_ID / "grid.xml")
    rows = stack.wait_pushed(CORRECTED_ID)
    assert [(r["source_type"], r["attempts"]) for r in rows] == [("corrected", 1)]
    corrected = wait_until(lambda: event_with_reports(stack, CORRECTED_ID, "corrected"), 30, what="corrected reports")
    assert_quake_in_web(corrected, stack.product_folder(CORRECTED_ID, "corrected"), GRID_CORRECTED)

    # Linked: the web app pairs the versions of a quake by origin time (both grids: 2018-02-20T16:29:28WIB).
    initial = stack.api_get(f"earthquake/{INITIAL_ID}/initial/").json()
    assert initial["has_corrected"] is True and corrected["time"] == initial["time"]
    listed = [(e["shake_id"], e["source_type"]) for e in stack.api_get("earthquake/").json()["results"]
              if e["time"] == initial["time"]]
    assert sorted(listed) == [(CORRECTED_ID, "corrected"), (INITIAL_ID, "initial")]
    initial_page, corrected_page = f"/realtime/earthquake/{INITIAL_ID}/initial/", f"/realtime/earthquake/{CORRECTED_ID}/corrected/"
    listing = requests.get(f"{stack.base}/realtime/", timeout=10).text
    assert other_versions(listing, corrected_page) == [initial_page]  # the quake's row: the corrected map first
    assert other_versions(listing, initial_page) is None  # one row per quake
    detail = lxml.html.fromstring(requests.get(stack.base + initial_page, timeout=10).text)
    assert detail.xpath(f"//a[@href='{corrected_page}']/text()") == ["corrected available"]

    # The rules (events.notify_rules): a version goes to every confirmed subscriber whose alert level and box it
    # passes; a corrected map only when its alert or fatality range differs from the version before it.
    before = read_impact(stack.product_folder(INITIAL_ID))
    after = read_impact(stack.product_folder(CORRECTED_ID, "corrected"))
    assert [(v["fatalities"]["alert"], v["fatalities"]["range"]) for v in (before, after)] == [("green", "0 - 100")] * 2
    # So: the initial map to SUBSCRIBER only (ORANGE_ONLY wants orange and up), the correction to nobody.
    skipped = (f"earthquake {CORRECTED_ID}-corrected: no notifications "
               "(corrected map with the same alert level and fatality range as the version before it)")
    wait_until(lambda: skipped in stack.log("web-worker") or mails_about(inbox, CORRECTED_ID), 60,
               what="the correction's notifications planned")
    assert [(to, mail["Subject"]) for to, mail in mails_about(inbox, CORRECTED_ID)] == []
    assert skipped in stack.log("web-worker"), "web-worker.log has no planning line for the correction"
    [(to, mail)] = wait_until(lambda: mails_about(inbox, INITIAL_ID), 60, what="the initial map's email")
    place = before["location"]
    assert to == [SUBSCRIBER] and mail["Subject"].strip() == (
        f"GREEN alert – M 5.0 – {round(place['distance_km'])} km {place['direction']} of {place['place']}")
    deliveries = django_shell(stack.web_env(), (
        "from events.models import Delivery\n"
        f"for d in Delivery.objects.filter(earthquake__time__year=2018).order_by('pk'):\n"
        "    print(d.channel, d.subscriber.email, d.earthquake, d.status)\n"))
    assert deliveries.splitlines() == [f"email {SUBSCRIBER} {INITIAL_ID}-initial sent"]


def test_a_flood_request_from_the_web_app_becomes_a_flood_report(stack):
    drop = stack.root / "hazard-drop" / "flood_data.json"
    shutil.copyfile(FLOOD_SNAPSHOT, drop)
    manage(stack.web_env(), "requestflood", "--source", "file", "--file", str(drop), "--flood-id", "2017022105-6-rw")
    stack.wait_pushed("2017022105-6-rw", timeout=180)
    folder = stack.product_folder("2017022105-6-rw", "flood")
    impact = read_impact(folder)
    summary = impact["summary"]
    assert (summary["flooded_rw"], summary["caution_rw"]) == (158, 3)  # counted in the snapshot: states >= 2, and 1
    flood = stack.api_get("flood/2017022105-6-rw/").json()
    assert flood["boundary_flooded"] == 158 and flood["total_affected"] == round(summary["affected"])
    held = flood["impact"]
    assert held["summary"] == summary  # affected, displaced, RWs flooded and to watch, villages
    assert held["villages"] == impact["villages"] and held["classes"] == impact["classes"]  # per area, per state
    assert held["needs"] == impact["needs"]
    assert held == impact
    assert datetime.fromisoformat(flood["time"]) == datetime.fromisoformat(impact["time"])
    assert flood["interval"] == impact["duration_hours"] == 6
    with zipfile.ZipFile(io.BytesIO(download(flood["impact_layer"]))) as layers:
        assert layers.read("impact.json") == (folder / "impact.json").read_bytes()
        assert layers.read(impact["products"]["impact"]) == (folder / impact["products"]["impact"]).read_bytes()
    assert sorted(report["language"] for report in flood["reports"]) == ["en", "id"]
    for report in flood["reports"]:
        assert download(report["impact_map"]) == (folder / impact["products"]["reports"][report["language"]]["pdf"]).read_bytes()
    assert download(flood["flood_data_download_url"]) == FLOOD_SNAPSHOT.read_bytes()
    assert (stack.root / "floodmaps" / "2017022105-6-rw" / "flood_data.json").read_bytes() == FLOOD_SNAPSHOT.read_bytes()


def last_scan(stack: Stack) -> datetime | None:
    stamp = (stack.health_details("monitor", timeout=10) or {}).get("last_scan")
    return datetime.fromisoformat(stamp) if stamp else None


def wait_reconcile_passes(stack: Stack, since: datetime, passes: int = 3) -> None:
    """Wait for `passes` reconcile passes ending after `since`. The second begins after it and notices every grid;
    ticks every 0.5 s settle and dispatch what it noticed well before the third ends (REALTIME_RECONCILE_SECONDS)."""
    for number in range(1, passes + 1):
        since = wait_until(lambda: (scan := last_scan(stack)) and scan > since and scan, 30,
                           what=f"reconcile pass {number}")


def test_the_same_grid_twice_is_processed_once_and_a_changed_grid_again(stack):
    target = stack.shakemaps / "20131105060809" / "output" / "grid.xml"
    upload_by_rename(GRID_PAPUA, target)
    stack.wait_pushed("20131105060809")
    queued = stack.health_body("monitor")["queued"]
    since = datetime.now(timezone.utc)
    os.utime(target)  # touched, same content
    upload_by_rename(GRID_PAPUA, target)  # pushed again, same content
    wait_reconcile_passes(stack, since)
    assert stack.health_body("monitor")["queued"] == queued  # seen again, not queued again
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
    assert stack.health_body("monitor")["queued"] == queued + 1


def test_a_malformed_grid_fails_clearly_and_the_monitor_keeps_running(stack):
    target = stack.shakemaps / "20200101000000" / "grid.xml"
    target.parent.mkdir()
    target.write_text("<shakemap_grid event_id='20200101000000'><event magnitude='5'/>")
    rows = wait_until(lambda: [r for r in stack.ledger_rows("20200101000000") if r["state"] == "failed"], 30,
                      what="malformed grid marked failed")
    assert "not well-formed XML" in rows[0]["error"] and str(target) in rows[0]["error"]
    assert stack.healthy("monitor")
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
    assert stack.refuses(stack.web_port)
    grid = scenario(stack.root / "incoming", 4)
    event_id = grid.parent.name
    upload_by_rename(grid, stack.shakemaps / event_id / "grid.xml")
    wait_until(lambda: any(r["state"] == "done" for r in stack.ledger_rows(event_id)), 120, what="processed offline")
    # Every delivery attempt is written down with its reason: nothing answered at the web app's address.
    [row] = wait_until(lambda: [r for r in stack.outbox_rows(event_id) if r["attempts"] >= 2], 60,
                       what="two failed delivery attempts in the outbox")
    error = row["last_error"] or ""
    assert row["state"] == "pending" and row["last_status"] is None, row  # no HTTP answer at all
    assert f"http://127.0.0.1:{stack.web_port}/realtime/api/v1/" in error, row
    assert error.endswith("cannot connect to the web app (ConnectionError)"), row
    status = stack.cli("status", event_id).stdout
    assert "Deliveries being retried (1)" in status
    assert re.search(rf"earthquake {event_id} \(\w{{8}}\), \d+ attempts, next try .* UTC: login at .*: cannot connect "
                     r"to the web app \(ConnectionError\)", status), status
    assert not [r for r in stack.ledger_rows(event_id) if r["state"] == "pushed"]
    stack.start_web()
    stack.wait_pushed(event_id, timeout=120)
    [sent] = stack.outbox_rows(event_id)
    assert sent["state"] == "sent" and sent["attempts"] >= 2 and sent["last_error"] is None
    wait_until(lambda: event_with_reports(stack, event_id), 30, what="reports delivered from the outbox")


def test_monitor_down_while_five_events_arrive_reconcile_picks_them_up(stack):
    stack.stop("monitor")
    assert stack.refuses(stack.ports["monitor"])  # stopped: nothing answers on its health port
    written = {}
    for minute in range(10, 15):
        grid = scenario(stack.root / "incoming", minute)
        written[grid.parent.name] = grid.read_bytes()
        upload_by_rename(grid, stack.shakemaps / grid.parent.name / "grid.xml")
    for event_id, data in written.items():  # complete in the watched folder, and unknown to the ledger
        assert (stack.shakemaps / event_id / "grid.xml").read_bytes() == data and not stack.ledger_rows(event_id)
    logged = len(stack.log("monitor"))
    # This monitor re-sends a queued row only after an hour (the stack's 20 s is for the killed-worker test): with
    # one worker slot, the fifth grid may wait in the queue longer than 20 s on a loaded runner, and re-sending it
    # then is right, but would hide the double queue this test guards against.
    stack.start_monitor(REALTIME_VISIBILITY_TIMEOUT="3600")
    # Its start-up reconcile finds every grid in the folder; of them exactly these five are new and queued.
    wait_until(lambda: (stack.health_details("monitor", timeout=10) or {}).get("queued", 0) >= 5, 60,
               what="five grids queued")
    for event_id in written:
        rows = stack.wait_pushed(event_id, timeout=240)
        assert len(rows) == 1 and rows[0]["attempts"] == 1
    assert sorted(re.findall(r"queued initial (\S+)", stack.log("monitor")[logged:])) == sorted(written)
    assert stack.health_body("monitor")["queued"] == 5
    assert stack.healthy("worker")


def test_a_second_monitor_is_refused(stack):
    result = stack.cli("monitor", "--polling")
    assert result.returncode == 3
    assert "another monitor already watches" in result.stderr
