"""The runtime's less travelled paths, each as a duty officer or a sysadmin meets it.

Real files, real SQLite, a real second process holding the outbox lock, a real HTTP health server; the
products are the session's real ones (made by the `realtime` commands). Expected messages and counts are
worked out from the situation each test sets up, not from the code under test.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from conftest import FLOOD_SNAPSHOT, GRID_INITIAL
from servers import free_port
from realtime.ash.event import AshEventError
from realtime.ash.volcanoes import VolcanoError
from realtime.event_folder import (IMPACT_JSON, input_sha256, remove_stale_work_folders, replacing_folder,
                                   write_atomic)
from realtime.flood.history import snapshot_path
from realtime.ids import FloodIdError
from realtime.runtime.ash_job import build_event, handle_ash
from realtime.runtime.flood_job import handle_flood
from realtime.runtime.hazards import HAZARDS
from realtime.runtime.health import serve_health
from realtime.runtime.ledger import EventKey, Ledger, ledger_at
from realtime.runtime.monitor import ShakeMonitor
from realtime.runtime.outbox import deliver_pending
from realtime.runtime.rebuild import extract_roots, rebuild_state
from realtime.runtime.rest import RealtimeRest
from realtime.runtime.shared import describe, record_refusal, refusal_path, verdict
from realtime.settings import Settings

QUAKE_ID = "20180220163351"  # GRID_INITIAL's event
FLOOD_ID = "2017022105-6-rw"


def settings_in(root: Path, **extra) -> Settings:
    """One container over folders under `root`; no web app configured unless given."""
    folders = {"SHAKEMAPS_DIR": root / "shakemaps", "SHAKEMAPS_EXTRACT_DIR": root / "extracted",
               "FLOODMAPS_DIR": root / "floodmaps", "REALTIME_FLOOD_EXTRACT_DIR": root / "flood-extracted",
               "REALTIME_HAZARD_DROP": root / "drop", "ASHMAPS_DIR": root / "ashmaps",
               "REALTIME_STATE_DIR": root / "state", "REALTIME_SETTLE_SECONDS": 3,
               "ANALYSIS_DATA_DIR": root / "no-analysis-data"}  # never the work tree's var/: a clean clone has none
    return Settings(**(folders | extra))


def earlier_system_files(folder: Path) -> dict[str, bytes]:
    """A folder as the QGIS processor left it: reports and layers, no impact.json."""
    folder.mkdir(parents=True)
    files = {"report-en.pdf": b"%PDF-1.4 old report", "hazard.tif": b"II*\x00 old layer"}
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return files


# the ledger --------------------------------------------------------------------------------------------

def test_a_ledger_of_the_first_release_gets_the_new_outbox_columns_and_keeps_its_pushes(tmp_path):
    """An upgrade opens a ledger whose outbox lacks pending_since, last_status and dead_at: they are added,
    and a waiting push's age counts from when it was created, not from the upgrade."""
    path = tmp_path / "state" / "ledger.sqlite3"
    path.parent.mkdir()
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, event_id TEXT NOT NULL,
            source_type TEXT NOT NULL, sha256 TEXT NOT NULL, folder TEXT NOT NULL, state TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, next_attempt_at REAL NOT NULL, created_at TEXT,
            sent_at TEXT, UNIQUE (kind, event_id, source_type, sha256));
        INSERT INTO outbox (kind, event_id, source_type, sha256, folder, state, attempts, last_error,
            next_attempt_at, created_at) VALUES ('earthquake', '20180220163351', 'initial', 'abc', '/x', 'pending',
            2, 'HTTP 503', 0, '2024-01-01T00:00:00+00:00');
    """)
    old.commit()
    old.close()

    ledger = Ledger(path)
    [row] = ledger.pushes("pending")
    assert {"pending_since", "last_status", "dead_at"} <= set(row)
    assert row["pending_since"] == datetime(2024, 1, 1, tzinfo=timezone.utc).timestamp()  # 1704067200
    assert (row["attempts"], row["last_error"], row["event_id"]) == (2, "HTTP 503", QUAKE_ID)
    Ledger(path)  # opened again: nothing to add, nothing changed
    assert ledger.pushes("pending") == [row]


def test_the_ledger_refuses_a_state_it_does_not_know(tmp_path):
    ledger = ledger_at(tmp_path)
    key = EventKey("earthquake", QUAKE_ID, "initial", "abc")
    with pytest.raises(ValueError, match="unknown ledger state 'finished'"):
        ledger.set_state(key, "finished")
    assert ledger.get(key) is None  # nothing written
    with pytest.raises(ValueError, match="unknown outbox state 'waiting'"):
        ledger.pushes("waiting")


def test_next_push_at_is_the_earliest_pending_delivery(tmp_path):
    """What the push beat waits for: none waiting is None; a sent one no longer counts."""
    ledger = ledger_at(tmp_path)
    assert ledger.next_push_at() is None
    first, second = (EventKey("earthquake", QUAKE_ID, "initial", sha) for sha in ("a", "b"))
    ledger.enqueue_push(first, "/x")
    ledger.enqueue_push(second, "/y")
    rows = {row["sha256"]: row for row in ledger.due_pushes(include_future=True)}
    ledger.push_failed(rows["a"]["id"], "HTTP 503", retry_in=3600, status=503)
    assert ledger.next_push_at() == rows["b"]["next_attempt_at"]
    ledger.push_sent(rows["b"]["id"])
    assert ledger.next_push_at() == pytest.approx(time.time() + 3600, abs=60)


def test_retry_dead_without_an_event_puts_every_dead_delivery_back(tmp_path):
    ledger = ledger_at(tmp_path)
    for event_id in ("20180220163351", "20180220163352"):
        ledger.enqueue_push(EventKey("earthquake", event_id, "initial", "a"), "/x")
    for row in ledger.due_pushes():
        ledger.push_dead(row["id"], "HTTP 400 bad data", status=400)
    assert (ledger.count_pushes("dead"), ledger.count_pushes("pending")) == (2, 0)
    assert ledger.retry_dead() == 2
    assert (ledger.count_pushes("dead"), ledger.count_pushes("pending")) == (0, 2)
    assert all(row["dead_at"] is None for row in ledger.pushes("pending"))


def test_while_another_process_delivers_the_outbox_is_left_to_it(tmp_path, caplog):
    """Two deliverers never send the same push at once: while a real second process holds the outbox lock,
    this one waits its time, sends nothing and says why; once the lock is free it delivers (here: a folder
    that is missing, so the delivery is dead, naming the file)."""
    ledger = ledger_at(tmp_path)
    ledger.enqueue_push(EventKey("earthquake", QUAKE_ID, "initial", "a"), str(tmp_path / QUAKE_ID))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
         "print('locked', flush=True); sys.stdin.read()", str(tmp_path / "outbox.lock")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        client = RealtimeRest(f"http://127.0.0.1:{free_port()}/realtime/api/v1/", "u", "p", timeout=5)
        with caplog.at_level(logging.INFO, logger="realtime.runtime.outbox"):
            assert deliver_pending(ledger, client, force=True, wait=0.5) == (0, 1)
        assert "another process is delivering the outbox" in caplog.text
        [row] = ledger.pushes("pending")
        assert (row["attempts"], row["last_error"]) == (0, None)  # not tried
    finally:
        holder.stdin.close()
        holder.wait(10)
    assert deliver_pending(ledger, client, force=True, wait=0.5) == (0, 0)  # tried now that the lock is free:
    [row] = ledger.pushes("dead")  # its folder was never made, so there is nothing to send, ever
    assert row["last_error"] == f"{tmp_path / QUAKE_ID / IMPACT_JSON}: cannot read it (No such file or directory)"


@pytest.mark.parametrize("kind, event_id, content, problem", [
    ("earthquake", QUAKE_ID, '["not", "a", "record"]', "not an impact record (a JSON object)"),
    ("ash", "201702211904+0700_Merapi", '{"ash_id": "201702211904+0700_Merapi"}', "no 'event' in it"),
])
def test_a_product_folder_whose_impact_record_cannot_be_pushed_is_dead_naming_the_file(tmp_path, kind, event_id,
                                                                                      content, problem):
    """impact.json overwritten with something that is no record, or lacking what the web app's record is named
    by: nothing to send, ever; dead at once, without asking the web app."""
    ledger = ledger_at(tmp_path / "state")
    folder = tmp_path / event_id
    folder.mkdir()
    (folder / IMPACT_JSON).write_text(content)
    ledger.enqueue_push(EventKey(kind, event_id, "initial" if kind == "earthquake" else "", "a"), str(folder))
    client = RealtimeRest(f"http://127.0.0.1:{free_port()}/realtime/api/v1/", "u", "p", timeout=5)
    assert deliver_pending(ledger, client) == (0, 0)
    [row] = ledger.pushes("dead")
    assert row["last_error"] == f"{folder / IMPACT_JSON}: {problem}"


# what the shared volume says ---------------------------------------------------------------------------

def test_an_unreadable_refusal_record_still_refuses_and_names_its_file(tmp_path):
    """No reprocessing loop: a refusal record cut short (disk full) or overwritten still holds the version."""
    extract = tmp_path / "extracted"
    key = EventKey("earthquake", QUAKE_ID, "initial", "ab" * 32)
    path = refusal_path(extract, key)
    path.parent.mkdir(parents=True)
    path.write_text('{"kind": "earthquake", "reas')
    settled = verdict(extract, key)
    assert settled.state == "failed"
    assert f"{path}: unreadable refusal record (JSONDecodeError)" in settled.note
    path.write_text('["not", "a", "record"]')
    assert f"{path}: not a refusal record" in verdict(extract, key).note
    assert record_refusal(extract, EventKey("earthquake", QUAKE_ID, "initial", ""), "no grid") is None
    assert sorted(p.name for p in path.parent.iterdir()) == [path.name]  # a version without a hash: not kept


def test_the_rebuild_skips_what_it_cannot_trust_and_says_what(quake_initial, tmp_path, caplog):
    """Product folders that are unreadable or name another event, a refusal record that is corrupt or names
    another version, and a products root that cannot be scanned: each skipped with a warning naming it; the
    rest is restored."""
    settings = settings_in(tmp_path, REALTIME_FLOOD_EXTRACT_DIR=tmp_path / "flood-extracted-is-a-file")
    settings.flood_extract_dir.write_text("not a folder")
    extract = settings.shakemaps_extract_dir
    shutil.copytree(quake_initial.folder, extract / QUAKE_ID)
    shutil.copytree(quake_initial.folder, extract / "20180220163352")  # its impact.json names ...351
    (extract / "20180220163353").mkdir()
    (extract / "20180220163353" / IMPACT_JSON).write_text('{"event_id": ')
    refused = EventKey("earthquake", "20180220163354", "initial", "cd" * 32)
    good = record_refusal(extract, refused, "grid names another event")
    (good.parent / "earthquake.20180220163355.initial.corrupt.json").write_text("{")
    shutil.copyfile(good, refusal_path(extract, EventKey("earthquake", "20180220163356", "initial", "ef" * 32)))

    with caplog.at_level(logging.WARNING):
        summary = rebuild_state(settings)
    assert (summary.folders, summary.queued, summary.unchecked, summary.skipped, summary.refusals) == (3, 1, 1, 2, 1)
    assert sorted(summary.problems) == [f"{extract / '20180220163352'}: impact.json names earthquake '{QUAKE_ID}'",
                                        f"{extract / '20180220163353'}: impact.json unreadable"]
    assert f"cannot scan {settings.flood_extract_dir}" in caplog.text
    assert "earthquake.20180220163355.initial.corrupt.json: unreadable refusal record, skipped" in caplog.text
    assert f"{'ef' * 32}.json: names another version, skipped" in caplog.text
    rows = {row["event_id"]: row for row in ledger_at(settings.state_dir).events()}
    assert {event_id: row["state"] for event_id, row in rows.items()} == {QUAKE_ID: "done",
                                                                        "20180220163354": "failed"}
    assert "grid names another event" in rows["20180220163354"]["error"]
    assert "2 skipped; 1 refusal(s) restored" in summary.line()
    version = hashlib.sha256(GRID_INITIAL.read_bytes()).hexdigest()  # `realtime status ID` says what is there
    assert describe(extract, QUAKE_ID) == [f"{extract / QUAKE_ID}: products of version {version[:8]}"]
    assert describe(extract, "20180220163354") == [
        "version cdcdcdcd (initial) refused for good: grid names another event"]


def test_a_long_rebuild_says_how_far_it_is(tmp_path, caplog):
    """Thousands of folders take minutes: a progress line every hundred, so a sysadmin sees it is not hung."""
    settings = settings_in(tmp_path)
    for second in range(150):  # empty event folders (a run killed before its swap): passed over in silence
        (settings.shakemaps_extract_dir / f"20240101000{second // 60:01d}{second % 60:02d}").mkdir(parents=True)
    with caplog.at_level(logging.INFO, logger="realtime.runtime.rebuild"):
        summary = rebuild_state(settings)
    assert (summary.folders, summary.skipped, summary.queued) == (150, 0, 0)
    assert [r.getMessage() for r in caplog.records if " of 150 folders" in r.getMessage()] == [
        "state rebuild: 100 of 150 folders"]


def test_a_hazard_without_product_folders_is_named(tmp_path, monkeypatch):
    """A new hazard added to the HAZARDS table must say where its products are, or the rebuild would lose them."""
    monkeypatch.setitem(HAZARDS, "tsunami", HAZARDS["flood"])
    with pytest.raises(KeyError, match="hazard 'tsunami' has no row in rebuild.PRODUCT_FOLDERS"):
        extract_roots(settings_in(tmp_path))


# the monitor -------------------------------------------------------------------------------------------

class Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def monitor(tmp_path):
    settings = settings_in(tmp_path, SHAKEMAPS_CORRECTED_DIR=tmp_path / "corrected")
    for folder, _ in settings.watched_dirs():
        folder.mkdir(parents=True)
    sent, clock = [], Clock()
    return settings, ShakeMonitor(settings, lambda *args: sent.append(args), clock=clock), sent, clock


def settle(monitor: ShakeMonitor, clock: Clock) -> None:
    monitor.tick()
    clock.now += 4
    monitor.tick()


def test_files_that_are_not_an_events_grid_are_never_candidates(monitor, fixtures):
    settings, watcher, sent, clock = monitor
    for relative in ("20180220163351/.grid.xml.A1b2", "20180220163351/grid.xml.part", "20180220163351/other.xml",
                     "20180220163351/extra/grid.xml", "not-an-event/grid.xml"):
        path = settings.shakemaps_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(GRID_INITIAL, path)
        watcher.notice(path, closed=True)
    watcher.notice(Path("/elsewhere/20180220163351/grid.xml"))
    assert watcher.candidates == {}
    settle(watcher, clock)
    assert sent == [] and watcher.ledger.events() == []


def test_a_grid_moved_away_before_it_settled_is_forgotten(monitor, fixtures):
    settings, watcher, sent, clock = monitor
    grid = settings.shakemaps_dir / QUAKE_ID / "grid.xml"
    grid.parent.mkdir()
    shutil.copyfile(GRID_INITIAL, grid)
    watcher.notice(grid)
    watcher.tick()
    assert list(watcher.candidates) == [grid]
    grid.rename(grid.with_name("grid.xml.bak"))  # the uploader renamed it away
    settle(watcher, clock)
    assert watcher.candidates == {} and sent == [] and watcher.ledger.events() == []


def test_a_grid_whose_folder_became_a_file_is_forgotten_and_the_others_still_go(monitor, fixtures):
    """One odd path must not stall the monitor: every tick raised on it, and no later grid was ever queued."""
    settings, watcher, sent, clock = monitor
    odd = settings.shakemaps_dir / "20180220163352" / "grid.xml"
    odd.parent.mkdir()
    odd.write_text("a grid being uploaded")
    grid = settings.shakemaps_dir / QUAKE_ID / "grid.xml"
    grid.parent.mkdir()
    shutil.copyfile(GRID_INITIAL, grid)
    watcher.notice(odd)
    watcher.notice(grid)
    shutil.rmtree(odd.parent)
    odd.parent.write_text("the event folder replaced by a file")
    settle(watcher, clock)
    assert [s[0] for s in sent] == [QUAKE_ID]
    assert watcher.candidates == {} and [row["event_id"] for row in watcher.ledger.events()] == [QUAKE_ID]


def test_a_queued_grid_is_sent_again_only_once_its_message_must_be_lost(monitor, fixtures):
    """Queued an hour ago (the default redelivery time, 3600 s) and still not started: the broker lost the
    message, so the reconcile sends it again, under the same task id; queued a minute ago, it waits."""
    settings, watcher, sent, clock = monitor
    grid = settings.shakemaps_dir / QUAKE_ID / "grid.xml"
    grid.parent.mkdir()
    shutil.copyfile(GRID_INITIAL, grid)
    watcher.notice(grid)
    settle(watcher, clock)
    for minutes_ago, times_sent in ((1, 1), (61, 2)):
        stamp = (datetime.now(timezone.utc) - timedelta(minutes=minutes_ago)).isoformat(timespec="seconds")
        with sqlite3.connect(watcher.ledger.path) as db:
            db.execute("UPDATE events SET updated_at = ?", (stamp,))
        watcher.reconcile()
        settle(watcher, clock)
        assert len(sent) == times_sent, f"queued {minutes_ago} min ago"
    assert sent[0] == sent[1]  # the same event, grid, source type and task id


def test_a_rejected_grid_is_not_read_again_until_it_changes(monitor, fixtures, caplog):
    settings, watcher, sent, clock = monitor
    grid = settings.shakemaps_dir / QUAKE_ID / "grid.xml"
    grid.parent.mkdir()
    grid.write_bytes(GRID_INITIAL.read_bytes()[:2000])
    watcher.notice(grid)
    with caplog.at_level(logging.ERROR, logger="realtime.runtime.monitor"):
        settle(watcher, clock)
        for _ in range(3):
            clock.now += 4
            watcher.tick()
    assert len([r for r in caplog.records if r.getMessage().startswith("grid rejected")]) == 1
    assert [row["state"] for row in watcher.ledger.events(QUAKE_ID)] == ["failed"]
    assert list(watcher.candidates) == [grid]  # still watched: a fixed grid goes
    shutil.copyfile(GRID_INITIAL, grid)
    os.utime(grid, ns=(time.time_ns(), time.time_ns() + 10**9))
    settle(watcher, clock)
    assert [s[0] for s in sent] == [QUAKE_ID]


def test_a_watched_folder_gone_is_reported_and_the_other_still_scanned(monitor, fixtures, caplog):
    """A corrected-grids mount that went away must not hide the initial grids."""
    settings, watcher, sent, clock = monitor
    settings.shakemaps_corrected_dir.rmdir()
    grid = settings.shakemaps_dir / QUAKE_ID / "grid.xml"
    grid.parent.mkdir()
    shutil.copyfile(GRID_INITIAL, grid)
    with caplog.at_level(logging.WARNING, logger="realtime.runtime.monitor"):
        assert watcher.reconcile() == 1
    assert f"cannot scan {settings.shakemaps_corrected_dir.resolve()}" in caplog.text
    settle(watcher, clock)
    assert [s[0] for s in sent] == [QUAKE_ID]


# the health endpoint -----------------------------------------------------------------------------------

def test_the_health_endpoint_answers_only_healthz_and_a_failing_check_is_unhealthy():
    def broken() -> tuple[bool, dict]:
        raise sqlite3.OperationalError("database is locked")

    server = serve_health("127.0.0.1", 0, broken)
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}"
        answer = requests.get(f"{base}/healthz?probe=rancher", timeout=10)
        assert answer.status_code == 503
        assert answer.json() == {"healthy": False, "error": "OperationalError: database is locked"}
        assert requests.get(f"{base}/status", timeout=10).status_code == 404
    finally:
        server.shutdown()
        server.server_close()


# event folders -----------------------------------------------------------------------------------------

def test_a_work_folder_of_another_host_is_removed_only_once_stale(tmp_path):
    """Another host's live run cannot be checked, so its folder is kept until no run could last that long (6 h)."""
    fresh = tmp_path / f".{QUAKE_ID}.other-host.4242.x1.tmp"
    old = tmp_path / f".{QUAKE_ID}.other-host.4243.x2.tmp"
    for folder in (fresh, old):
        folder.mkdir()
    seven_hours_ago = time.time() - 7 * 3600
    os.utime(old, (seven_hours_ago, seven_hours_ago))
    assert remove_stale_work_folders(tmp_path, QUAKE_ID) == [old]
    assert fresh.is_dir() and not old.exists()


def test_a_failed_atomic_write_keeps_the_old_content_and_leaves_no_temp_file(tmp_path):
    target = tmp_path / "impact.json"
    target.mkdir()  # a folder where the file should go: the final rename fails
    (target / "kept").write_text("x")
    with pytest.raises(OSError):
        write_atomic(target, b"{}")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["impact.json"]
    assert (target / "kept").read_text() == "x"


def test_an_earlier_systems_folder_set_aside_twice_gets_a_numbered_name(tmp_path):
    target = tmp_path / QUAKE_ID
    first = earlier_system_files(target)
    earlier_system_files(tmp_path / f"{QUAKE_ID}.earlier")  # set aside by an earlier forced run
    with replacing_folder(target) as staging:
        (staging / IMPACT_JSON).write_text("{}")
    aside = tmp_path / f"{QUAKE_ID}.earlier-2"
    assert {p.name: p.read_bytes() for p in aside.iterdir()} == first
    assert sorted(p.name for p in tmp_path.iterdir()) == [QUAKE_ID, f"{QUAKE_ID}.earlier", f"{QUAKE_ID}.earlier-2"]


@pytest.mark.parametrize("kept", ["../snapshot.json", ".snapshot.json", "sub/snapshot.json", "missing.json"])
def test_a_flood_version_is_read_only_from_its_own_kept_snapshot(tmp_path, kept):
    """impact.json names the kept snapshot; a name leaving the folder, hidden, or missing is no version."""
    folder = tmp_path / "event"
    (folder / "sub").mkdir(parents=True)
    for path in (tmp_path / "snapshot.json", folder / ".snapshot.json", folder / "sub" / "snapshot.json"):
        path.write_text("{}")
    assert input_sha256(folder, {"products": {"hazard": kept}}) is None
    (folder / "snapshot.json").write_text("{}")
    assert input_sha256(folder, {"products": {"hazard": "snapshot.json"}}) == hashlib.sha256(b"{}").hexdigest()


# the flood job -----------------------------------------------------------------------------------------

def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def dropped_snapshot(settings: Settings) -> dict:
    settings.hazard_drop_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FLOOD_SNAPSHOT, settings.hazard_drop_dir / "flood.json")
    return {"filename": str(settings.hazard_drop_dir / "flood.json")}


def test_a_flood_snapshot_whose_products_are_on_the_shared_volume_is_not_processed_again(flood_products, tmp_path):
    """A worker with an empty ledger (after a move) is sent a snapshot another worker processed: the products'
    kept snapshot says so, nothing is made or pushed again."""
    settings = settings_in(tmp_path)
    shutil.copytree(flood_products.folder, settings.flood_extract_dir / FLOOD_ID)
    before = digest(settings.flood_extract_dir / FLOOD_ID)
    outcome = handle_flood(settings, FLOOD_ID, "file", dropped_snapshot(settings))
    assert (outcome.status, outcome.message) == ("already-done", "this snapshot was processed before")
    assert outcome.key.sha256 == hashlib.sha256(FLOOD_SNAPSHOT.read_bytes()).hexdigest()
    [row] = ledger_at(settings.state_dir).events(FLOOD_ID)
    assert (row["state"], row["attempts"]) == ("done", 0)
    assert ledger_at(settings.state_dir).pending_pushes() == 0
    assert digest(settings.flood_extract_dir / FLOOD_ID) == before


def test_a_flood_folder_of_the_earlier_system_is_adopted_and_left_whole(fixtures, tmp_path):
    settings = settings_in(tmp_path)
    files = earlier_system_files(settings.flood_extract_dir / FLOOD_ID)
    outcome = handle_flood(settings, FLOOD_ID, "file", dropped_snapshot(settings))
    assert outcome.status == "adopted" and "earlier system" in outcome.message
    [row] = ledger_at(settings.state_dir).events(FLOOD_ID)
    assert (row["state"], row["attempts"]) == ("adopted", 0) and "never reprocessed" in row["error"]
    assert {p.name: p.read_bytes() for p in (settings.flood_extract_dir / FLOOD_ID).iterdir()} == files
    assert not settings.floodmaps_dir.exists()  # the snapshot was not even kept


def test_an_hourly_flood_with_a_bad_duration_is_refused_naming_it(tmp_path):
    with pytest.raises(FloodIdError, match=r"duration 'six' and level 'rw'"):
        handle_flood(settings_in(tmp_path), None, "petabencana", {"duration": "six"})


def test_a_floodmaps_volume_that_cannot_be_written_fails_the_flood_for_a_retry(fixtures, jakarta_data, tmp_path):
    """Not the snapshot's fault: the attempt is failed with the path and the OS's reason, and retried."""
    settings = settings_in(tmp_path, FLOODMAPS_DIR=tmp_path / "floodmaps-mount" / "floodmaps",
                           ANALYSIS_DATA_DIR=jakarta_data, INASAFE_LOCALE="en")
    (tmp_path / "floodmaps-mount").write_text("the mount is a file")
    outcome = handle_flood(settings, FLOOD_ID, "file", dropped_snapshot(settings))
    assert outcome.status == "failed" and outcome.retry
    assert outcome.message.startswith(f"{tmp_path / 'drop' / 'flood.json'}: ")
    assert "floodmaps-mount" in outcome.message and "(attempt 1 of 3; will retry)" in outcome.message
    [row] = ledger_at(settings.state_dir).events(FLOOD_ID)
    assert (row["state"], row["attempts"], row["error"]) == ("failed", 1, outcome.message)
    assert not (settings.flood_extract_dir / FLOOD_ID).exists()


def test_a_flood_id_holding_another_snapshot_is_refused_then_given_up(fixtures, tmp_path):
    """History is kept as first received: a different snapshot under a kept flood id fails, not retried;
    a redelivered task after REALTIME_MAX_ATTEMPTS does not even read the history again."""
    settings = settings_in(tmp_path, REALTIME_MAX_ATTEMPTS=1)
    kept = snapshot_path(settings.floodmaps_dir, FLOOD_ID)
    write_atomic(kept, b'{"type": "FeatureCollection", "features": []}')
    first = handle_flood(settings, FLOOD_ID, "file", dropped_snapshot(settings))
    assert first.status == "failed" and not first.retry
    assert f"{kept} already holds a different snapshot" in first.message
    again = handle_flood(settings, FLOOD_ID, "file", dropped_snapshot(settings))
    assert (again.status, again.message) == ("gave-up", "gave up after 1 attempt")
    rows = {row["sha256"]: row for row in ledger_at(settings.state_dir).events(FLOOD_ID)}
    [row] = rows.values()
    assert (row["state"], row["attempts"], row["error"]) == ("failed", 1, "gave up after 1 attempt")


def test_a_flood_file_name_with_a_nul_byte_is_refused_in_one_line_and_not_retried(tmp_path):
    """The web app passes the file name as given; one no file can have is bad input, not an outage."""
    settings = settings_in(tmp_path)
    outcome = handle_flood(settings, FLOOD_ID, "file", {"filename": f"{settings.hazard_drop_dir}/flood\x00.json"})
    assert outcome.status == "failed" and not outcome.retry
    assert "flood\\x00.json': not a usable file name (embedded null byte)" in outcome.message
    assert "\n" not in outcome.message and "\x00" not in outcome.message
    [row] = ledger_at(settings.state_dir).events(FLOOD_ID)
    assert (row["state"], row["error"]) == ("failed", outcome.message)


# the ash job -------------------------------------------------------------------------------------------

MERAPI = {"volcano_name": "Merapi", "event_time": "2017-02-21T19:04:00+07:00", "eruption_height": 3000,
          "alert_level": "Siaga", "forecast_duration": 3}


@pytest.mark.parametrize("change, error, message", [
    ({"eruption_height": "high"}, AshEventError, "eruption height 'high' is not a number"),
    ({"eruption_height": ""}, AshEventError, "no eruption height given (m above the vent)"),
    ({"event_time": "21/02/2017 19:04"}, AshEventError, "event time '21/02/2017 19:04' is not ISO-8601"),
    ({"event_time": "2017-02-21T19:04:00"}, AshEventError, "event time 2017-02-21T19:04:00 has no UTC offset"),
    ({"forecast_duration": "1.5"}, AshEventError, "forecast duration 1.5 is not a whole number of days"),
    ({"volcano_name": "Gunung Baru", "latitude": -7.5, "longitude": 110.4}, VolcanoError,
     "unknown volcano 'Gunung Baru'"),
])
def test_an_ash_event_given_wrong_is_refused_saying_what(change, error, message):
    with pytest.raises(error) as refused:
        build_event(**(MERAPI | change))
    assert message in str(refused.value)


def test_an_ash_event_takes_a_time_object_and_a_volcano_given_in_full():
    moment = datetime(2017, 2, 21, 19, 4, tzinfo=timezone(timedelta(hours=7)))
    event = build_event(**(MERAPI | {"volcano_name": "Gunung Baru", "event_time": moment, "latitude": "-7.5",
                                    "longitude": 110.4, "elevation": 2100, "region": "Jawa Tengah"}))
    assert event.time == moment and event.alert_level == "siaga" and event.forecast_duration_days == 3
    volcano = event.volcano
    assert (volcano.name, volcano.latitude, volcano.longitude, volcano.elevation_m, volcano.region,
            volcano.source) == ("Gunung Baru", -7.5, 110.4, 2100.0, "Jawa Tengah", "given with the event")
    assert event.ash_id == "201702211904+0700_Gunung_Baru"


def ash_settings(root: Path, **extra) -> Settings:
    return settings_in(root, REALTIME_ASH_EXTRACT_DIR=root / "ash-extracted", REALTIME_MAX_ATTEMPTS=2, **extra)


def dropped_raster(settings: Settings, data: bytes) -> Path:
    """An upload in the hazard drop, as the web app leaves it."""
    settings.hazard_drop_dir.mkdir(parents=True, exist_ok=True)
    raster = settings.hazard_drop_dir / "merapi.tif"
    raster.write_bytes(data)
    return raster


def test_an_ash_upload_named_wrong_is_refused_and_recorded(tmp_path):
    settings = ash_settings(tmp_path)
    event = build_event(**MERAPI)
    missing, folder = settings.hazard_drop_dir / "merapi.tif", settings.hazard_drop_dir / "upload.tif"
    folder.mkdir(parents=True)
    for name, message in (("", "no ash_file_path given"), (str(missing), f"{missing}: no such file"),
                          (str(folder), f"{folder}: no such file")):
        outcome = handle_ash(settings, name, event)
        assert outcome.status == "failed" and not outcome.retry and outcome.message.startswith(message)
    [row] = ledger_at(settings.state_dir).events(event.ash_id)
    assert (row["state"], row["sha256"], row["error"]) == ("failed", "", outcome.message)


def test_an_ash_upload_that_is_a_symlink_loop_is_refused_and_recorded(tmp_path):
    settings = ash_settings(tmp_path)
    event = build_event(**MERAPI)
    settings.hazard_drop_dir.mkdir(parents=True)
    loop = settings.hazard_drop_dir / "merapi.tif"
    loop.symlink_to(loop)
    outcome = handle_ash(settings, str(loop), event)
    assert outcome.status == "failed" and not outcome.retry
    assert outcome.message.startswith(f"'{loop}': not a usable file name (Symlink loop")
    [row] = ledger_at(settings.state_dir).events(event.ash_id)
    assert (row["state"], row["error"]) == ("failed", outcome.message)


def test_an_ash_folder_of_the_earlier_system_is_adopted_and_left_whole(tmp_path):
    settings = ash_settings(tmp_path)
    event = build_event(**MERAPI)
    files = earlier_system_files(settings.ash_products_dir / event.ash_id)
    outcome = handle_ash(settings, str(dropped_raster(settings, b"any raster")), event)
    assert outcome.status == "adopted"
    assert {p.name: p.read_bytes() for p in (settings.ash_products_dir / event.ash_id).iterdir()} == files
    assert not settings.ashmaps_dir.exists()  # nothing copied, nothing processed


def test_a_broken_ash_raster_is_given_up_after_the_attempts(tmp_path, demo_data):
    """A redelivered task of a raster that failed REALTIME_MAX_ATTEMPTS times does not read it again."""
    settings = ash_settings(tmp_path, ANALYSIS_DATA_DIR=demo_data)  # complete data: the raster is what fails
    event = build_event(**MERAPI)
    raster = dropped_raster(settings, b"not a GeoTIFF")
    first = handle_ash(settings, str(raster), event)
    assert first.status == "failed" and not first.retry and "merapi.tif" in first.message
    second = handle_ash(settings, str(raster), event)
    assert second.status == "failed" and "(attempt 2 of 2; not retried)" in second.message
    third = handle_ash(settings, str(raster), event)
    assert (third.status, third.message) == ("gave-up", "gave up after 2 attempts")
    [row] = ledger_at(settings.state_dir).events(event.ash_id)
    assert (row["state"], row["attempts"], row["error"]) == ("failed", 2, "gave up after 2 attempts")


def test_an_ashmaps_volume_that_cannot_be_written_fails_the_upload_for_a_retry(tmp_path):
    settings = ash_settings(tmp_path)
    event = build_event(**MERAPI)
    raster = dropped_raster(settings, b"a raster")
    settings.ashmaps_dir.mkdir()
    (settings.ashmaps_dir / event.ash_id).write_text("a file where the event's folder goes")
    outcome = handle_ash(settings, str(raster), event)
    assert outcome.status == "failed" and outcome.retry
    assert outcome.message.startswith(f"{raster}: ") and str(settings.ashmaps_dir / event.ash_id) in outcome.message
    assert "(attempt 1 of 2; will retry)" in outcome.message
    assert raster.read_bytes() == b"a raster"  # the upload stays in the drop for the retry
