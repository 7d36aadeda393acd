"""The earthquake job: a grid in a watched folder (or any grid.xml) to products, with the ledger.

The folder BMKG pushed into is the event's identity. The grid is read once:
the bytes hashed for the ledger are the bytes analysed, and the products are
kept only if the file still holds them when processing ends. Whether a version
was processed, refused for good or is the earlier system's is read from the
shared volume (`shared.verdict`), never from this container's ledger alone.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from realtime.analysis_data import AnalysisDataError
from realtime.earthquake.grid import ShakeGrid, ShakeGridError, parse_shake_grid, read_grid_bytes
from realtime.earthquake.impact import ImpactOptions
from realtime.earthquake.places import PlacesError
from realtime.event_folder import holds_earlier_products, set_aside_path
from realtime.ids import GRID_LOCATIONS, is_shake_id
from realtime.pipeline.shake import GridSuperseded, ProcessResult, process_shake
from realtime.pipeline.steps import Progress
from realtime.runtime.jobs import (BadInput, Outcome, begin_attempt, describe_unexpected, failed, finished,
                                   ledger_for, settle_unversioned)
from realtime.runtime.ledger import FINISHED, EventKey, Ledger
from realtime.runtime.shared import clear_refusal, record_refusal, verdict
from realtime.settings import Settings

# The input or the analysis data is wrong: trying again cannot help.
INPUT_ERRORS = (ShakeGridError, AnalysisDataError, PlacesError)
# Refusals that hold on every host: the grid itself is wrong. Missing or broken analysis data, or an error that
# used up its attempts (disk full, a killed renderer), is this container's problem: recorded in its own ledger
# only, so another container, or this one after a move, tries again.
GRID_ERRORS = (ShakeGridError,)
# What a version the shared volume already settled comes out as.
SETTLED = {"done": ("already-done", "this grid version was processed before"),
           "failed": ("already-refused", "this grid version was refused for good before"),
           "adopted": ("adopted", "the earlier system's products are there; `realtime shake reprocess` replaces them")}


def impact_options(settings: Settings) -> ImpactOptions:
    return ImpactOptions(settings.fatality_model, settings.places_limit, settings.location_min_population)


def run_shake(settings: Settings, grid_path: Path, grid: ShakeGrid, *, analysis_data: Path | None = None,
              output: Path | None = None, progress: Progress | None = None,
              still_current: Callable[[], bool] | None = None) -> ProcessResult:
    """One checked grid to products and reports, with the settings' data, options and languages."""
    return process_shake(
        grid_path, analysis_data or settings.analysis_data_dir, output or settings.extract_dir_for(grid.event.source_type),
        now=datetime.now(timezone.utc), source_type=grid.event.source_type, options=impact_options(settings),
        locales=settings.locales, templates_dir=settings.templates_dir, progress=progress, grid=grid,
        still_current=still_current,
    )


def watched_root(settings: Settings, source_type: str) -> Path:
    for folder, kind in settings.watched_dirs():
        if kind == source_type:
            return folder
    raise BadInput(f"no watched folder for {source_type} ShakeMaps (set SHAKEMAPS_CORRECTED_DIR)")


def resolve_grid(settings: Settings, event_id: str | None, grid_file: str | None, source_type: str) -> tuple[str, Path]:
    """(event id, grid path) from what a task was given, refusing anything outside the watched folder.

    A grid file given with an event id must lie in that event's folder.
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


def handle_shake(settings: Settings, event_id: str | None, grid_file: str | None, source_type: str,
                 force: bool = False) -> Outcome:
    """Process one ShakeMap version once: skip it when the shared volume settled it already (unless forced).

    A grid refused for its own content is written down on the shared volume too, so that no other
    container, and no container after a move, takes it up again (see GRID_ERRORS).
    """
    ledger = ledger_for(settings)
    try:
        event_id, grid_path = resolve_grid(settings, event_id, grid_file, source_type)
    except BadInput as exc:  # refused before any grid is read: recorded under the id it names, with no version
        if isinstance(event_id, str) and is_shake_id(event_id) and source_type in ("initial", "corrected"):
            key = EventKey("earthquake", event_id, source_type, "")
            attempt = ledger.start_attempt(key, path=str(grid_file)[:1000] if grid_file else None)
            failed(ledger, key, str(exc), False, attempt, settings)
        raise
    extract_dir = settings.extract_dir_for(source_type)
    try:
        data = read_grid_bytes(grid_path)
    except ShakeGridError as exc:
        key = EventKey("earthquake", event_id, source_type, "")
        return failed(ledger, key, str(exc), False, ledger.start_attempt(key, path=str(grid_path)), settings)
    key = EventKey("earthquake", event_id, source_type, hashlib.sha256(data).hexdigest())
    settle_unversioned(ledger, key, "a grid for this event was read later")
    folder = extract_dir / event_id
    settled = None if force else verdict(extract_dir, key)
    if settled:
        ledger.set_state(key, settled.state, error=settled.note or None,
                         unless=("done", "pushed") if settled.state == "done" else FINISHED)
        status, message = SETTLED[settled.state]
        return Outcome(status, key, str(folder), message)
    aside = set_aside_path(folder) if holds_earlier_products(folder) else None
    outcome, grid_refused = _process(settings, ledger, key, grid_path, data, force)
    if grid_refused:
        record_refusal(extract_dir, key, outcome.message)
    elif outcome.status == "done":
        clear_refusal(extract_dir, key)
        if aside is not None and aside.exists():
            outcome.message = f"the earlier system's products were set aside in {aside}"
    return outcome


def _process(settings: Settings, ledger: Ledger, key: EventKey, grid_path: Path, data: bytes,
             force: bool) -> tuple[Outcome, bool]:
    """The outcome, and whether the grid itself was refused (a refusal that holds on every host)."""
    attempt, stop = begin_attempt(ledger, key, str(grid_path), settings, force)
    if stop:
        return stop, False
    try:
        grid = parse_shake_grid(data, name=str(grid_path), source_type=key.source_type, expected_id=key.event_id)
        result = run_shake(settings, grid_path, grid, still_current=lambda: _holds(grid_path, key))
    except GridSuperseded as exc:
        ledger.set_state(key, "superseded", error=str(exc))
        return Outcome("superseded", key, None, str(exc)), False
    except INPUT_ERRORS as exc:
        return failed(ledger, key, str(exc), False, attempt, settings), isinstance(exc, GRID_ERRORS)
    except Exception as exc:  # disk full, a killed renderer, a bug: recorded, and tried again while attempts remain
        return failed(ledger, key, describe_unexpected(exc, grid_path), True, attempt, settings), False
    return finished(ledger, key, result.folder), False


def _holds(grid: Path, key: EventKey) -> bool:
    """Does the grid file still hold the version being processed?"""
    try:
        return hashlib.sha256(read_grid_bytes(grid)).hexdigest() == key.sha256
    except ShakeGridError:
        return False
