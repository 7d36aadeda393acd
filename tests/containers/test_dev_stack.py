"""The developers' stack (docker-compose.yml) from the real images: BMKG over SFTP to the web API, flood
requests from the web container (PetaBencana replayed on the project network, and a file), and faults at
container level. One stack for the whole module."""

from __future__ import annotations

import json
import re
import subprocess

import pytest
import requests

from compose_stack import (FLOOD_SNAPSHOT, GRID_INITIAL, REPLAY_SERVICE, Uploader, authorise_key, dev_stack, new_key,
                           pdf_bytes, replay_petabencana, scenario_grids)
from servers import wait_until

SERVICES = ("redis", "web", "beat", "worker", "monitor", "sftp", "sync-shakemaps", REPLAY_SERVICE)
FLOOD_ID = "2017022105-6-rw"


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    with dev_stack(tmp_path_factory.mktemp("dev-stack"), "rtdev", SERVICES) as project:
        yield project


@pytest.fixture(scope="module")
def sftp(dev, tmp_path_factory):
    key = new_key(tmp_path_factory.mktemp("bmkg-key"))
    authorise_key(dev, key)
    uploader = Uploader(dev, key)
    yield uploader
    uploader.close()


@pytest.fixture(scope="module")
def incoming(tmp_path_factory):
    return tmp_path_factory.mktemp("incoming")


def test_every_container_becomes_healthy(dev):
    states = dev.wait_healthy(expected=len(SERVICES))
    assert sorted(name.split("_")[1] for name in states) == sorted(SERVICES)


def test_only_loopback_ports_are_published(dev):
    published = subprocess.run(["docker", "port", dev.containers("web")[0]], capture_output=True, text=True).stdout
    assert published.strip() == f"8000/tcp -> 127.0.0.1:{dev.ports['web']}"
    for service in ("sftp", "sync-shakemaps", "worker", "redis"):
        mapping = subprocess.run(["docker", "port", dev.containers(service)[0]], capture_output=True, text=True).stdout
        assert all(line.split(" -> ")[1].startswith("127.0.0.1:") for line in mapping.splitlines()), (service, mapping)


def test_a_grid_uploaded_over_sftp_becomes_an_event_with_both_pdfs(dev, sftp):
    sftp.put(GRID_INITIAL, "20180220163351")
    event = dev.wait_event("20180220163351")
    assert event["magnitude"] == 5.0 and event["location"]["coordinates"] == [124.42, 1.34]
    assert sorted(report["language"] for report in event["reports"]) == ["en", "id"]
    for report in event["reports"]:
        assert pdf_bytes(report["report_pdf"]).startswith(b"%PDF-"), report["report_pdf"]
    rows = dev.rows_in("20180220163351", "pushed")
    assert len(rows) == 1 and rows[0]["attempts"] == 1


def flooded_areas(snapshot) -> int:
    """RW areas flooded as the report counts them (state 2 or more; 1 is "use caution"), from the fixture itself."""
    return sum(1 for feature in json.loads(snapshot.read_text())["features"] if feature["properties"]["state"] >= 2)


def test_requestflood_in_the_web_container_makes_a_flood_report_from_petabencana(dev):
    replay_petabencana(dev, FLOOD_SNAPSHOT)
    sent = dev.exec("web", "python", "manage.py", "requestflood")  # the default source: PetaBencana
    assert b"sent realtime.tasks.flood.process_flood" in sent.stdout

    def pushed_from_petabencana():  # the processor names the flood after the current hour
        return [row for row in dev.rows_in("%-rw", "pushed") if row["event_id"] != FLOOD_ID] or None

    (row, *_) = wait_until(pushed_from_petabencana, 300, interval=1, what="a flood from PetaBencana pushed")
    flood = dev.api_get(f"flood/{row['event_id']}/").json()
    assert flood["boundary_flooded"] == flooded_areas(FLOOD_SNAPSHOT) == 158 and flood["total_affected"] > 0
    assert flood["data_source"] == "PetaBencana.id", flood
    report = dev.api_get(f"flood-report/{row['event_id']}/en/").json()
    assert pdf_bytes(report["impact_map"]).startswith(b"%PDF-")


def test_requestflood_from_a_file_in_the_web_container_makes_a_flood_report(dev):
    dev.exec("worker", "sh", "-c", "cat > /home/realtime/hazard-drop/flood_data.json",
             stdin=FLOOD_SNAPSHOT.read_bytes())
    sent = dev.exec("web", "python", "manage.py", "requestflood", "--source", "file",
                    "--file", "/home/realtime/hazard-drop/flood_data.json", "--flood-id", FLOOD_ID)
    assert b"sent realtime.tasks.flood.process_flood" in sent.stdout
    dev.wait_state(FLOOD_ID, "pushed", timeout=300)
    flood = dev.api_get(f"flood/{FLOOD_ID}/").json()
    assert flood["boundary_flooded"] == 158 and flood["total_affected"] > 0
    report = dev.api_get(f"flood-report/{FLOOD_ID}/en/").json()
    assert pdf_bytes(report["impact_map"]).startswith(b"%PDF-")


def test_worker_killed_mid_task_completes_the_event_once(dev, sftp, incoming):
    (grid,) = scenario_grids(incoming, range(1, 2), spacing=0.025, half_width=2.0)
    event_id = grid.parent.name
    sftp.put(grid, event_id)
    # A small grid can be processed between two polls of the ledger: wait for the task to have started
    # (processing, or already past it); the branches below assert what a kill at that point must give.
    wait_until(lambda: [row for row in dev.ledger(event_id) if row["state"] in ("processing", "done", "pushed")]
               or None, 120, interval=0.5, what=f"{event_id} processing or later")
    worker = dev.containers("worker")[0]
    # Frozen first, so what it has written at the kill is what the monitor sees now: the kill can land
    # before the products are complete (the redelivered task processes again, a second attempt) or after
    # impact.json is written (the redelivered task finds this version done on the shared volume and pushes
    # it without processing again). Both must end with the event pushed once.
    subprocess.run(["docker", "pause", worker], check=True, capture_output=True)
    done_at_kill = dev.exec("monitor", "test", "-f", f"/home/realtime/shakemaps-extracted/{event_id}/impact.json",
                            check=False).returncode == 0
    subprocess.run(["docker", "kill", worker], check=True, capture_output=True)
    dev.compose("start", "worker")  # whether or not the restart policy already did
    rows = dev.wait_state(event_id, "pushed", timeout=300)
    assert len(rows) == 1 and rows[0]["attempts"] == (1 if done_at_kill else 2), (done_at_kill, rows)
    dev.wait_event(event_id)
    assert len(dev.api_get(f"earthquake/{event_id}/").json()["results"]) == 1


def test_redis_restarted_with_events_queued_loses_nothing(dev, sftp, incoming):
    dev.compose("stop", "worker")
    grids = scenario_grids(incoming, range(2, 4))
    for grid in grids:
        sftp.put(grid, grid.parent.name)
    for grid in grids:
        dev.wait_state(grid.parent.name, "queued", timeout=60)
    subprocess.run(["docker", "restart", dev.containers("redis")[0]], check=True, capture_output=True, timeout=120)
    dev.compose("start", "worker")
    for grid in grids:
        rows = dev.wait_state(grid.parent.name, "pushed", timeout=300)
        assert len(rows) == 1
        dev.wait_event(grid.parent.name)


def test_web_stopped_then_started_the_outbox_delivers(dev, sftp, incoming):
    dev.compose("stop", "web")
    (grid,) = scenario_grids(incoming, range(4, 5))
    event_id = grid.parent.name
    sftp.put(grid, event_id)
    dev.wait_state(event_id, "done", timeout=300)
    assert not dev.rows_in(event_id, "pushed")
    dev.compose("start", "web")
    rows = dev.wait_state(event_id, "pushed", timeout=300)
    assert len(rows) == 1
    event = dev.wait_event(event_id)
    assert pdf_bytes(event["reports"][0]["report_pdf"]).startswith(b"%PDF-")


def test_down_then_up_keeps_everything_and_repeats_nothing(dev, sftp, incoming):
    before_ledger = sorted((r["event_id"], r["sha256"], r["state"], r["attempts"]) for r in dev.ledger("%"))
    before_api = dev.api_get("earthquake/").json()["count"]
    dev.down(volumes=False)
    dev.up()
    dev.wait_healthy(expected=len(SERVICES))
    # a healthy monitor has finished its start-up rescan of the kept shakemaps volume: it queued nothing
    assert monitor_health(dev)["queued"] == 0
    after_ledger = sorted((r["event_id"], r["sha256"], r["state"], r["attempts"]) for r in dev.ledger("%"))
    assert after_ledger == before_ledger
    assert dev.api_get("earthquake/").json()["count"] == before_api
    event = dev.wait_event("20180220163351")
    assert pdf_bytes(event["reports"][0]["report_pdf"]).startswith(b"%PDF-")
    # the same key and host key still work (both volumes kept), and the stack still processes
    sftp.close()
    (grid,) = scenario_grids(incoming, range(5, 6))
    sftp.put(grid, grid.parent.name)
    assert len(dev.wait_state(grid.parent.name, "pushed", timeout=300)) == 1


def monitor_health(project) -> dict:
    """The monitor's own /healthz, asked inside its container (its port is not published)."""
    script = "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:8081/healthz', timeout=5).read().decode())"
    return json.loads(project.exec("monitor", "python", "-c", script).stdout)


ASH_OFFICER = ("duty-officer@realtime.example.org", "ash-" + "x7Qp2rV9" * 2)
ASH_ID = "201011050002+0700_Merapi"


def officer_session(base: str) -> requests.Session:
    """Logged in as a person does on the web page (the Realtime REST User group may add ash events)."""
    session = requests.Session()
    page = f"{base}/realtime/api-auth/login/"
    session.get(page, timeout=30)
    answer = session.post(page, data={"username": ASH_OFFICER[0], "password": ASH_OFFICER[1],
                                      "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                          headers={"Referer": page}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:300]
    return session


def test_an_ash_forecast_uploaded_on_the_page_becomes_reports_in_both_languages(dev, tmp_path_factory):
    from realtime.ash.scenario import write_scenario  # the host's processor makes the forecast, as a drill does
    from realtime.ash.volcanoes import find_volcano

    forecast = write_scenario(tmp_path_factory.mktemp("ash"), "merapi", find_volcano("Merapi"), 10, 0.01, 10, 90)
    dev.exec("web", "python", "manage.py", "createrealtimeuser", "--", *ASH_OFFICER)
    base = f"http://{dev.host}:{dev.ports['web']}"
    session = officer_session(base)
    upload = f"{base}/realtime/ash/upload/"
    form = session.get(upload, timeout=30).text
    merapi = re.search(r'<option value="(\d+)"[^>]*>Merapi</option>', form).group(1)
    answer = session.post(upload, headers={"Referer": upload}, timeout=120, data={
        "volcano": merapi, "alert_level": "awas", "event_time": "2010-11-05T00:02", "time_zone": "WIB",
        "eruption_height": "10000", "forecast_duration": "1", "csrfmiddlewaretoken": session.cookies["csrftoken"],
    }, files={"hazard_file": (forecast.name, forecast.read_bytes(), "image/tiff")})
    assert answer.status_code == 200 and "queued for processing" in answer.text, answer.text[:2000]

    def pushed():
        record = dev.api_get("ash/Merapi/20101105000200+0700/").json()
        return record if record.get("impact") and len(record["reports"]) == 2 else None

    record = wait_until(pushed, 300, interval=2, what="the ash event pushed with its reports")
    impact = record["impact"]
    assert impact["ash_id"] == ASH_ID and impact["event"]["alert_level"] == "awas"
    assert sum(impact["exposure"].values()) == pytest.approx(impact["exposure_total"])
    assert impact["summary"]["affected"] > 0  # a 10 km column over central Java reaches people
    assert sorted(report["language"] for report in record["reports"]) == ["en", "id"]
    for report in record["reports"]:
        assert pdf_bytes(report["report_map"]).startswith(b"%PDF-"), report["report_map"]
    for language, word in (("en", "Volcanic ash"), ("id", "Abu vulkanik")):
        page = requests.get(f"{base}/realtime/ash/{ASH_ID}/", cookies={"django_language": language}, timeout=30)
        assert page.status_code == 200 and "Merapi" in page.text and word in page.text, language
