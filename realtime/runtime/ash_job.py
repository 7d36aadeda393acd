"""The ash job: a forecast raster in the hazard drop to a kept copy, products and reports, with the ledger.

The web app drops the uploaded GeoTIFF into REALTIME_HAZARD_DROP and sends
`process_ash` with the event's metadata. The file is read only from the drop
(or ASHMAPS_DIR, to process a kept copy again), copied into
ASHMAPS_DIR/<ash_id>/ before any work, and processed from that copy. An event
version is its ash id and the sha256 of the raster: whether it was processed
is read from its products on the shared volume, as for floods.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

from realtime.analysis_data import AnalysisDataError
from realtime.ash.event import AshEvent, AshEventError, ash_id
from realtime.ash.hazard import AshHazardError
from realtime.ash.volcanoes import Volcano, VolcanoError, find_volcano
from realtime.event_folder import holds_earlier_products, processed_input_sha256, write_atomic
from realtime.pipeline.ash import AshResult, process_ash
from realtime.pipeline.steps import Progress
from realtime.runtime.jobs import (BadInput, Outcome, begin_attempt, describe_unexpected, failed, finished,
                                   ledger_for, resolve_within)
from realtime.runtime.ledger import EventKey
from realtime.runtime.shared import ADOPTED_NOTE
from realtime.settings import Settings

# The raster, the event's metadata or the analysis data is wrong: trying again cannot help.
INPUT_ERRORS = (AshHazardError, AshEventError, VolcanoError, AnalysisDataError)
_SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _number(value, what: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise AshEventError(f"{what} {str(value)[:30]!r} is not a number") from None


def event_time_of(value: datetime | str) -> datetime:
    """An ISO-8601 time with its UTC offset; a naive time is refused (whose clock would it be?)."""
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise AshEventError(f"event time {str(value)[:40]!r} is not ISO-8601 "
                                "(e.g. 2017-02-21T19:04:00+07:00)") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise AshEventError(f"event time {moment.isoformat()} has no UTC offset; give one, e.g. +07:00")
    return moment


def volcano_of(name: str, latitude=None, longitude=None, elevation=None, region: str | None = None) -> Volcano:
    """The packaged volcano, with any position, summit elevation or region given overriding its values;
    a volcano not in the table needs all three of latitude, longitude and elevation."""
    lat, lon = _number(latitude, "latitude"), _number(longitude, "longitude")
    elev = _number(elevation, "elevation")
    try:
        known = find_volcano(str(name or ""))
    except VolcanoError:
        if lat is None or lon is None or elev is None:
            raise
        return Volcano(name=str(name).strip(), latitude=lat, longitude=lon, elevation_m=elev, region=region or "",
                       source="given with the event")
    changes = {key: value for key, value in (("latitude", lat), ("longitude", lon), ("elevation_m", elev),
                                              ("region", region or None)) if value is not None}
    return replace(known, **changes) if changes else known


def build_event(volcano_name: str, event_time: datetime | str, eruption_height, alert_level: str,
                forecast_duration, *, latitude=None, longitude=None, elevation=None, region: str | None = None) -> AshEvent:
    """The checked event from what a person or the web app gave; AshEventError or VolcanoError says what is wrong."""
    volcano = volcano_of(volcano_name, latitude, longitude, elevation, region)
    height = _number(eruption_height, "eruption height")
    duration = _number(forecast_duration, "forecast duration")
    if duration is not None and duration != int(duration):
        raise AshEventError(f"forecast duration {duration:g} is not a whole number of days")
    if height is None:
        raise AshEventError("no eruption height given (m above the vent)")
    return AshEvent(volcano=volcano, time=event_time_of(event_time), eruption_height_m=height,
                    alert_level=str(alert_level or "").strip().lower(),
                    forecast_duration_days=int(duration) if duration is not None else 1,
                    region=region or volcano.region)


def resolve_ash_file(settings: Settings, filename: str) -> Path:
    """A raster named by the web app must lie in the hazard drop (or be a copy kept in ASHMAPS_DIR)."""
    if not filename:
        raise BadInput("no ash_file_path given")
    path = resolve_within(filename, [settings.hazard_drop_dir, settings.ashmaps_dir], "ash rasters")
    if not path.is_file():
        raise BadInput(f"{filename}: no such file")
    return path


def keep_copy(settings: Settings, source: Path, event_id: str, data: bytes) -> Path:
    """ASHMAPS_DIR/<ash_id>/<file name>: the raster as received, written atomically (the drop is temporary)."""
    target = settings.ashmaps_dir / event_id / (_SAFE_NAME.sub("_", source.name).lstrip(".") or "ash_fall_input.tif")
    if target.resolve() != source.resolve():
        write_atomic(target, data)
    return target


def run_ash(settings: Settings, hazard_path: Path, event: AshEvent, *, analysis_data: Path | None = None,
            output: Path | None = None, progress: Progress | None = None) -> AshResult:
    """One raster to products and reports, with the settings' data, folders and languages."""
    return process_ash(hazard_path, event, analysis_data or settings.analysis_data_dir,
                       output or settings.ash_products_dir, settings.locales, progress=progress,
                       templates_dir=settings.templates_dir, now=datetime.now(timezone.utc))


def handle_ash(settings: Settings, ash_file_path: str, event: AshEvent, force: bool = False) -> Outcome:
    """Copy the raster out of the drop, process it once per version, and queue its push; failures are in the ledger."""
    event_id = ash_id(event)
    ledger = ledger_for(settings)
    try:
        source = resolve_ash_file(settings, ash_file_path)
        data = source.read_bytes()
    except (BadInput, OSError) as exc:  # no raster, so no version: recorded under an empty one
        key = EventKey("ash", event_id, "", "")
        message = str(exc) if isinstance(exc, BadInput) else describe_unexpected(exc, ash_file_path)
        return failed(ledger, key, message, isinstance(exc, OSError), ledger.start_attempt(key), settings)
    key = EventKey("ash", event_id, "", hashlib.sha256(data).hexdigest())
    folder = settings.ash_products_dir / event_id
    if not force and processed_input_sha256(folder) == key.sha256:
        ledger.set_state(key, "done", unless=("done", "pushed"))
        return Outcome("already-done", key, str(folder), "this ash raster was processed before")
    if not force and holds_earlier_products(folder):
        ledger.set_state(key, "adopted", error=ADOPTED_NOTE, unless=("done", "pushed"))
        return Outcome("adopted", key, str(folder), ADOPTED_NOTE)
    attempt, stop = begin_attempt(ledger, key, str(source), settings, force)
    if stop:
        return stop
    try:
        kept = keep_copy(settings, source, event_id, data)
        result = run_ash(settings, kept, event)
    except INPUT_ERRORS as exc:
        return failed(ledger, key, str(exc), False, attempt, settings)
    except Exception as exc:
        return failed(ledger, key, describe_unexpected(exc, source), True, attempt, settings)
    return finished(ledger, key, result.folder)
