"""The shakemap monitor's decisions: settle, temp files, reconcile, duplicates, versions, one instance."""

from __future__ import annotations

import os
import shutil
import threading
import time

import pytest

from conftest import GRID_CORRECTED, GRID_INITIAL, GRID_PAPUA
from realtime.runtime.monitor import MonitorLocked, ShakeMonitor, acquire_lock, ignored, run_monitor
from realtime.settings import Settings


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(tmp_path):
    settings = Settings(SHAKEMAPS_DIR=tmp_path / "shakemaps", SHAKEMAPS_CORRECTED_DIR=tmp_path / "corrected",
                        REALTIME_STATE_DIR=tmp_path / "state", REALTIME_SETTLE_SECONDS=3)
    for folder, _ in settings.watched_dirs():
        folder.mkdir(parents=True)
    sent: list[tuple] = []
    clock = Clock()
    monitor = ShakeMonitor(settings, lambda *args: sent.append(args), clock=clock)
    return settings, monitor, sent, clock


def settle(monitor, clock, seconds=4):
    monitor.tick()
    clock.now += seconds
    monitor.tick()


def test_temp_and_hidden_names_are_ignored():
    for name in (".grid.xml.A1b2C3", "grid.xml.part", ".syncthing.grid.xml.tmp", ".stfolder", "grid.xml~"):
        assert ignored(name)
    assert not ignored("grid.xml")


def test_a_settled_grid_is_queued_once_with_a_deterministic_id(setup, fixtures):
    settings, monitor, sent, clock = setup
    grid = settings.shakemaps_dir / "20180220163351" / "grid.xml"
    grid.parent.mkdir()
    shutil.copyfile(GRID_INITIAL, grid)
    monitor.notice(grid)
    monitor.tick()
    assert sent == []  # not settled yet
    settle(monitor, clock)
    assert len(sent) == 1
    event_id, path, source_type, task_id = sent[0]
    assert (event_id, path, source_type) == ("20180220163351", grid, "initial")
    assert task_id.startswith("shake-20180220163351-initial-")
    monitor.notice(grid)  # the same content again collapses
    settle(monitor, clock)
    monitor.reconcile()
    settle(monitor, clock)
    assert len(sent) == 1


def test_a_partial_upload_is_never_queued_and_the_final_file_is(setup, fixtures):
    settings, monitor, sent, clock = setup
    grid = settings.shakemaps_dir / "20131105060809" / "output" / "grid.xml"
    grid.parent.mkdir(parents=True)
    data = GRID_PAPUA.read_bytes()
    grid.write_bytes(data[: len(data) // 2])
    monitor.notice(grid)
    settle(monitor, clock)  # settled but truncated: rejected and recorded, not queued
    assert sent == []
    failed = monitor.ledger.events(event_id="20131105060809", failed_only=True)
    assert len(failed) == 1 and "not well-formed XML" in failed[0]["error"]
    with grid.open("ab") as stream:
        stream.write(data[len(data) // 2:])
    os.utime(grid, ns=(time.time_ns(), time.time_ns() + 10**9))
    settle(monitor, clock)
    assert [s[0] for s in sent] == ["20131105060809"]


def test_a_changed_grid_is_a_new_version(setup, fixtures):
    settings, monitor, sent, clock = setup
    grid = settings.shakemaps_dir / "20180220163351" / "grid.xml"
    grid.parent.mkdir()
    shutil.copyfile(GRID_INITIAL, grid)
    monitor.notice(grid)
    settle(monitor, clock)
    grid.write_bytes(GRID_INITIAL.read_bytes().replace(b'magnitude="5.0"', b'magnitude="5.1"'))
    monitor.notice(grid)
    settle(monitor, clock)
    assert len(sent) == 2 and sent[0][3] != sent[1][3]


def test_reconcile_finds_events_in_both_layouts_and_skips_old_and_foreign_folders(setup, fixtures):
    settings, monitor, sent, clock = setup
    for layout in ("20180220163351/grid.xml", "20131105060809/output/grid.xml"):
        target = settings.shakemaps_dir / layout
        target.parent.mkdir(parents=True)
        shutil.copyfile(GRID_INITIAL if "2018" in layout else GRID_PAPUA, target)
    old = settings.shakemaps_dir / "20100101000000"
    (old / "output").mkdir(parents=True)
    shutil.copyfile(GRID_PAPUA, old / "output" / "grid.xml")
    os.utime(old, (time.time() - 30 * 86400, time.time() - 30 * 86400))
    (settings.shakemaps_dir / "not-an-event").mkdir()
    corrected = settings.shakemaps_corrected_dir / "20180220162928_50_01400_124450_20180220162928"
    corrected.mkdir()
    shutil.copyfile(GRID_CORRECTED, corrected / "grid.xml")
    assert monitor.reconcile() == 3
    settle(monitor, clock)
    assert sorted((s[0], s[2]) for s in sent) == [
        ("20131105060809", "initial"), ("20180220162928_50_01400_124450_20180220162928", "corrected"),
        ("20180220163351", "initial")]
    assert monitor.last_scan is not None


def test_only_one_monitor_per_folder(tmp_path):
    folder = tmp_path / "shakemaps"
    folder.mkdir()
    handle = acquire_lock(folder)
    try:
        with pytest.raises(MonitorLocked, match="another monitor already watches"):
            acquire_lock(folder)
    finally:
        os.close(handle)
    os.close(acquire_lock(folder))  # free again once released


def test_run_monitor_sees_a_rename_with_inotify_and_with_polling(tmp_path, fixtures):
    for polling in (False, True):
        base = tmp_path / ("poll" if polling else "inotify")
        settings = Settings(SHAKEMAPS_DIR=base / "shakemaps", REALTIME_STATE_DIR=base / "state",
                            REALTIME_SETTLE_SECONDS=0.5, REALTIME_MONITOR_POLL_INTERVAL=0.2)
        sent, stop = [], threading.Event()
        ready = threading.Event()
        thread = threading.Thread(target=run_monitor, args=(settings, lambda *a: sent.append(a), stop),
                                  kwargs={"polling": polling, "on_ready": lambda m: ready.set()})
        thread.start()
        try:
            assert ready.wait(10)
            folder = settings.shakemaps_dir / "20180220163351"
            folder.mkdir()
            temp = folder / ".grid.xml.Xy12ab"  # rsync's temp name, then a rename
            shutil.copyfile(GRID_INITIAL, temp)
            temp.rename(folder / "grid.xml")
            deadline = time.monotonic() + 15
            while not sent and time.monotonic() < deadline:
                time.sleep(0.1)
            assert [s[0] for s in sent] == ["20180220163351"], f"polling={polling}"
        finally:
            stop.set()
            thread.join(10)


def test_a_closed_or_renamed_complete_grid_goes_without_waiting(setup, fixtures):
    settings, monitor, sent, clock = setup
    grid = settings.shakemaps_dir / "20180220163351" / "grid.xml"
    grid.parent.mkdir()
    shutil.copyfile(GRID_INITIAL, grid)
    monitor.notice(grid, closed=True)
    monitor.tick()  # no settle wait: it parses
    assert [s[0] for s in sent] == ["20180220163351"]
    partial = settings.shakemaps_dir / "20131105060809" / "grid.xml"
    partial.parent.mkdir()
    partial.write_bytes(GRID_PAPUA.read_bytes()[:1000])
    monitor.notice(partial, closed=True)
    monitor.tick()  # closed but truncated: not queued, not failed yet, waits to settle
    assert len(sent) == 1 and not monitor.ledger.events(event_id="20131105060809")


def test_a_grid_naming_another_event_is_recorded_failed_and_never_queued(setup, fixtures):
    """Event A's grid dropped into folder B: failed with both ids, nothing sent."""
    settings, monitor, sent, clock = setup
    folder = settings.shakemaps_dir / "20180220163352"
    folder.mkdir(parents=True)
    shutil.copyfile(GRID_INITIAL, folder / "grid.xml")
    monitor.reconcile()
    settle(monitor, clock)
    assert sent == []
    rows = monitor.ledger.events(event_id="20180220163352")
    assert [row["state"] for row in rows] == ["failed"]
    assert "20180220163351" in rows[0]["error"] and "20180220163352" in rows[0]["error"]
