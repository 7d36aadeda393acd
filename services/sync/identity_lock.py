"""One running replicator per identity: a heartbeat lock file in its config folder (SYNC_CONFIG_DIR).

The config folder may sit on NFS, shared by replicators on several hosts, and the host holding it may die: that is
the failure the folder is shared for. So the lock must be taken over from a dead holder, on any NFS mount:

- flock/fcntl were not chosen. Under `nolock` they are local to each host, so two hosts both "hold" them; under
  NFSv3's lock manager a lock held by a host that died stays held until that host boots again.
- What this relies on is what NFS (v3 and v4, Linux clients) does give: link() fails atomically on the server when
  the name exists, rename() replaces atomically, and open() sees the server's current content (close-to-open
  consistency; not under the `nocto` mount option).
- No clocks are compared across hosts: a holder is alive when its line changes. A contender watches the line for
  three of the holder's heartbeat intervals; unchanged means dead, and the contender takes the lock over.
- This is not a consensus protocol. If a holder stalls longer than that (a frozen VM), or two contenders take over
  one dead lock at once, two may run for up to one interval: the holder whose line was replaced stops its syncthing
  at its next heartbeat.
"""

from __future__ import annotations

import os
import re
import socket
import time
from pathlib import Path

LOCK_NAME = "replicator.lock"
MISSED_BEATS = 3  # a holder whose line has not changed for this many intervals is dead
FIELDS = re.compile(r"host=(\S+) pid=(\d+) token=(\w+) interval=(\d+) beat=(\d+) at=(\S+)")


class LockHeld(Exception):
    """Another replicator holds the lock; the message says who, on one line."""


class LockLost(Exception):
    """Our line was replaced (we were taken for dead) or removed: our syncthing must stop."""


def describe(line: str | None) -> str:
    """Who holds the lock, from its line (printable characters only: the file is shared and could hold anything)."""
    if line is None:
        return "nobody (the lock file is gone)"
    match = FIELDS.search(line)
    if not match:
        return "an unrecognised lock line " + repr(re.sub(r"[^ -~]", "?", line.strip())[:120])
    host, pid, _, interval, beat, at = match.groups()
    return f"host {host} pid {pid} (heartbeat {beat} at {at} by its clock, every {interval} s)"


class IdentityLock:
    """The lock on one config folder; `acquire`, then `beat` every `interval` seconds, then `release`."""

    def __init__(self, folder: Path, interval: int):
        self.path = folder / LOCK_NAME
        self.interval = interval
        self.host = re.sub(r"[^A-Za-z0-9._-]", "-", socket.gethostname())[:64] or "unknown"
        self.token = os.urandom(8).hex()  # two containers may share a hostname and pid 1
        self.count = 0
        self.line = self._line()

    def _line(self) -> str:
        at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return (f"host={self.host} pid={os.getpid()} token={self.token} interval={self.interval}"
                f" beat={self.count} at={at}\n")

    def read(self) -> str | None:
        try:
            with open(self.path) as lock:
                return lock.read()
        except FileNotFoundError:
            return None

    def _staged(self) -> Path:
        """Our line in a file of our own next to the lock, ready to be linked or renamed into place."""
        staged = self.path.with_name(f".{LOCK_NAME}.{self.token}")
        with open(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), "w") as out:
            out.write(self.line)
        return staged

    def _create(self) -> bool:
        """Takes a free lock. A retransmitted NFS LINK can report EEXIST after it succeeded: the link count tells."""
        staged = self._staged()
        try:
            os.link(staged, self.path)
            return True
        except FileExistsError:
            return os.stat(staged).st_nlink == 2
        finally:
            os.unlink(staged)

    def _replace(self) -> None:
        os.replace(self._staged(), self.path)

    def _watch(self, seen: str) -> str | None:
        """The line once it changes, or `seen` again after MISSED_BEATS of the holder's (or our) intervals."""
        match = FIELDS.search(seen)
        window = MISSED_BEATS * max(self.interval, int(match.group(4)) if match else 0)
        deadline = time.monotonic() + window
        while time.monotonic() < deadline:
            time.sleep(min(1.0, self.interval))
            now = self.read()
            if now != seen:
                return now
        return seen

    def acquire(self) -> str | None:
        """Takes the lock: at once when free, after watching a dead holder's line stay still, never from a live one.
        Returns the dead holder's line when it took one over."""
        while True:
            if self._create():
                return None
            seen = self.read()
            if seen is None:
                continue  # released between our link() and read()
            now = self._watch(seen)
            if now is None:
                continue  # the holder stopped cleanly
            if now != seen:
                raise LockHeld(describe(now))
            if self.read() != seen:
                continue
            self._replace()
            time.sleep(self.interval)  # another contender may have judged the same line dead at the same moment
            now = self.read()
            if now != self.line:
                raise LockHeld(describe(now))
            return seen

    def beat(self) -> None:
        """Proves we are alive; raises LockLost when another replicator has replaced our line."""
        current = self.read()
        if current != self.line:
            raise LockLost(describe(current))
        self.count += 1
        self.line = self._line()
        self._replace()

    def release(self) -> None:
        """Removes the lock if it is still ours, so the next replicator need not wait for it to go stale."""
        try:
            if self.read() == self.line:
                os.unlink(self.path)
        except OSError:
            pass
