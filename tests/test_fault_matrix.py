"""Faults with real processes: a killed run, a full products volume, a grid replaced mid-run.

Nothing half-written is ever published, and processing carries on once the fault passes.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import GRID_INITIAL, REPO
from stack import Stack, wait_until

pytestmark = pytest.mark.slow
SHAKE_ID = "20180220163351"


def staging_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.name.startswith(".") and p.name.endswith((".tmp", ".old")))


def test_sigkill_mid_render_leaves_staging_that_the_next_run_removes(fixtures, demo_data, tmp_path):
    out = tmp_path / "extracted"
    command = [sys.executable, "-m", "realtime", "shake", "process", str(GRID_INITIAL),
               "--analysis-data", str(demo_data), "--output", str(out)]
    env = {**os.environ, "INASAFE_LOCALE": "en,id"}
    run = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:  # products are written before the reports: once impact.json is in staging, rendering is under way
        wait_until(lambda: out.is_dir() and any((p / "impact.json").exists() for p in staging_folders(out)),
                   120, interval=0.01, what="rendering started")
    finally:
        run.kill()
        run.wait()
    assert len(staging_folders(out)) == 1 and not (out / SHAKE_ID).exists()  # nothing published

    again = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert staging_folders(out) == []
    products = json.loads((out / SHAKE_ID / "impact.json").read_text())
    assert set(products["products"]["reports"]) == {"en", "id"}


def test_stale_staging_of_a_live_run_is_kept(tmp_path):
    """Only a dead run's leftovers go: this process is alive, so its staging folder stays."""
    from realtime.event_folder import remove_stale_work_folders, replacing_folder

    with replacing_folder(tmp_path / SHAKE_ID) as staging:
        assert remove_stale_work_folders(tmp_path) == []
        assert staging.exists()
    dead = tmp_path / f".{SHAKE_ID}.{os.uname().nodename.replace('.', '-')}.999999999.abc.tmp"
    dead.mkdir()
    assert remove_stale_work_folders(tmp_path, SHAKE_ID) == [dead]


@pytest.fixture
def small_volume(tmp_path):
    """A 24 MB tmpfs as the products volume (needs root, as on our CI and machines)."""
    mount = tmp_path / "products"
    mount.mkdir()
    result = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True)
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_full_products_volume_fails_cleanly_then_resumes(fixtures, demo_data, tmp_path, small_volume):
    stack = Stack(tmp_path / "stack", demo_data)
    settings = {"SHAKEMAPS_EXTRACT_DIR": str(small_volume), "REALTIME_MAX_ATTEMPTS": "6", "REALTIME_RETRY_DELAY": "2"}
    stack.start_redis()
    try:
        stack.start_worker(**settings)
        stack.start_monitor(**settings)
        filler = small_volume / "filler.bin"
        with filler.open("wb") as stream:  # leave about 100 kB: the products need a few MB
            stream.write(b"\0" * (shutil.disk_usage(small_volume).free - 100_000))
        grid = stack.shakemaps / SHAKE_ID / "grid.xml"
        grid.parent.mkdir(parents=True)
        shutil.copyfile(GRID_INITIAL, grid)
        row = wait_until(lambda: next((r for r in stack.ledger_rows(SHAKE_ID) if r["state"] == "failed"), None),
                         120, what="failed on a full volume")
        assert "No space left on device" in row["error"] and "will retry" in row["error"]
        assert sorted(p.name for p in small_volume.iterdir()) == ["filler.bin"]  # nothing half-written
        filler.unlink()
        wait_until(lambda: (small_volume / SHAKE_ID / "impact.json").exists(), 120, what="processed after space freed")
        rows = stack.ledger_rows(SHAKE_ID)
        assert [r["state"] for r in rows] in (["done"], ["pushed"]) and rows[0]["attempts"] >= 2
        assert staging_folders(small_volume) == []
    finally:
        stack.stop_all()


def test_grid_replaced_while_processed_publishes_only_the_new_version(fixtures, demo_data, tmp_path):
    stack = Stack(tmp_path / "stack", demo_data)
    stack.start_redis()
    stack.start_web()
    try:
        stack.start_worker()
        stack.start_monitor()
        first = GRID_INITIAL.read_bytes()
        second = first.replace(b'magnitude="5.0"', b'magnitude="5.4"')
        grid = stack.shakemaps / SHAKE_ID / "grid.xml"
        grid.parent.mkdir(parents=True)
        grid.write_bytes(first)
        wait_until(lambda: any(r["state"] == "processing" for r in stack.ledger_rows(SHAKE_ID)), 120,
                   interval=0.05, what="first version processing")
        temp = grid.with_name(".grid.xml.part")
        temp.write_bytes(second)
        temp.rename(grid)
        new_sha = hashlib.sha256(second).hexdigest()
        wait_until(lambda: any(r["state"] == "pushed" and r["sha256"] == new_sha for r in stack.ledger_rows(SHAKE_ID)),
                   180, what="second version pushed")
        states = {r["sha256"]: r["state"] for r in stack.ledger_rows(SHAKE_ID)}
        assert states == {hashlib.sha256(first).hexdigest(): "superseded", new_sha: "pushed"}
        impact = json.loads((stack.root / "shakemaps-extracted" / SHAKE_ID / "impact.json").read_text())
        assert impact["input"]["sha256"] == new_sha and impact["event"]["magnitude"] == 5.4
        event = stack.api_get(f"earthquake/{SHAKE_ID}/initial/").json()
        assert event["magnitude"] == 5.4
    finally:
        stack.stop_all()
