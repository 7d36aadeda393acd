"""What the shared volume says about an event version, for every container alike.

Each container keeps its own ledger (container-scoped storage: SQLite never
on NFS), which may be empty after a move. So whether a version needs work is
read from the extract folders on NFS, which every container mounts:

- processed: the event folder's impact.json names this version (`input_sha256`);
- refused for good: a refusal record, one small JSON file per version under
  `<extract dir>/.refused/` (hidden, so the reconcile scan, the rebuild's
  scan and the web push never take it for an event folder);
- adopted: the folder holds the earlier (QGIS) system's products and no
  impact.json. It is never reprocessed automatically, whatever the grid; an
  operator's forced reprocess replaces it and sets the old files aside.

A changed grid is a new sha256, so neither a product nor a refusal of the old
version stops it.
"""

from __future__ import annotations

import json
import logging
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from realtime.event_folder import SET_ASIDE_SUFFIX, holds_earlier_products, processed_input_sha256, write_atomic
from realtime.runtime.ledger import EventKey, now_iso

log = logging.getLogger(__name__)
REFUSED_DIR = ".refused"
ADOPTED_NOTE = "the earlier system's products (no impact.json): kept as they are, never reprocessed automatically"


@dataclass(frozen=True)
class Verdict:
    state: str  # a ledger state: done, failed or adopted
    note: str = ""


def verdict(extract_dir: Path, key: EventKey) -> Verdict | None:
    """What the shared volume already settled for this version, or None when it still needs work."""
    folder = Path(extract_dir) / key.event_id
    if key.sha256 and processed_input_sha256(folder) == key.sha256:
        return Verdict("done")
    refused = refusal_of(extract_dir, key)
    if refused is not None:
        return Verdict("failed", f"refused for good (recorded on the shared volume): {refused.get('reason', '')}")
    if holds_earlier_products(folder):
        return Verdict("adopted", ADOPTED_NOTE)
    return None


def refusal_path(extract_dir: Path, key: EventKey) -> Path:
    """One file per refused version; event ids are validated, so they are safe in a file name."""
    return Path(extract_dir) / REFUSED_DIR / f"{key.kind}.{key.event_id}.{key.source_type or '-'}.{key.sha256}.json"


def record_refusal(extract_dir: Path, key: EventKey, reason: str) -> Path | None:
    """Write down, atomically, that this version is refused for good; a version without a hash is not kept."""
    if not key.sha256:
        return None
    path = refusal_path(extract_dir, key)
    record = {"kind": key.kind, "event_id": key.event_id, "source_type": key.source_type, "sha256": key.sha256,
              "reason": reason[:1000], "at": now_iso(), "host": socket.gethostname()}
    write_atomic(path, (json.dumps(record, ensure_ascii=False, indent=1) + "\n").encode("utf-8"))
    return path


def clear_refusal(extract_dir: Path, key: EventKey) -> None:
    """The version was processed after all (an operator forced it): its refusal no longer holds."""
    if key.sha256:
        refusal_path(extract_dir, key).unlink(missing_ok=True)


def refusal_of(extract_dir: Path, key: EventKey) -> dict | None:
    """The refusal record of this version, or None. An unreadable record still refuses: no reprocessing loop."""
    if not key.sha256:
        return None
    path = refusal_path(extract_dir, key)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"reason": f"{path}: unreadable refusal record ({type(exc).__name__})"}
    return record if isinstance(record, dict) else {"reason": f"{path}: not a refusal record"}


def refusals(extract_dir: Path) -> Iterator[tuple[EventKey, str]]:
    """Every refusal recorded under one extract folder, as (version, reason)."""
    try:
        paths = sorted((Path(extract_dir) / REFUSED_DIR).glob("*.json"))
    except OSError:
        return
    for path in paths:
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            key = EventKey(record["kind"], record["event_id"], record["source_type"], record["sha256"])
        except (OSError, ValueError, KeyError, TypeError):
            log.warning("%s: unreadable refusal record, skipped", path)
            continue
        if path != refusal_path(extract_dir, key):  # a record must name the version its file name does
            log.warning("%s: names another version, skipped", path)
            continue
        yield key, str(record.get("reason", ""))


def describe(extract_dir: Path, event_id: str) -> list[str]:
    """What the shared volume holds for one (validated) event id, one line each, for `realtime status ID`."""
    folder = Path(extract_dir) / event_id
    lines = []
    version = processed_input_sha256(folder)
    if version:
        lines.append(f"{folder}: products of version {version[:8]}")
    elif holds_earlier_products(folder):
        lines.append(f"{folder}: adopted, {ADOPTED_NOTE}")
    lines += [f"{aside}: the earlier system's products, set aside when ours replaced them"
              for aside in sorted(folder.parent.glob(f"{event_id}{SET_ASIDE_SUFFIX}*")) if aside.is_dir()]
    lines += [f"version {key.sha256[:8]} ({key.source_type or key.kind}) refused for good: {reason}"
              for key, reason in refusals(extract_dir) if key.event_id == event_id]
    return lines
