"""Write an event's products into a temp folder, then swap it into place.

Readers (the web push, a duty officer's browser) never see a half-written
event folder, and a re-run replaces the previous products as a whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def replacing_folder(target: Path) -> Iterator[Path]:
    """Yield an empty temp folder beside `target`; on success it becomes `target`."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    os.chmod(staging, 0o755)
    retired = None
    if target.exists():
        retired = target.parent / f".{target.name}.{os.getpid()}.old"
        shutil.rmtree(retired, ignore_errors=True)
        os.replace(target, retired)
    os.replace(staging, target)
    if retired is not None:
        shutil.rmtree(retired, ignore_errors=True)


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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def processed_input_sha256(folder: Path) -> str | None:
    """The sha256 of the input an event folder's products were made from (from its impact.json)."""
    try:
        return json.loads((Path(folder) / "impact.json").read_text(encoding="utf-8"))["input"]["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
