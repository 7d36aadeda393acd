"""What every hazard's job shares: the outcome, the ledger, and how a failure is recorded.

A job is settings → pipeline call → ledger outcome. The CLI, the Celery tasks
and `realtime shake reprocess` all call the hazard's job functions
(`shake_job`, `flood_job`), so they take exactly the same path; the CLI adds
only argument parsing and printing, a task only the retry.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from realtime.runtime.ledger import EventKey, Ledger, ledger_at
from realtime.settings import Settings

log = logging.getLogger(__name__)


class BadInput(ValueError):
    """The event cannot be processed as given (bad id, path outside the watched folders, bad file)."""


@dataclass
class Outcome:
    status: str  # done, already-done, already-refused, adopted, failed, gave-up, no-impact, superseded
    key: EventKey | None = None
    folder: str | None = None
    message: str = ""
    retry: bool = False  # failed for a reason that may pass (disk full, a service down): try again later

    def as_dict(self) -> dict:
        return {"status": self.status, "event_id": self.key.event_id if self.key else None,
                "folder": self.folder, "message": self.message, "retry": self.retry}


def ledger_for(settings: Settings) -> Ledger:
    return ledger_at(settings.state_dir)


def begin_attempt(ledger: Ledger, key: EventKey, path: str | None, settings: Settings,
                  force: bool = False) -> tuple[int, Outcome | None]:
    """Count the attempt; with REALTIME_MAX_ATTEMPTS used up (unless forced) the job stops here, failed.

    Giving up is not an attempt: the ledger's count stays at the attempts made (a redelivery after a killed run).
    """
    made = (ledger.get(key) or {}).get("attempts", 0)
    if made >= settings.max_attempts and not force:
        message = f"gave up after {made} attempt{'' if made == 1 else 's'}"
        ledger.set_state(key, "failed", error=message)
        return made, Outcome("gave-up", key, None, message)
    return ledger.start_attempt(key, path=path), None


def failed(ledger: Ledger, key: EventKey, message: str, retry: bool, attempt: int, settings: Settings) -> Outcome:
    """Every failure ends here: the ledger says failed, with the reason, and whether it will be tried again."""
    retry = retry and attempt < settings.max_attempts
    reason = f"{message} (attempt {attempt} of {settings.max_attempts}; {'will retry' if retry else 'not retried'})"
    ledger.set_state(key, "failed", error=reason)
    log.error("%s %s failed: %s", key.kind, key.event_id, reason)
    return Outcome("failed", key, None, reason, retry=retry)


def describe_unexpected(exc: BaseException, subject: Path | str) -> str:
    """One line for an error that is not the input's fault; a bug's traceback goes to the log."""
    if isinstance(exc, OSError):
        return f"{subject}: {exc.strerror or exc} ({type(exc).__name__}{f' on {exc.filename}' if exc.filename else ''})"
    log.error("unexpected error processing %s", subject, exc_info=exc)
    return f"{subject}: unexpected {type(exc).__name__}: {str(exc)[:300]}"


def finished(ledger: Ledger, key: EventKey, folder: Path | None, no_impact: str = "") -> Outcome:
    """Products made: done, and their push queued (nothing to push when there was no impact)."""
    if folder is None:
        ledger.set_state(key, "done", error=no_impact)
        return Outcome("no-impact", key, None, no_impact)
    ledger.set_state(key, "done")
    ledger.enqueue_push(key, str(folder))
    return Outcome("done", key, str(folder))


def settle_unversioned(ledger: Ledger, key: EventKey, note: str) -> None:
    """A refusal recorded before any input was read (no version: a grid file missing, PetaBencana down) is over once a
    version of the same event is read: mark it superseded, so `realtime status --failed` shows only failures that hold."""
    unversioned = EventKey(key.kind, key.event_id, key.source_type, "")
    if key.sha256 and ledger.get(unversioned) is not None:
        ledger.set_state(unversioned, "superseded", unless=("superseded",), error=f"{note} (version {key.sha256[:12]})")


def resolve_within(filename: str, roots: list[Path], what: str) -> Path:
    """A file the web app names, resolved, and refused unless it lies under one of `roots` (`what` names the kind in
    the refusal). A name no file can have (a NUL byte, a symlink loop) is bad input too: no retry can help."""
    try:
        path = Path(filename).resolve()
    except (ValueError, OSError, RuntimeError) as exc:
        raise BadInput(f"{str(filename)[:200]!r}: not a usable file name ({exc})") from None
    allowed = [root.resolve() for root in roots]
    if not any(root in path.parents for root in allowed):
        raise BadInput(f"{filename}: {what} are read only from {', '.join(map(str, allowed))}")
    return path
