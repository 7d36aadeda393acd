"""One ash fall's impact: the steps chained, and the impact.json document every consumer reads.

`analyse_ash` is the whole analysis as one call on files; `AshImpact.document` is the record the
reports, the web push and a re-run's "already done?" check (input.sha256) all read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from realtime import SOFTWARE_NAME, __version__
from realtime.analysis_data import AnalysisData
from realtime.ash.classes import ASH_CLASSES
from realtime.ash.event import AshEvent
from realtime.ash.exposure import AshExposure, ash_exposure
from realtime.ash.hazard import AshHazard, read_ash_hazard
from realtime.ash.places import AshPlace, affected_airports, affected_places, landcover_km2, load_airports
from realtime.ash.products import CLASSES_GEOJSON, HAZARD_TIF
from realtime.gazetteer import load_places

IMPACT_SCHEMA_VERSION = 1
HAZARD_KEY = "volcanic_ash"


def file_sha256(path: Path) -> str:
    """The input's version: the same file processed twice is the same event version."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def zone_name(time: datetime, iana: str) -> str:
    """WIB/WITA/WIT when the time's offset is the volcano's local clock, else 'UTC+07:00' style."""
    offset = time.utcoffset() or timedelta(0)
    local = time.astimezone(ZoneInfo(iana))
    if local.utcoffset() == offset and local.tzname():
        return str(local.tzname())
    if offset == timedelta(0):
        return "UTC"
    sign, rest = ("+" if offset >= timedelta(0) else "-"), abs(offset)
    return f"UTC{sign}{rest.seconds // 3600:02d}:{rest.seconds % 3600 // 60:02d}"


@dataclass(frozen=True)
class AshImpact:
    event: AshEvent
    hazard: AshHazard
    input_name: str
    input_sha256: str
    exposure: AshExposure
    places: list[AshPlace]  # towns under ash, worst class first, then most populous
    airports: list[AshPlace] | None  # None: no airports layer in the analysis data
    landcover: dict[str, float] | None  # km² per land-cover class under ash; None: no land-cover layer
    sources: dict[str, str]
    generated_at: datetime | None = None
    reports: dict[str, dict[str, str]] = field(default_factory=dict)  # {lang: {pdf, png, thumbnail}}

    def _classes(self) -> list[dict]:
        return [
            {
                "key": c.key, "min_cm": c.min_cm, "max_cm": c.max_cm, "label": dict(c.label), "colour": c.colour,
                "impact": dict(c.impact), "people": self.exposure.people.get(c.key, 0.0),
                "displaced": self.exposure.people.get(c.key, 0.0) * c.displacement_rate,
            }
            for c in ASH_CLASSES
        ]

    @property
    def document(self) -> dict:
        event, volcano = self.event, self.event.volcano
        west, south, east, north = self.hazard.lonlat_bounds()
        thickness = self.hazard.thickness
        finite = thickness[np.isfinite(thickness)]
        return {
            "schema_version": IMPACT_SCHEMA_VERSION,
            "hazard": HAZARD_KEY,
            "ash_id": event.ash_id,
            "volcano": {
                "name": volcano.name, "latitude": volcano.latitude, "longitude": volcano.longitude,
                "elevation_m": volcano.elevation_m, "region": volcano.region, "source": volcano.source,
            },
            "event": {
                "time": event.time.isoformat(),
                "timezone": zone_name(event.time, volcano.timezone),
                "eruption_height_m": event.eruption_height_m,
                "column_height_asl_m": event.column_height_asl_m,
                "alert_level": event.alert_level,
                "forecast_duration_days": event.forecast_duration_days,
                "region": event.region,
            },
            "input": {"name": self.input_name, "sha256": self.input_sha256},
            "hazard_extent": {"lon_min": west, "lat_min": south, "lon_max": east, "lat_max": north},
            "max_thickness_cm": round(float(finite.max()), 2) if finite.size else None,
            "classes": self._classes(),
            "exposure": {c.key: self.exposure.people.get(c.key, 0.0) for c in ASH_CLASSES},
            "exposure_total": self.exposure.total,
            "summary": {"affected": self.exposure.total, "displaced": self.exposure.displaced},
            "places": [place.as_dict() for place in self.places],
            "airports": None if self.airports is None else [airport.as_dict() for airport in self.airports],
            "landcover": self.landcover,
            "sources": dict(self.sources),
            "software": {"name": SOFTWARE_NAME, "version": __version__},
            "generated_at": (self.generated_at or datetime.now(timezone.utc)).isoformat(),
            "products": {"hazard": HAZARD_TIF, "classes": CLASSES_GEOJSON, "reports": dict(self.reports)},
        }


def _layer_source(path: Path, fallback: str) -> str:
    """A GeoJSON layer's own "source" (as `realtime data init` writes it), else the fallback."""
    try:
        source = json.loads(path.read_text(encoding="utf-8")).get("source")
    except (OSError, ValueError, AttributeError):
        source = None
    return source if isinstance(source, str) and source else fallback


def analyse_ash(hazard_path: Path, event: AshEvent, data: AnalysisData,
                generated_at: datetime | None = None) -> AshImpact:
    """Read the forecast, count people per class, find the places, airports and land cover under ash."""
    hazard_path = Path(hazard_path)
    data.check()
    hazard = read_ash_hazard(hazard_path)
    volcano = event.volcano
    airports_path, landcover_path = data.airports, data.landcover
    sources = {
        "hazard": hazard_path.name,
        "population": data.population_source(),
        "places": _layer_source(data.places, "GeoNames"),
        "volcano": volcano.source,
    }
    if airports_path is not None:
        sources["airports"] = _layer_source(airports_path, airports_path.name)
    if landcover_path is not None:
        sources["landcover"] = landcover_path.name
    return AshImpact(
        event=event,
        hazard=hazard,
        input_name=hazard_path.name,
        input_sha256=file_sha256(hazard_path),
        exposure=ash_exposure(hazard, data.population),
        places=affected_places(hazard, load_places(data.places), volcano),
        airports=None if airports_path is None else affected_airports(hazard, load_airports(airports_path), volcano),
        landcover=landcover_km2(hazard, landcover_path),
        sources=sources,
        generated_at=generated_at,
    )
