"""Write an event's products into a temp folder, then swap it into place.

Readers (the web push, a duty officer's browser) never see a half-written
event folder, and a re-run replaces the previous products as a whole. A
folder holding files but no impact.json is the earlier (QGIS) system's: it is
never deleted, only set aside beside the new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

IMPACT_JSON = "impact.json"  # every event folder's record of what it holds and where it came from
SET_ASIDE_SUFFIX = ".earlier"  # <id>.earlier/: an earlier system's products, moved aside when ours replace them

# A run killed by SIGKILL or a hard time limit cannot clean up after itself. Its staging folder
# says which host and process made it, so the next run can tell a dead run's leftovers from a
# live run's work; a folder older than this is stale whoever made it (no run lasts that long).
STALE_AFTER_SECONDS = 6 * 3600
_WORK_FOLDER = re.compile(r"\.(?P<name>.+)\.(?P<host>[A-Za-z0-9_-]+)\.(?P<pid>[0-9]+)\.[^.]*\.(?:tmp|old)")


def _host() -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", socket.gethostname())[:64] or "host"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - alive, another user's: never raised for root, as tests run
        return True
    return True


def is_stale_work_folder(path: Path, now: float | None = None) -> bool:
    """A staging (`.tmp`) or retired (`.old`) folder left by a run that is no longer alive."""
    path = Path(path)
    if not (path.name.startswith(".") and path.name.endswith((".tmp", ".old")) and path.is_dir()):
        return False
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:  # pragma: no cover - removed by another run between the two calls: a race
        return False
    if age > STALE_AFTER_SECONDS:
        return True
    match = _WORK_FOLDER.fullmatch(path.name)
    return bool(match) and match.group("host") == _host() and not _pid_alive(int(match.group("pid")))


def remove_stale_work_folders(parent: Path, name: str | None = None) -> list[Path]:
    """Remove what killed runs left in `parent` (for one event `name`, or all); returns what went."""
    parent = Path(parent)
    prefix = f".{name}." if name else "."
    removed = []
    try:
        entries = list(parent.iterdir())
    except FileNotFoundError:
        return removed
    for entry in entries:
        if entry.name.startswith(prefix) and is_stale_work_folder(entry):
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry)
    return removed


@contextmanager
def replacing_folder(target: Path) -> Iterator[Path]:
    """Yield an empty temp folder beside `target`; on success it becomes `target`.

    What `target` held before is deleted when it was ours, and set aside (`set_aside_path`) when it
    was an earlier system's.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_work_folders(target.parent, target.name)
    owner = f".{target.name}.{_host()}.{os.getpid()}."
    staging = Path(tempfile.mkdtemp(prefix=owner, suffix=".tmp", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.chmod(staging, 0o755)
    retired = None
    if holds_earlier_products(target):  # not ours: kept whole, beside the new folder
        os.replace(target, set_aside_path(target))
    elif target.exists():
        retired = target.parent / f"{owner}retired.old"
        shutil.rmtree(retired, ignore_errors=True)
        os.replace(target, retired)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


def write_json(path: Path, document: dict) -> None:
    Path(path).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that readers see either the old or the new content."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def holds_earlier_products(folder: Path) -> bool:
    """Files but no impact.json: the earlier system's products (adopted as they are), never ours.

    Ours always carry impact.json, since a folder is swapped in only when complete.
    """
    folder = Path(folder)
    try:
        if (folder / IMPACT_JSON).exists():
            return False
        with os.scandir(folder) as entries:
            return any(not entry.name.startswith(".") for entry in entries)
    except (FileNotFoundError, NotADirectoryError):
        return False


def set_aside_path(target: Path) -> Path:
    """Where an earlier system's folder goes when ours replaces it: `<id>.earlier`, numbered if taken."""
    target = Path(target)
    candidate, number = target.with_name(target.name + SET_ASIDE_SUFFIX), 1
    while candidate.exists() or candidate.is_symlink():
        number += 1
        candidate = target.with_name(f"{target.name}{SET_ASIDE_SUFFIX}-{number}")
    return candidate


def input_sha256(folder: Path, document: dict) -> str | None:
    """The version an impact.json's products were made from: its input's sha256.

    A flood's impact.json names no input hash; its input is kept among the products as received
    (`products.hazard`, the snapshot), so its bytes are hashed: the same sha256 the job keys it by.
    """
    source, products = document.get("input"), document.get("products")
    if isinstance(source, dict) and isinstance(source.get("sha256"), str) and source["sha256"]:
        return source["sha256"]
    kept = products.get("hazard") if isinstance(products, dict) else None
    if not isinstance(kept, str) or not kept or Path(kept).name != kept or kept.startswith("."):
        return None
    digest = hashlib.sha256()
    try:
        with open(Path(folder) / kept, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def read_impact(folder: Path) -> dict | None:
    """A folder's impact.json, or None when it has none or it cannot be read."""
    try:
        document = json.loads((Path(folder) / IMPACT_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def processed_input_sha256(folder: Path) -> str | None:
    """The sha256 of the input an event folder's products were made from (from its impact.json)."""
    document = read_impact(folder)
    return input_sha256(folder, document) if document is not None else None
