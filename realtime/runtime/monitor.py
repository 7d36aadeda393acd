"""Watch the shakemaps folders and queue every new or changed grid.xml, once, when it is complete.

File events are only hints: on NFS inotify misses other clients' writes, and
uploads arrive in chunks or under temp names. So a grid is queued only after
its size and mtime have stayed the same for the settle time and it parses,
and a reconcile scan at start-up and then periodically catches anything the
events missed. What was already done is decided by content hash: this
monitor's ledger first, then the shared volume (`shared.verdict`: products of
that version, a refusal record, or the earlier system's folder), which holds
for every container, also one with an empty ledger after a move.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import socket
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from realtime.earthquake.grid import ShakeGridError, parse_shake_grid, read_grid_bytes
from realtime.ids import GRID_LOCATIONS
from realtime.runtime.jobs import ledger_for
from realtime.runtime.ledger import FINISHED, EventKey
from realtime.runtime.shared import verdict
from realtime.settings import Settings

log = logging.getLogger(__name__)
Send = Callable[[str, Path, str, str], None]  # (event id, grid path, source type, task id)


class MonitorLocked(RuntimeError):
    """Another monitor already watches this folder."""


@dataclass
class Candidate:
    root: Path
    source_type: str
    event_id: str
    size: int = -1
    mtime_ns: int = -1
    stable_since: float = 0.0
    failed_signature: tuple[int, int] | None = None
    closed: bool = False  # the writer closed it or renamed it into place: no need to wait for it to settle


def ignored(name: str) -> bool:
    """Temp and hidden files of rsync, Syncthing and SFTP clients."""
    return name.startswith(".") or name.endswith((".part", ".tmp", ".filepart", "~"))


def task_id_for(key: EventKey) -> str:
    return f"shake-{key.event_id}-{key.source_type}-{key.sha256[:16]}"


class ShakeMonitor:
    def __init__(self, settings: Settings, send: Send, clock: Callable[[], float] = time.monotonic):
        self.settings = settings
        self.send = send
        self.clock = clock
        self.ledger = ledger_for(settings)
        self.watched = [(Path(root).resolve(), source_type, re.compile(
            settings.initial_id_pattern if source_type == "initial" else settings.corrected_id_pattern))
            for root, source_type in settings.watched_dirs()]
        self.candidates: dict[Path, Candidate] = {}
        self.lock = threading.Lock()
        self.last_scan: datetime | None = None
        self.queued = 0
        self.requeue_after = settings.visibility_timeout or max(3600, 2 * settings.task_time_limit)

    # which paths matter --------------------------------------------------
    def classify(self, path: Path) -> Candidate | None:
        for root, source_type, pattern in self.watched:
            try:
                parts = Path(path).relative_to(root).parts
            except ValueError:
                continue
            if any(ignored(part) for part in parts) or "/".join(parts[1:]) not in GRID_LOCATIONS:
                return None
            if not pattern.match(parts[0]):
                return None
            return Candidate(root, source_type, parts[0])
        return None

    def notice(self, path: str | os.PathLike, closed: bool = False) -> None:
        candidate = self.classify(Path(path))
        if candidate is None:
            return
        with self.lock:
            candidate = self.candidates.setdefault(Path(path), candidate)
            candidate.closed = candidate.closed or closed

    # periodic work -------------------------------------------------------
    def reconcile(self) -> int:
        """Scan the top level of each watched folder for recent events; returns how many grids it found."""
        horizon = time.time() - self.settings.reconcile_max_age_days * 86400
        found = 0
        for root, _, pattern in self.watched:
            try:
                entries = list(os.scandir(root))
            except OSError as exc:
                log.warning("cannot scan %s: %s", root, exc)
                continue
            for entry in entries:
                if not pattern.match(entry.name) or not entry.is_dir(follow_symlinks=False):
                    continue
                if entry.stat().st_mtime < horizon:
                    continue
                for location in GRID_LOCATIONS:
                    grid = Path(entry.path) / location
                    if grid.is_file():
                        self.notice(grid)
                        found += 1
        self.last_scan = datetime.now(timezone.utc)
        return found

    def tick(self) -> None:
        """Advance every candidate: wait while it changes, queue it once it has settled and parses."""
        now = self.clock()
        with self.lock:
            items = list(self.candidates.items())
        for path, candidate in items:
            try:
                stat = path.stat()
            except (FileNotFoundError, NotADirectoryError):  # its folder went, or is a file now
                self._forget(path)  # moved away or renamed: the new name arrives as its own event
                continue
            signature = (stat.st_size, stat.st_mtime_ns)
            if signature != (candidate.size, candidate.mtime_ns):
                candidate.size, candidate.mtime_ns, candidate.stable_since = *signature, now
                if not candidate.closed:
                    continue
            if signature == candidate.failed_signature:
                continue
            settled = now - candidate.stable_since >= self.settings.settle_seconds
            if settled or candidate.closed:  # closed or renamed into place: try it without waiting
                self._settled(path, candidate, signature, settled)

    def _settled(self, path: Path, candidate: Candidate, signature: tuple[int, int], settled: bool) -> None:
        data = b""
        try:
            data = read_grid_bytes(path)  # hashed and parsed from the same bytes
            parse_shake_grid(data, name=str(path), source_type=candidate.source_type, expected_id=candidate.event_id)
        except ShakeGridError as exc:
            candidate.closed = False
            if not settled:  # closed early but incomplete: wait for it to settle
                return
            # still unparseable after settling: record it, keep running, look again if the file changes
            candidate.failed_signature = signature
            self.ledger.set_state(self._key(candidate, data), "failed", error=str(exc), path=str(path))
            log.error("grid rejected: %s", exc)
            return
        key = self._key(candidate, data)
        try:
            self.dispatch(key, path)
        except Exception as exc:  # broker down: keep the candidate, try again on the next tick
            candidate.stable_since = self.clock()
            log.warning("could not queue %s yet: %s", candidate.event_id, exc)
            return
        self._forget(path)

    @staticmethod
    def _key(candidate: Candidate, data: bytes) -> EventKey:
        """The version is the sha256 of the bytes read; none read, no version (as the worker records it)."""
        return EventKey("earthquake", candidate.event_id, candidate.source_type,
                        hashlib.sha256(data).hexdigest() if data else "")

    def dispatch(self, key: EventKey, path: Path) -> bool:
        row = self.ledger.record_seen(key, str(path))
        if row["state"] in FINISHED:
            return False
        settled = verdict(self.settings.extract_dir_for(key.source_type), key)  # by a worker on any host
        if settled:
            self.ledger.set_state(key, settled.state, error=settled.note or None)
            log.info("%s %s (%s) not queued: %s", key.source_type, key.event_id, key.sha256[:12],
                     settled.note or "processed before")
            return False
        if row["state"] in ("queued", "processing") and not self._stale(row, self.requeue_after):
            return False
        self.send(key.event_id, path, key.source_type, task_id_for(key))
        self.ledger.set_state(key, "queued")
        self.queued += 1
        log.info("queued %s %s (%s)", key.source_type, key.event_id, key.sha256[:12])
        return True

    @staticmethod
    def _stale(row: dict, after: float) -> bool:
        """Queued or processing for longer than the broker's redelivery time: the message was lost.

        Every ledger write stamps updated_at (record_seen, set_state), so a row always has one.
        """
        return (datetime.now(timezone.utc) - datetime.fromisoformat(row["updated_at"])).total_seconds() > after

    def _forget(self, path: Path) -> None:
        with self.lock:
            self.candidates.pop(path, None)


class _Hints(FileSystemEventHandler):
    def __init__(self, monitor: ShakeMonitor):
        self.monitor = monitor

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type == "moved":  # renamed into place: complete unless it fails to parse
            self.monitor.notice(os.fsdecode(event.dest_path), closed=True)
        elif event.is_directory and event.event_type == "created":
            # a grid renamed into a brand-new folder can land before the folder is watched: look now
            for location in GRID_LOCATIONS:
                grid = Path(os.fsdecode(event.src_path)) / location
                if grid.is_file():
                    self.monitor.notice(grid, closed=True)
        else:
            self.monitor.notice(os.fsdecode(event.src_path), closed=event.event_type == "closed")


LOCK_NAME = ".realtime-monitor.lock"


def acquire_lock(root: Path) -> int:
    """One monitor per folder: an exclusive lock on a hidden file inside the watched folder.

    Inside, so that it lives on the folder's own volume (writable where the monitor runs, shared
    by every host that mounts it) and never in a container's read-only root; the monitor ignores
    hidden names.
    """
    root = Path(root).resolve()
    lock_path = root / LOCK_NAME
    handle = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(handle, 200, 0).decode(errors="replace").strip()
        os.close(handle)
        raise MonitorLocked(f"another monitor already watches {root} ({holder or 'unknown holder'}; lock {lock_path})") from None
    os.ftruncate(handle, 0)
    os.pwrite(handle, f"pid {os.getpid()} on {socket.gethostname()}".encode(), 0)
    return handle


def run_monitor(settings: Settings, send: Send, stop: threading.Event, polling: bool | None = None,
                on_ready: Callable[[ShakeMonitor], None] | None = None) -> ShakeMonitor:
    """Watch until `stop` is set. The caller handles signals and the health endpoint."""
    locks = []
    for root, _ in settings.watched_dirs():
        Path(root).mkdir(parents=True, exist_ok=True)
        locks.append(acquire_lock(root))
    monitor = ShakeMonitor(settings, send)
    polling = settings.monitor_polling if polling is None else polling
    observer = PollingObserver(timeout=settings.poll_interval) if polling else Observer()
    for root, _, _ in monitor.watched:
        observer.schedule(_Hints(monitor), str(root), recursive=True)
    observer.start()
    try:
        log.info("watching %s (%s)", ", ".join(str(r) for r, _, _ in monitor.watched), "polling" if polling else "inotify")
        monitor.reconcile()
        if on_ready:
            on_ready(monitor)
        next_scan = time.monotonic() + settings.reconcile_seconds
        while not stop.wait(0.5):
            try:
                monitor.tick()
                if time.monotonic() >= next_scan:
                    monitor.reconcile()
                    next_scan = time.monotonic() + settings.reconcile_seconds
            except Exception:  # a long-running service logs and carries on
                log.exception("monitor step failed; continuing")
    finally:
        observer.stop()
        observer.join(timeout=5)
        for handle in locks:
            os.close(handle)
    return monitor
