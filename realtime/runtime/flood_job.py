"""The flood job: PetaBencana or a file to a kept snapshot, products and reports, with the ledger.

The flood id, the source and its settings are worked out here once, for the
CLI and the worker alike. Whether a snapshot was processed is read from its
products on the shared volume, so a worker with an empty ledger (after a move)
does not make them again.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from pathlib import Path

from realtime.analysis_data import AnalysisDataError
from realtime.event_folder import holds_earlier_products, processed_input_sha256
from realtime.flood.history import SnapshotConflict
from realtime.flood.snapshot import FloodSnapshot, FloodSourceError
from realtime.flood.source import SOURCES, load_snapshot, source_name
from realtime.ids import FloodIdError, flood_id_for, parse_flood_id
from realtime.pipeline.flood import FloodResult, process_flood
from realtime.pipeline.steps import Progress
from realtime.runtime.jobs import (BadInput, Outcome, begin_attempt, describe_unexpected, failed, finished,
                                   ledger_for, resolve_within, settle_unversioned)
from realtime.runtime.ledger import EventKey
from realtime.runtime.shared import ADOPTED_NOTE
from realtime.settings import Settings

# The snapshot, its history or the analysis data is wrong: trying again cannot help.
INPUT_ERRORS = (FloodSourceError, SnapshotConflict, AnalysisDataError)


def source_kind(data_source: str) -> str:
    """'petabencana' or 'file'; the old processor's 'hazard_file' is a file."""
    kind = SOURCES.get(str(data_source).strip().lower())
    if kind is None:
        raise BadInput(f"unknown flood data source {str(data_source)[:40]!r} (expected one of: {', '.join(sorted(SOURCES))})")
    return kind


def resolve_flood_id(now: datetime, flood_id: str | None, duration: int = 6, level: str = "rw") -> str:
    """The given id (checked), or this hour's with the requested duration and level."""
    if flood_id:
        parse_flood_id(flood_id)
        return flood_id
    try:
        return flood_id_for(now, int(duration), str(level))
    except (TypeError, ValueError) as exc:
        raise FloodIdError(f"duration {str(duration)[:10]!r} and level {str(level)[:20]!r}: {exc}") from None


def load_flood(settings: Settings, kind: str, file: Path | None) -> tuple[bytes, FloodSnapshot]:
    """The snapshot's raw bytes and its checked parse, from PetaBencana (the settings' API) or a file."""
    return load_snapshot(kind, file=file, url=settings.petabencana_url, params=settings.petabencana_params,
                         timeout=settings.petabencana_timeout)


def run_flood(settings: Settings, raw: bytes, snapshot: FloodSnapshot, flood_id: str, kind: str, file: Path | None,
              *, now: datetime, analysis_data: Path | None = None, output: Path | None = None,
              progress: Progress | None = None) -> FloodResult:
    """One checked snapshot to a kept snapshot, products and reports, with the settings' folders and languages."""
    return process_flood(raw, snapshot, flood_id, source_name(kind, file), settings.floodmaps_dir,
                         analysis_data or settings.analysis_data_dir, output or settings.flood_extract_dir,
                         now=now, locales=settings.locales, templates_dir=settings.templates_dir, progress=progress)


def resolve_flood_file(settings: Settings, filename: str) -> Path:
    """A snapshot file named by the web app must lie in the hazard drop or the floodmaps folder."""
    return resolve_within(filename, [settings.hazard_drop_dir, settings.floodmaps_dir], "flood files")


def handle_flood(settings: Settings, flood_id: str | None, data_source: str, data_source_args: dict | None) -> Outcome:
    """Fetch or read one flood snapshot, keep it, analyse it and queue its push; every failure is in the ledger."""
    args = dict(data_source_args or {})
    now = datetime.now(timezone.utc)
    flood_id = resolve_flood_id(now, flood_id, args.get("duration", 6), args.get("level", "rw"))
    kind = source_kind(data_source)
    ledger = ledger_for(settings)
    file = None
    try:
        file = resolve_flood_file(settings, args["filename"]) if kind == "file" and args.get("filename") else None
        raw, snapshot = load_flood(settings, kind, file)
    except (BadInput, FloodSourceError) as exc:  # no snapshot, so no version: recorded under an empty one
        key = EventKey("flood", flood_id, "", "")
        live = kind == "petabencana" and isinstance(exc, FloodSourceError)  # the API may answer later
        return failed(ledger, key, str(exc), live, ledger.start_attempt(key), settings)
    except Exception as exc:
        key = EventKey("flood", flood_id, "", "")
        return failed(ledger, key, describe_unexpected(exc, file or kind), True, ledger.start_attempt(key), settings)
    key = EventKey("flood", flood_id, "", hashlib.sha256(raw).hexdigest())
    settle_unversioned(ledger, key, "the flood source answered on a later attempt")
    folder = settings.flood_extract_dir / flood_id
    if processed_input_sha256(folder) == key.sha256:  # the products on the shared volume say so
        ledger.set_state(key, "done", unless=("done", "pushed"))
        return Outcome("already-done", key, str(folder), "this snapshot was processed before")
    if holds_earlier_products(folder):
        ledger.set_state(key, "adopted", error=ADOPTED_NOTE, unless=("done", "pushed"))
        return Outcome("adopted", key, str(folder), ADOPTED_NOTE)
    attempt, stop = begin_attempt(ledger, key, str(file or settings.petabencana_url), settings)
    if stop:
        return stop
    try:
        result = run_flood(settings, raw, snapshot, flood_id, kind, file, now=now)
    except INPUT_ERRORS as exc:
        return failed(ledger, key, str(exc), False, attempt, settings)
    except Exception as exc:
        return failed(ledger, key, describe_unexpected(exc, file or flood_id), True, attempt, settings)
    return finished(ledger, key, result.folder if result.status != "no_impact" else None, result.message)
