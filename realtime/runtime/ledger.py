"""The event ledger: every event version we saw, what happened to it, and the push outbox.

SQLite on local disk (REALTIME_STATE_DIR, never NFS: SQLite locking needs a
local filesystem). The monitor and the workers are separate processes, so
each call opens its own short connection; WAL mode lets readers and one
writer work at once. An event version is (kind, event id, source type,
sha256 of the input): a re-pushed grid with new content is a new version.
"""

from __future__ import annotations

import fcntl
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    kind TEXT NOT NULL, event_id TEXT NOT NULL, source_type TEXT NOT NULL, sha256 TEXT NOT NULL,
    path TEXT, state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, error TEXT,
    seen_at TEXT, queued_at TEXT, started_at TEXT, finished_at TEXT, pushed_at TEXT, updated_at TEXT,
    PRIMARY KEY (kind, event_id, source_type, sha256)
);
CREATE INDEX IF NOT EXISTS events_by_update ON events (updated_at);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL, event_id TEXT NOT NULL, source_type TEXT NOT NULL, sha256 TEXT NOT NULL, folder TEXT NOT NULL,
    state TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    next_attempt_at REAL NOT NULL, created_at TEXT, sent_at TEXT,
    pending_since REAL, last_status INTEGER, dead_at TEXT,
    UNIQUE (kind, event_id, source_type, sha256)
);
"""
# Columns added after the first release: (name, type) added to an older ledger when it is opened.
OUTBOX_ADDED_COLUMNS = (("pending_since", "REAL"), ("last_status", "INTEGER"), ("dead_at", "TEXT"))
OUTBOX_STATES = ("pending", "sent", "dead")  # dead: the web app refused it for good, or it waited too long
# superseded: a newer grid came; adopted: the earlier (QGIS) system's products are there, never reprocessed
STATES = ("seen", "queued", "processing", "done", "failed", "pushed", "superseded", "adopted")
FINISHED = ("done", "pushed", "failed", "adopted")  # nothing more to do for the version
TIMESTAMP_OF = {"seen": "seen_at", "queued": "queued_at", "processing": "started_at", "done": "finished_at",
                "failed": "finished_at", "pushed": "pushed_at", "superseded": "finished_at",
                "adopted": "finished_at"}


@dataclass(frozen=True)
class EventKey:
    kind: str  # "earthquake" or "flood"
    event_id: str
    source_type: str  # "initial", "corrected", or "" for floods
    sha256: str

    def as_tuple(self) -> tuple[str, str, str, str]:
        return (self.kind, self.event_id, self.source_type, self.sha256)


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Ledger:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.executescript(SCHEMA)
            present = {row["name"] for row in db.execute("PRAGMA table_info(outbox)")}
            for name, kind in OUTBOX_ADDED_COLUMNS:
                if name not in present:
                    db.execute(f"ALTER TABLE outbox ADD COLUMN {name} {kind}")
            db.execute("UPDATE outbox SET pending_since = COALESCE(CAST(strftime('%s', created_at) AS REAL), ?)"
                       " WHERE pending_since IS NULL", (time.time(),))

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.row_factory = sqlite3.Row
        try:
            db.execute("PRAGMA busy_timeout=30000")
            yield db
        finally:
            db.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    # events ---------------------------------------------------------------
    def record_seen(self, key: EventKey, path: str) -> dict:
        stamp = now_iso()
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO events (kind, event_id, source_type, sha256, path, state, seen_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'seen', ?, ?)",
                (*key.as_tuple(), path, stamp, stamp),
            )
            return dict(db.execute(_WHERE_KEY.format("SELECT * FROM events"), key.as_tuple()).fetchone())

    def set_state(self, key: EventKey, state: str, error: str | None = None, path: str | None = None,
                  unless: tuple[str, ...] = ()) -> bool:
        """Move the version to `state`, unless it is in one of the states `unless`; returns whether it moved."""
        if state not in STATES:
            raise ValueError(f"unknown ledger state {state!r}")
        stamp = now_iso()
        column = TIMESTAMP_OF[state]
        with self._transaction() as db:
            db.execute(
                "INSERT OR IGNORE INTO events (kind, event_id, source_type, sha256, path, state, seen_at, updated_at)"
                " VALUES (?, ?, ?, ?, ?, 'seen', ?, ?)",
                (*key.as_tuple(), path, stamp, stamp),
            )
            current = db.execute(_WHERE_KEY.format("SELECT state FROM events"), key.as_tuple()).fetchone()[0]
            if current in unless:
                return False
            db.execute(
                _WHERE_KEY.format(
                    f"UPDATE events SET state = ?, {column} = ?, updated_at = ?, error = ?, path = COALESCE(?, path)"
                ),
                (state, stamp, stamp, error, path, *key.as_tuple()),
            )
        return True

    def start_attempt(self, key: EventKey, path: str | None = None) -> int:
        """Mark the version processing and return its attempt number (1 for the first try)."""
        self.set_state(key, "processing", path=path)
        with self._transaction() as db:
            db.execute(_WHERE_KEY.format("UPDATE events SET attempts = attempts + 1"), key.as_tuple())
            return db.execute(_WHERE_KEY.format("SELECT attempts FROM events"), key.as_tuple()).fetchone()[0]

    def get(self, key: EventKey) -> dict | None:
        with self._connect() as db:
            row = db.execute(_WHERE_KEY.format("SELECT * FROM events"), key.as_tuple()).fetchone()
        return dict(row) if row else None

    def events(self, event_id: str | None = None, failed_only: bool = False, limit: int = 200) -> list[dict]:
        query = "SELECT * FROM events"
        conditions, values = [], []
        if event_id:
            conditions.append("event_id = ?")
            values.append(event_id)
        if failed_only:
            conditions.append("state = 'failed'")
        if conditions:
            query += " WHERE " + " AND ".join(conditions)
        query += " ORDER BY updated_at DESC LIMIT ?"
        with self._connect() as db:
            return [dict(row) for row in db.execute(query, (*values, limit))]

    # outbox ---------------------------------------------------------------
    def enqueue_push(self, key: EventKey, folder: str) -> None:
        """Write the push down before trying it, so a crash or an outage cannot lose it.

        A version processed again is delivered again, even when its earlier delivery was dead.
        """
        stamp = time.time()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO outbox (kind, event_id, source_type, sha256, folder, state, next_attempt_at, created_at,"
                " pending_since) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)"
                " ON CONFLICT (kind, event_id, source_type, sha256) DO UPDATE SET"
                " state = 'pending', folder = excluded.folder, next_attempt_at = excluded.next_attempt_at,"
                " pending_since = excluded.pending_since, dead_at = NULL",
                (*key.as_tuple(), folder, stamp, now_iso(), stamp),
            )

    def restore_push(self, key: EventKey, folder: str, pending_since: float) -> bool:
        """A delivery found missing from the web app at start-up; returns whether it is now pending.

        A pending or dead row is left as it is (its backoff, age and an operator's decision stand);
        a sent one is pending again (the web app lost it). `pending_since` keeps the age rule's clock
        at the time the products were made, not at the restart.
        """
        with self._transaction() as db:
            changed = db.execute(
                "INSERT INTO outbox (kind, event_id, source_type, sha256, folder, state, next_attempt_at, created_at,"
                " pending_since) VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?)"
                " ON CONFLICT (kind, event_id, source_type, sha256) DO UPDATE SET"
                " state = 'pending', folder = excluded.folder, next_attempt_at = excluded.next_attempt_at,"
                " pending_since = excluded.pending_since, sent_at = NULL WHERE outbox.state = 'sent'",
                (*key.as_tuple(), folder, time.time(), now_iso(), pending_since),
            ).rowcount
        return bool(changed)

    def record_delivered(self, key: EventKey, folder: str) -> None:
        """The web app holds this version already: its delivery is sent, whatever the outbox said."""
        stamp = now_iso()
        with self._transaction() as db:
            db.execute(
                "INSERT INTO outbox (kind, event_id, source_type, sha256, folder, state, next_attempt_at, created_at,"
                " sent_at, pending_since) VALUES (?, ?, ?, ?, ?, 'sent', ?, ?, ?, ?)"
                " ON CONFLICT (kind, event_id, source_type, sha256) DO UPDATE SET state = 'sent',"
                " sent_at = COALESCE(outbox.sent_at, excluded.sent_at), last_error = NULL, last_status = NULL,"
                " dead_at = NULL",
                (*key.as_tuple(), folder, time.time(), stamp, stamp, time.time()),
            )

    def due_pushes(self, at: float | None = None, include_future: bool = False) -> list[dict]:
        at = time.time() if at is None else at
        query = "SELECT * FROM outbox WHERE state = 'pending'"
        values: tuple = ()
        if not include_future:
            query += " AND next_attempt_at <= ?"
            values = (at,)
        with self._connect() as db:
            return [dict(row) for row in db.execute(query + " ORDER BY next_attempt_at, id", values)]

    def next_push_at(self) -> float | None:
        """When the next pending push is due, or None when none waits."""
        with self._connect() as db:
            return db.execute("SELECT MIN(next_attempt_at) FROM outbox WHERE state = 'pending'").fetchone()[0]

    @contextmanager
    def delivery_lock(self, wait: float = 0.0) -> Iterator[bool]:
        """Yield whether this process may deliver the outbox: one deliverer at a time, so no push is sent twice
        at once. A lock on a file, not a row: the kernel frees it the moment its holder dies (SIGKILL included).
        """
        with open(self.path.with_name("outbox.lock"), "a") as handle:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        yield False
                        return
                    time.sleep(0.2)
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def push_sent(self, outbox_id: int) -> None:
        with self._transaction() as db:
            db.execute("UPDATE outbox SET state = 'sent', sent_at = ?, last_error = NULL, last_status = NULL"
                       " WHERE id = ?", (now_iso(), outbox_id))

    def push_failed(self, outbox_id: int, error: str, retry_in: float, status: int | None = None) -> None:
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, last_status = ?, next_attempt_at = ?"
                " WHERE id = ?",
                (error[:1000], status, time.time() + retry_in, outbox_id),
            )

    def push_dead(self, outbox_id: int, error: str, status: int | None = None) -> None:
        """Stop trying: the web app will never take this delivery as it is (see retry_dead)."""
        with self._transaction() as db:
            db.execute(
                "UPDATE outbox SET state = 'dead', attempts = attempts + 1, last_error = ?, last_status = ?,"
                " dead_at = ? WHERE id = ? AND state = 'pending'",
                (error[:1000], status, now_iso(), outbox_id),
            )

    def retry_dead(self, event_id: str | None = None) -> int:
        """Put dead deliveries (of one event, or all) back in the outbox, due now; returns how many."""
        stamp = time.time()
        query = ("UPDATE outbox SET state = 'pending', next_attempt_at = ?, pending_since = ?, dead_at = NULL"
                 " WHERE state = 'dead'")
        values: tuple = (stamp, stamp)
        if event_id:
            query += " AND event_id = ?"
            values += (event_id,)
        with self._transaction() as db:
            return db.execute(query, values).rowcount

    def pushes(self, state: str, event_id: str | None = None, limit: int = 200) -> list[dict]:
        """Outbox rows in one state, newest first (for `realtime status`)."""
        if state not in OUTBOX_STATES:
            raise ValueError(f"unknown outbox state {state!r}")
        query, values = "SELECT * FROM outbox WHERE state = ?", [state]
        if event_id:
            query += " AND event_id = ?"
            values.append(event_id)
        with self._connect() as db:
            return [dict(row) for row in db.execute(query + " ORDER BY id DESC LIMIT ?", (*values, limit))]

    def pending_pushes(self) -> int:
        return self.count_pushes("pending")

    def count_pushes(self, state: str) -> int:
        with self._connect() as db:
            return db.execute("SELECT COUNT(*) FROM outbox WHERE state = ?", (state,)).fetchone()[0]


_WHERE_KEY = "{} WHERE kind = ? AND event_id = ? AND source_type = ? AND sha256 = ?"


def ledger_at(state_dir: Path) -> Ledger:
    return Ledger(Path(state_dir) / "ledger.sqlite3")
