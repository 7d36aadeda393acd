"""Keep every flood snapshot exactly as received: the history must stay true."""

from __future__ import annotations

import hashlib
from pathlib import Path

from realtime.event_folder import write_atomic
from realtime.ids import parse_flood_id

SNAPSHOT_NAME = "flood_data.json"


class SnapshotConflict(RuntimeError):
    """A different snapshot is already stored under this flood id; it is never overwritten."""


def snapshot_path(floodmaps_dir: Path, flood_id: str) -> Path:
    parse_flood_id(flood_id)  # the id becomes a folder name: validate it first
    return Path(floodmaps_dir) / flood_id / SNAPSHOT_NAME


def check_snapshot(floodmaps_dir: Path, flood_id: str, raw: bytes) -> bool:
    """True if `raw` is already kept under `flood_id`; raises SnapshotConflict if different bytes are."""
    path = snapshot_path(floodmaps_dir, flood_id)
    if not path.exists():
        return False
    stored = path.read_bytes()
    if stored == raw:
        return True
    raise SnapshotConflict(
        f"{path} already holds a different snapshot (sha256 {_digest(stored)}, new {_digest(raw)}); "
        "history is kept as first received: use another flood id for the new state"
    )


def save_snapshot(floodmaps_dir: Path, flood_id: str, raw: bytes) -> Path:
    """Write `raw` atomically; the same content again is a no-op, different content is refused."""
    path = snapshot_path(floodmaps_dir, flood_id)
    if not check_snapshot(floodmaps_dir, flood_id, raw):
        write_atomic(path, raw)
    return path


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:12]
