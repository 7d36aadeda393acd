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

from realtime.earthquake.impact import ImpactOptions
from realtime.earthquake.shake_id import is_shake_id
from realtime.event_folder import file_sha256, processed_input_sha256
from realtime.ledger import EventKey, Ledger, ledger_at
from realtime.push import RealtimeRest, deliver_pending
from realtime.settings import Settings

log = logging.getLogger(__name__)
GRID_LOCATIONS = ("grid.xml", "output/grid.xml")


class BadInput(ValueError):
    """The event cannot be processed as given (bad id, path outside the watched folders, bad file)."""


@dataclass
class Outcome:
    status: str  # done, already-done, failed, gave-up, no-impact
    key: EventKey | None = None
    folder: str | None = None
    message: str = ""

    def as_dict(self) -> dict:
        return {"status": self.status, "event_id": self.key.event_id if self.key else None,
                "folder": self.folder, "message": self.message}


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
    """(event id, grid path) from what a task was given, refusing anything outside the watched folder."""
    root = watched_root(settings, source_type).resolve()
    if grid_file:
        path = Path(grid_file)
        path = (path if path.is_absolute() else root / path).resolve()
        if root not in path.parents:
            raise BadInput(f"{grid_file}: not inside the watched folder {root}")
        relative = path.relative_to(root).parts
        event_id = event_id or relative[0]
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


def earthquake_key(event_id: str, source_type: str, grid: Path) -> EventKey:
    return EventKey("earthquake", event_id, source_type, file_sha256(grid))


def handle_shake(settings: Settings, event_id: str | None, grid_file: str | None, source_type: str,
                 force: bool = False) -> Outcome:
    """Process one ShakeMap version once: skip it when the ledger holds it as finished (unless forced)."""
    from realtime.earthquake.grid import ShakeGridError
    from realtime.pipeline import process_shake

    ledger = ledger_for(settings)
    event_id, grid = resolve_grid(settings, event_id, grid_file, source_type)
    key = earthquake_key(event_id, source_type, grid)
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
        result = process_shake(grid, settings.analysis_data_dir, settings.extract_dir_for(source_type),
                               now=datetime.now(timezone.utc), source_type=source_type, options=options,
                               locales=settings.locales, templates_dir=settings.templates_dir)
    except (ShakeGridError, ValueError, FileNotFoundError) as exc:
        ledger.set_state(key, "failed", error=str(exc))
        log.error("shake %s failed: %s", event_id, exc)
        return Outcome("failed", key, None, str(exc))
    ledger.set_state(key, "done")
    ledger.enqueue_push(key, str(result.folder))
    return Outcome("done", key, str(result.folder))


def flush_outbox(settings: Settings, force: bool = False) -> tuple[int, int]:
    return deliver_pending(ledger_for(settings), rest_client(settings), force=force, retry_max=settings.push_retry_max)


def resolve_flood_file(settings: Settings, filename: str) -> Path:
    """A snapshot file named by the web app must lie in the hazard drop or the floodmaps folder."""
    path = Path(filename).resolve()
    allowed = [settings.hazard_drop_dir.resolve(), settings.floodmaps_dir.resolve()]
    if not any(root in path.parents for root in allowed):
        raise BadInput(f"{filename}: flood files are read only from {', '.join(map(str, allowed))}")
    return path


def handle_flood(settings: Settings, flood_id: str | None, data_source: str, data_source_args: dict | None) -> Outcome:
    from realtime.flood.flood_id import flood_id_for
    from realtime.flood_pipeline import process_flood
    from realtime.flood_sources import load_snapshot, source_name

    args = dict(data_source_args or {})
    now = datetime.now(timezone.utc)
    flood_id = flood_id or flood_id_for(now, int(args.get("duration", 6)), str(args.get("level", "rw")))
    source = "file" if data_source in ("file", "hazard_file") else data_source
    file = resolve_flood_file(settings, args["filename"]) if source == "file" and args.get("filename") else None
    raw, snapshot = load_snapshot(source, file=file, url=settings.petabencana_url,
                                  params=settings.petabencana_params, timeout=settings.petabencana_timeout)
    key = EventKey("flood", flood_id, "", hashlib.sha256(raw).hexdigest())
    ledger = ledger_for(settings)
    folder = settings.flood_extract_dir / flood_id
    if ledger.is_finished(key) and (folder / "impact.json").exists():
        return Outcome("already-done", key, str(folder), "this snapshot was processed before")
    ledger.start_attempt(key, path=str(file or settings.petabencana_url))
    result = process_flood(raw, snapshot, flood_id, source_name(source, file),
                           settings.floodmaps_dir, settings.analysis_data_dir, settings.flood_extract_dir,
                           now=now, locales=settings.locales, templates_dir=settings.templates_dir)
    if result.status == "no_impact":
        ledger.set_state(key, "done", error=result.message)
        return Outcome("no-impact", key, None, result.message)
    ledger.set_state(key, "done")
    ledger.enqueue_push(key, str(result.folder))
    return Outcome("done", key, str(result.folder))
