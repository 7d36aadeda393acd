"""What the tasks and the CLI do with one event, in one place: ledger, process, outbox, push.

Tasks stay thin wrappers over these functions, so `realtime shake reprocess`
and a Celery worker take exactly the same path.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from realtime.analysis_data import AnalysisDataError
from realtime.earthquake.grid import ShakeGridError, parse_shake_grid, read_grid_bytes
from realtime.earthquake.impact import ImpactOptions
from realtime.earthquake.places import PlacesError
from realtime.earthquake.shake_id import GRID_LOCATIONS, is_shake_id
from realtime.event_folder import processed_input_sha256
from realtime.ledger import EventKey, Ledger, ledger_at
from realtime.push import RealtimeRest, deliver_pending
from realtime.settings import Settings

log = logging.getLogger(__name__)
# The input or the analysis data is wrong: trying again cannot help.
INPUT_ERRORS = (ShakeGridError, AnalysisDataError, PlacesError)


class BadInput(ValueError):
    """The event cannot be processed as given (bad id, path outside the watched folders, bad file)."""


@dataclass
class Outcome:
    status: str  # done, already-done, failed, gave-up, no-impact, superseded
    key: EventKey | None = None
    folder: str | None = None
    message: str = ""
    retry: bool = False  # failed for a reason that may pass (disk full, a service down): try again later

    def as_dict(self) -> dict:
        return {"status": self.status, "event_id": self.key.event_id if self.key else None,
                "folder": self.folder, "message": self.message, "retry": self.retry}


def ledger_for(settings: Settings) -> Ledger:
    return ledger_at(settings.state_dir)


def rest_client(settings: Settings) -> RealtimeRest | None:
    if not settings.push_configured:
        return None
    return RealtimeRest(settings.rest_url, settings.rest_user, settings.rest_password.get_secret_value(),
                        settings.rest_timeout)


def watched_root(settings: Settings, source_type: str) -> Path:
    for folder, kind in settings.watched_dirs():
        if kind == source_type:
            return folder
    raise BadInput(f"no watched folder for {source_type} ShakeMaps (set SHAKEMAPS_CORRECTED_DIR)")


def resolve_grid(settings: Settings, event_id: str | None, grid_file: str | None, source_type: str) -> tuple[str, Path]:
    """(event id, grid path) from what a task was given, refusing anything outside the watched folder.

    The event's identity is the folder BMKG pushed into: a grid file given with an event id
    must lie in that event's folder.
    """
    root = watched_root(settings, source_type).resolve()
    if grid_file:
        path = Path(grid_file)
        path = (path if path.is_absolute() else root / path).resolve()
        if root not in path.parents:
            raise BadInput(f"{grid_file}: not inside the watched folder {root}")
        folder_id = path.relative_to(root).parts[0]
        if event_id and event_id != folder_id:
            raise BadInput(f"{grid_file}: lies in the folder of event {folder_id[:60]!r}, not of {event_id[:60]!r}")
        event_id = folder_id
    elif event_id:
        if not is_shake_id(event_id):
            raise BadInput(f"{event_id[:60]!r} is not a valid shake id")
        candidates = [root / event_id / location for location in GRID_LOCATIONS]
        path = next((c for c in candidates if c.exists()), candidates[0])
    else:
        raise BadInput("give an event id or a grid file")
    if not is_shake_id(event_id):
        raise BadInput(f"{event_id[:60]!r} is not a valid shake id")
    if not path.is_file():
        raise BadInput(f"{path}: no such grid file")
    return event_id, path


def _failed(ledger: Ledger, key: EventKey, message: str, retry: bool, attempt: int, settings: Settings) -> Outcome:
    """Every failure ends here: the ledger says failed, with the reason, and whether it will be tried again."""
    retry = retry and attempt < settings.max_attempts
    reason = f"{message} (attempt {attempt} of {settings.max_attempts}; {'will retry' if retry else 'not retried'})"
    ledger.set_state(key, "failed", error=reason)
    log.error("%s %s failed: %s", key.kind, key.event_id, reason)
    return Outcome("failed", key, None, reason, retry=retry)


def _unexpected(exc: BaseException, subject: Path | str) -> str:
    if isinstance(exc, OSError):
        return f"{subject}: {exc.strerror or exc} ({type(exc).__name__}{f' on {exc.filename}' if exc.filename else ''})"
    log.error("unexpected error processing %s", subject, exc_info=exc)
    return f"{subject}: unexpected {type(exc).__name__}: {str(exc)[:300]}"


def handle_shake(settings: Settings, event_id: str | None, grid_file: str | None, source_type: str,
                 force: bool = False) -> Outcome:
    """Process one ShakeMap version once: skip it when its products say so already (unless forced).

    The grid is read once: the bytes hashed for the ledger are the bytes parsed, and the
    products are kept only if the file still holds them when processing ends.
    """
    from realtime.pipeline import GridSuperseded, process_shake

    ledger = ledger_for(settings)
    event_id, grid = resolve_grid(settings, event_id, grid_file, source_type)
    try:
        data = read_grid_bytes(grid)
    except ShakeGridError as exc:
        key = EventKey("earthquake", event_id, source_type, "")
        return _failed(ledger, key, str(exc), False, ledger.start_attempt(key, path=str(grid)), settings)
    key = EventKey("earthquake", event_id, source_type, hashlib.sha256(data).hexdigest())
    folder = settings.extract_dir_for(source_type) / event_id
    if not force and processed_input_sha256(folder) == key.sha256:  # the products on the shared volume say so
        if not ledger.is_finished(key):
            ledger.set_state(key, "done")
        return Outcome("already-done", key, str(folder), "this grid version was processed before")
    attempt = ledger.start_attempt(key, path=str(grid))
    if attempt > settings.max_attempts and not force:
        ledger.set_state(key, "failed", error=f"gave up after {settings.max_attempts} attempts")
        return Outcome("gave-up", key, None, f"gave up after {settings.max_attempts} attempts")
    options = ImpactOptions(settings.fatality_model, settings.places_limit, settings.location_min_population)
    try:
        parsed = parse_shake_grid(data, name=str(grid), source_type=source_type, expected_id=event_id)
        result = process_shake(grid, settings.analysis_data_dir, settings.extract_dir_for(source_type),
                               now=datetime.now(timezone.utc), source_type=source_type, options=options,
                               locales=settings.locales, templates_dir=settings.templates_dir,
                               grid=parsed, still_current=lambda: _holds(grid, key))
    except GridSuperseded as exc:
        ledger.set_state(key, "superseded", error=str(exc))
        log.warning("shake %s: %s", event_id, exc)
        return Outcome("superseded", key, None, str(exc))
    except INPUT_ERRORS as exc:
        return _failed(ledger, key, str(exc), False, attempt, settings)
    except Exception as exc:  # disk full, a killed renderer, a bug: recorded, and tried again while attempts remain
        return _failed(ledger, key, _unexpected(exc, grid), True, attempt, settings)
    ledger.set_state(key, "done")
    ledger.enqueue_push(key, str(result.folder))
    return Outcome("done", key, str(result.folder))


def _holds(grid: Path, key: EventKey) -> bool:
    """Does the grid file still hold the version being processed?"""
    try:
        return hashlib.sha256(read_grid_bytes(grid)).hexdigest() == key.sha256
    except ShakeGridError:
        return False


def flush_outbox(settings: Settings, force: bool = False) -> tuple[int, int]:
    return deliver_pending(ledger_for(settings), rest_client(settings), force=force,
                           retry_max=settings.push_retry_max, max_age=settings.push_max_age_hours * 3600)


def resolve_flood_file(settings: Settings, filename: str) -> Path:
    """A snapshot file named by the web app must lie in the hazard drop or the floodmaps folder."""
    path = Path(filename).resolve()
    allowed = [settings.hazard_drop_dir.resolve(), settings.floodmaps_dir.resolve()]
    if not any(root in path.parents for root in allowed):
        raise BadInput(f"{filename}: flood files are read only from {', '.join(map(str, allowed))}")
    return path


def handle_flood(settings: Settings, flood_id: str | None, data_source: str, data_source_args: dict | None) -> Outcome:
    """Fetch or read one flood snapshot, keep it, analyse it and queue its push; every failure is in the ledger."""
    from realtime.flood.flood_id import flood_id_for
    from realtime.flood.history import SnapshotConflict
    from realtime.flood.snapshot import FloodSourceError
    from realtime.flood_pipeline import process_flood
    from realtime.flood_sources import load_snapshot, source_name

    args = dict(data_source_args or {})
    now = datetime.now(timezone.utc)
    flood_id = flood_id or flood_id_for(now, int(args.get("duration", 6)), str(args.get("level", "rw")))
    source = "file" if data_source in ("file", "hazard_file") else data_source
    ledger = ledger_for(settings)
    try:
        file = resolve_flood_file(settings, args["filename"]) if source == "file" and args.get("filename") else None
        raw, snapshot = load_snapshot(source, file=file, url=settings.petabencana_url,
                                      params=settings.petabencana_params, timeout=settings.petabencana_timeout)
    except (BadInput, FloodSourceError) as exc:  # no snapshot, so no version: recorded under an empty one
        key = EventKey("flood", flood_id, "", "")
        live = source == "petabencana" and isinstance(exc, FloodSourceError)  # the API may answer later
        return _failed(ledger, key, str(exc), live, ledger.start_attempt(key), settings)
    except Exception as exc:
        key = EventKey("flood", flood_id, "", "")
        return _failed(ledger, key, _unexpected(exc, file or source), True, ledger.start_attempt(key), settings)
    key = EventKey("flood", flood_id, "", hashlib.sha256(raw).hexdigest())
    folder = settings.flood_extract_dir / flood_id
    if ledger.is_finished(key) and (folder / "impact.json").exists():
        return Outcome("already-done", key, str(folder), "this snapshot was processed before")
    attempt = ledger.start_attempt(key, path=str(file or settings.petabencana_url))
    if attempt > settings.max_attempts:
        ledger.set_state(key, "failed", error=f"gave up after {settings.max_attempts} attempts")
        return Outcome("gave-up", key, None, f"gave up after {settings.max_attempts} attempts")
    try:
        result = process_flood(raw, snapshot, flood_id, source_name(source, file),
                               settings.floodmaps_dir, settings.analysis_data_dir, settings.flood_extract_dir,
                               now=now, locales=settings.locales, templates_dir=settings.templates_dir)
    except (FloodSourceError, SnapshotConflict, AnalysisDataError) as exc:
        return _failed(ledger, key, str(exc), False, attempt, settings)
    except Exception as exc:
        return _failed(ledger, key, _unexpected(exc, file or flood_id), True, attempt, settings)
    if result.status == "no_impact":
        ledger.set_state(key, "done", error=result.message)
        return Outcome("no-impact", key, None, result.message)
    ledger.set_state(key, "done")
    ledger.enqueue_push(key, str(result.folder))
    return Outcome("done", key, str(result.folder))
