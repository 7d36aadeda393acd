"""Write an event's products into a temp folder, then swap it into place.

Readers (the web push, a duty officer's browser) never see a half-written
event folder, and a re-run replaces the previous products as a whole.
"""

from __future__ import annotations

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
    except PermissionError:
        return True
    return True


def is_stale_work_folder(path: Path, now: float | None = None) -> bool:
    """A staging (`.tmp`) or retired (`.old`) folder left by a run that is no longer alive."""
    path = Path(path)
    if not (path.name.startswith(".") and path.name.endswith((".tmp", ".old")) and path.is_dir()):
        return False
    try:
        age = (time.time() if now is None else now) - path.stat().st_mtime
    except FileNotFoundError:
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
    """Yield an empty temp folder beside `target`; on success it becomes `target`."""
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
    if target.exists():
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


def processed_input_sha256(folder: Path) -> str | None:
    """The sha256 of the input an event folder's products were made from (from its impact.json)."""
    try:
        return json.loads((Path(folder) / IMPACT_JSON).read_text(encoding="utf-8"))["input"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
