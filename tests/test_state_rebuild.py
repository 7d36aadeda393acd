"""State that survives a move: each container's ledger may be empty, the shared volume and the web app are not.

Real parts only: the pipeline makes the products, the web app runs under gunicorn (its access log shows what
was sent), `realtime state rebuild`, `status` and `shake reprocess` run as the console command. A "move" is a
second REALTIME_STATE_DIR, empty, over the same extract folders. A web app that is down is a port where nothing
listens, as the processor sees it.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests

from conftest import FLOOD_SNAPSHOT, GRID_INITIAL, run_cli
from servers import free_port, web_app
from realtime.earthquake.scenario import write_scenario
from realtime.runtime.flood_job import handle_flood
from realtime.runtime.ledger import ledger_at
from realtime.runtime.monitor import ShakeMonitor
from realtime.runtime.outbox import flush_outbox
from realtime.runtime.rebuild import rebuild_state
from realtime.runtime.shake_job import handle_shake
from realtime.settings import Settings

USER = ("test@realtime.inasafe.org", "t3st-pass")
FLOOD_ID = "2017022105-6-rw"
OLD_ID = "20180220163351"  # GRID_INITIAL's event


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The web app, with gunicorn's access log: every request the processor sent, one line each."""
    workdir = tmp_path_factory.mktemp("web")
    log = workdir / "access.log"
    with web_app(workdir, user=USER, GUNICORN_CMD_ARGS=f"--access-logfile {log}") as base:
        yield f"{base}/realtime/api/v1/", log


def config(root: Path, state: str, data: Path, rest_url: str = "") -> dict[str, str]:
    """One container's environment: its own state folder, the shared folders under `root`."""
    env = {"SHAKEMAPS_DIR": root / "shakemaps", "SHAKEMAPS_EXTRACT_DIR": root / "extracted",
           "FLOODMAPS_DIR": root / "floodmaps", "REALTIME_FLOOD_EXTRACT_DIR": root / "flood-extracted",
           "REALTIME_HAZARD_DROP": root / "drop", "REALTIME_STATE_DIR": root / state, "ANALYSIS_DATA_DIR": data,
           "INASAFE_LOCALE": "en,id", "REALTIME_SETTLE_SECONDS": 3, "COLUMNS": 200}
    if rest_url:
        env |= {"INASAFE_REALTIME_REST_URL": rest_url, "INASAFE_REALTIME_REST_USER": USER[0],
                "INASAFE_REALTIME_REST_PASSWORD": USER[1]}
    return {name: str(value) for name, value in env.items()}


def container(root: Path, state: str, data: Path, rest_url: str = "") -> Settings:
    return Settings(**config(root, state, data, rest_url))


def offline() -> str:
    return f"http://127.0.0.1:{free_port()}/realtime/api/v1/"


def scenario(settings: Settings, minute: int) -> Path:
    origin = datetime(2024, 1, 1, 0, minute, tzinfo=timezone.utc)
    return write_scenario(settings.shakemaps_dir, 5.5, 10.0, -7.9, 110.4, origin, "Scenario", spacing=0.05,
                          half_width=1.0)


def process(settings: Settings, grid: Path) -> str:
    outcome = handle_shake(settings, grid.parent.name, str(grid), "initial")
    assert outcome.status == "done", outcome.message
    return grid.parent.name


def writes(log: Path, fragment: str, after: int = 0) -> list[str]:
    """Writes (POST, PUT; a login is none) whose path holds `fragment`, from line `after` of the access log on."""
    lines = log.read_text().splitlines()[after:]
    pattern = re.compile(r'"(?:POST|PUT) /realtime/api/v1/(?!auth/)[^" ]*' + re.escape(fragment))
    return [line for line in lines if pattern.search(line)]


def mark(log: Path) -> int:
    return len(log.read_text().splitlines())


def digest(folder: Path) -> dict[str, str]:
    """Every file under `folder`, byte for byte."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def states(settings: Settings) -> dict[str, tuple[str, int]]:
    return {row["event_id"]: (row["state"], row["attempts"]) for row in ledger_at(settings.state_dir).events()}


class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


def monitor_pass(settings: Settings) -> list[tuple]:
    """A monitor with this container's ledger: one reconcile of the incoming folder, settled; what it queued."""
    sent, clock = [], Clock()
    monitor = ShakeMonitor(settings, lambda *args: sent.append(args), clock=clock)
    monitor.reconcile()
    monitor.tick()
    clock.now += settings.settle_seconds + 1
    monitor.tick()
    return sent


# the move ------------------------------------------------------------------------------------------------

def test_a_new_state_dir_is_rebuilt_from_the_products_and_the_web_app(fixtures, demo_data, web, tmp_path):
    """Worker A pushes an earthquake and a flood; a second earthquake, made while the web app was unreachable,
    waits in A's outbox. A new, empty state dir: the rebuild records the first two pushed (never sent again),
    queues the second earthquake, and the outbox sends it once. The monitor queues nothing."""
    api, log = web
    a = container(tmp_path, "state-a", demo_data, api)
    first = process(a, scenario(a, 1))
    a.hazard_drop_dir.mkdir()
    shutil.copyfile(FLOOD_SNAPSHOT, a.hazard_drop_dir / "flood.json")
    flood = handle_flood(a, FLOOD_ID, "file", {"filename": str(a.hazard_drop_dir / "flood.json")})
    assert flood.status == "done", flood.message
    assert flush_outbox(a) == (2, 0)
    down = container(tmp_path, "state-a", demo_data, offline())
    second = process(down, scenario(down, 2))
    assert flush_outbox(down) == (0, 1)  # cannot connect: pending in A's outbox, which the move loses
    before = {name: digest(a.shakemaps_extract_dir / name) for name in (first, second)}

    start = mark(log)
    b = container(tmp_path, "state-b", demo_data, api)
    rebuilt = run_cli("state", "rebuild", env=config(tmp_path, "state-b", demo_data, api))
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "3 product folder(s) changed in the last 168 h: 2 in the web app (recorded pushed), " \
           "1 queued for delivery" in rebuilt.stdout
    assert writes(log, "", start) == []  # the rebuild only asks
    assert states(b) == {first: ("pushed", 0), FLOOD_ID: ("pushed", 0), second: ("done", 0)}
    assert monitor_pass(b) == []  # the monitor's reconcile over the incoming grids queues nothing

    assert flush_outbox(b) == (1, 0)
    assert writes(log, first, start) == [] and writes(log, FLOOD_ID, start) == []
    assert len(writes(log, "indicator/notify_shakemap_push/", start)) == 1  # one earthquake delivery
    assert writes(log, f"earthquake-report/{second}/", start)
    quake = requests.get(f"{api}earthquake/{second}/initial/", timeout=10).json()
    assert quake["impact"] == json.loads((b.shakemaps_extract_dir / second / "impact.json").read_text())
    assert sorted(report["language"] for report in quake["reports"]) == ["en", "id"]
    assert states(b) == {first: ("pushed", 0), FLOOD_ID: ("pushed", 0), second: ("pushed", 0)}
    assert {name: digest(b.shakemaps_extract_dir / name) for name in (first, second)} == before
    assert flush_outbox(b) == (0, 0)


def test_web_app_down_at_the_rebuild_queues_unchecked_and_sends_only_what_it_lacks(fixtures, demo_data, web,
                                                                                     tmp_path):
    api, log = web
    a = container(tmp_path, "state-a", demo_data, api)
    first = process(a, scenario(a, 3))
    assert flush_outbox(a) == (1, 0)
    second = process(container(tmp_path, "state-a", demo_data), scenario(a, 4))  # no push configured: never sent

    down = container(tmp_path, "state-b", demo_data, offline())
    summary = rebuild_state(down)  # does not raise: nothing can be asked, everything is queued
    assert (summary.folders, summary.held, summary.queued, summary.unchecked) == (2, 0, 2, 2)
    assert "cannot connect" in summary.web_down and "queued unchecked" in summary.line()

    start = mark(log)
    back = container(tmp_path, "state-b", demo_data, api)
    assert flush_outbox(back) == (2, 0)  # both settled: the first found in the web app, the second sent
    assert writes(log, first, start) == []
    sent = writes(log, second, start)
    assert "/earthquake-report/" in sent[-2] and f"/earthquake/{second}/initial/" in sent[-1]  # impact last
    assert len(writes(log, "indicator/notify_shakemap_push/", start)) == 1
    assert states(back) == {first: ("pushed", 0), second: ("pushed", 0)}


def test_a_rebuild_leaves_waiting_and_dead_deliveries_as_they_are(fixtures, demo_data, tmp_path):
    a = container(tmp_path, "state-a", demo_data)
    waiting, dead = process(a, scenario(a, 5)), process(a, scenario(a, 6))
    ledger = ledger_at(a.state_dir)
    rows = {row["event_id"]: row for row in ledger.due_pushes(include_future=True)}
    ledger.push_failed(rows[waiting]["id"], "HTTP 503", retry_in=300, status=503)
    ledger.push_dead(rows[dead]["id"], "HTTP 400 bad data", status=400)
    before = {row["event_id"]: row for row in ledger.pushes("pending") + ledger.pushes("dead")}

    summary = rebuild_state(container(tmp_path, "state-a", demo_data, offline()))
    assert (summary.folders, summary.queued, summary.kept) == (2, 0, 2)
    after = {row["event_id"]: row for row in ledger.pushes("pending") + ledger.pushes("dead")}
    assert after == before  # backoff, age, attempts and the dead verdict unchanged


# refused for good ----------------------------------------------------------------------------------------

def test_a_grid_refused_for_good_is_not_taken_up_by_another_state_dir(fixtures, demo_data, tmp_path):
    """The grid itself is wrong (here: it names another event than its folder, as a task sent straight to a
    worker may carry): the refusal is written on the shared volume and holds for every container."""
    other = "20180220163352"
    grid = tmp_path / "shakemaps" / other / "grid.xml"
    grid.parent.mkdir(parents=True)
    shutil.copyfile(GRID_INITIAL, grid)  # its XML says 20180220163351
    a = container(tmp_path, "state-a", demo_data)
    outcome = handle_shake(a, other, str(grid), "initial")
    assert outcome.status == "failed" and not outcome.retry and OLD_ID in outcome.message

    b = container(tmp_path, "state-b", demo_data)  # another container, or this one after a move
    [record] = (tmp_path / "extracted" / ".refused").iterdir()  # what tells it: a record on the shared volume
    assert json.loads(record.read_text())["reason"] == outcome.message
    redelivered = handle_shake(b, other, str(grid), "initial")  # a task sent before the refusal
    assert redelivered.status == "already-refused"
    [row] = ledger_at(b.state_dir).events(other)
    assert row["state"] == "failed" and "refused for good" in row["error"] and row["attempts"] == 0
    assert not (tmp_path / "extracted" / other).exists()

    c = container(tmp_path, "state-c", demo_data)
    summary = rebuild_state(c)
    assert (summary.refusals, summary.folders, summary.skipped) == (1, 0, 0)  # .refused is no event folder
    assert states(c) == {other: ("failed", 0)}


def test_a_grid_refused_for_this_hosts_data_is_tried_again_by_another_container(fixtures, demo_data, tmp_path):
    """Missing analysis data is the container's problem, not the grid's: no record on the shared volume, so a
    container that has the data (another host, or this one once the mount is fixed) processes the grid."""
    grid = tmp_path / "shakemaps" / OLD_ID / "grid.xml"
    grid.parent.mkdir(parents=True)
    shutil.copyfile(GRID_INITIAL, grid)
    a = container(tmp_path, "state-a", tmp_path / "no-analysis-data")
    outcome = handle_shake(a, OLD_ID, str(grid), "initial")
    assert outcome.status == "failed" and not outcome.retry and "no-analysis-data" in outcome.message
    assert not (tmp_path / "extracted" / ".refused").exists()
    assert handle_shake(a, OLD_ID, str(grid), "initial").status != "done"  # this container remembers

    b = container(tmp_path, "state-b", demo_data)
    [(event_id, _, _, _)] = monitor_pass(b)  # queued again: nothing says the grid is wrong
    assert event_id == OLD_ID
    assert handle_shake(b, OLD_ID, str(grid), "initial").status == "done"

    grid.write_bytes(GRID_INITIAL.read_bytes() + b"<!-- corrected by BMKG -->\n")  # a new version
    [(event_id, _, _, task_id)] = monitor_pass(b)
    assert event_id == OLD_ID and hashlib.sha256(grid.read_bytes()).hexdigest()[:16] in task_id


# the earlier system's folders ----------------------------------------------------------------------------

def earlier_system_folder(folder: Path) -> dict[str, str]:
    """An extract folder as the QGIS processor left it: reports, layers, its copy of the grid; no impact.json."""
    (folder / "output").mkdir(parents=True)
    for name, size in ((f"{folder.name}-en.pdf", 3000), ("report.pdf", 2000), ("mmi.tif", 4000),
                       ("mmi-points.shp", 1500), ("mmi-points.dbf", 500)):
        (folder / name).write_bytes(hashlib.sha256(name.encode()).digest() * (size // 32))
    shutil.copyfile(GRID_INITIAL, folder / "output" / "grid.xml")
    return digest(folder)


def test_an_earlier_system_folder_is_adopted_never_reprocessed_and_set_aside_when_forced(fixtures, demo_data,
                                                                                         tmp_path):
    old = tmp_path / "extracted" / OLD_ID
    kept = earlier_system_folder(old)
    grid = tmp_path / "shakemaps" / OLD_ID / "grid.xml"
    grid.parent.mkdir(parents=True)
    shutil.copyfile(GRID_INITIAL, grid)

    a = container(tmp_path, "state-a", demo_data)
    assert monitor_pass(a) == []
    assert states(a) == {OLD_ID: ("adopted", 0)}
    outcome = handle_shake(a, OLD_ID, str(grid), "initial")  # a worker handed the grid anyway
    assert outcome.status == "adopted"
    assert digest(old) == kept and sorted(p.name for p in old.parent.iterdir()) == [OLD_ID]

    b = container(tmp_path, "state-b", demo_data)
    summary = rebuild_state(b)
    assert (summary.folders, summary.adopted, summary.queued) == (1, 1, 0)
    shown = run_cli("status", OLD_ID, env=config(tmp_path, "state-b", demo_data))
    assert shown.returncode == 0, shown.stderr
    assert "adopted" in shown.stdout and "earlier system" in shown.stdout and str(old) in shown.stdout

    forced = run_cli("shake", "reprocess", OLD_ID, env=config(tmp_path, "state-b", demo_data))
    assert forced.returncode == 0, forced.stderr
    aside = old.with_name(f"{OLD_ID}.earlier")
    assert "set aside" in forced.stdout and str(aside) in forced.stdout.replace("\n", "")
    assert digest(aside) == kept  # moved whole, never deleted
    assert (old / "impact.json").is_file() and not (old / "report.pdf").exists()
    assert sorted(p.name for p in old.parent.iterdir()) == [OLD_ID, f"{OLD_ID}.earlier"]
