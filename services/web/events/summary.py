"""One event version told in a line: what feeds, CAP files, emails and webhooks all say about it.

Every outward channel reads the version through `quake_summary` / `flood_summary` / `ash_summary`, so the Atom
title, the CAP headline, the email subject and the webhook payload cannot disagree. The impact values come from
the processor's impact.json read strictly by events.impact_read (the pages' reader, one key list): a document
lacking a key a channel tells raises UnreadableImpact naming it, logged as one ERROR line with the event, and
the channel leaves the version out (feeds, CAP index), answers 500 (a CAP file) or records the reason on the
Delivery (email, webhook) - never a blank alert, range or count. No impact yet (null or {}) gives None values:
such a version is not published, so no channel tells it. Keys impact_read keeps optional stay optional here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterator

from django.conf import settings
from django.urls import reverse

from events.impact_read import AshImpact, FloodImpact, UnreadableImpact, ash_impact, flood_impact, quake_impact, read
from events.models import ALERT_LEVELS, ASH_ALERT_LEVELS, Ash, Earthquake, Flood

# USGS writes "91 km W of Padang"; BMKG writes "64 km BaratDaya KAUR-BENGKULU". Indonesian readers get
# BMKG's whole words, English readers USGS's abbreviations.
DIRECTION_WORDS_ID = {
    "N": "Utara", "NNE": "Utara Timur Laut", "NE": "Timur Laut", "ENE": "Timur Timur Laut",
    "E": "Timur", "ESE": "Timur Tenggara", "SE": "Tenggara", "SSE": "Selatan Tenggara",
    "S": "Selatan", "SSW": "Selatan Barat Daya", "SW": "Barat Daya", "WSW": "Barat Barat Daya",
    "W": "Barat", "WNW": "Barat Barat Laut", "NW": "Barat Laut", "NNW": "Utara Barat Laut",
}
ALERT_WORDS = {
    "en": {"green": "GREEN", "yellow": "YELLOW", "orange": "ORANGE", "red": "RED"},
    "id": {"green": "HIJAU", "yellow": "KUNING", "orange": "ORANYE", "red": "MERAH"},
}
ROMAN = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
LANGUAGES = ("en", "id")


# Characters XML 1.0 cannot carry: one in a pushed place name would break every Atom feed and CAP file.
NOT_XML = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def clean(text) -> str:
    return NOT_XML.sub("", str(text))


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _number(value) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def mmi_roman(value: float | None) -> str | None:
    """The MMI class of a value: class k covers (k - 0.5, k + 0.5], as the processor classifies."""
    if value is None:
        return None
    return ROMAN[int(min(10, max(1, math.ceil(value - 0.5)))) - 1]


def alert_rank(alert: str | None) -> int:
    """0 for green to 3 for red; -1 for no level (below every threshold)."""
    return ALERT_LEVELS.index(alert) if alert in ALERT_LEVELS else -1


def absolute(path: str) -> str:
    return f"{settings.SITE_URL}{path}"


def media(file_field) -> str | None:
    return absolute(file_field.url) if file_field else None


@dataclass
class Document:
    """A downloadable product of the version (a PDF or image) with what a CAP resource needs."""

    language: str
    kind: str  # "pdf", "png", "map", "report", "grid"
    url: str
    mime_type: str
    size: int | None
    path: str | None  # on disk, for digests and attachments; None when the file is gone


def _document(language: str, kind: str, file_field, mime_type: str) -> Document | None:
    if not file_field:
        return None
    try:
        size, path = file_field.size, file_field.path
    except (OSError, NotImplementedError, ValueError):
        size, path = None, None
    return Document(language, kind, absolute(file_field.url), mime_type, size, path)


# Each hazard's report files: (kind, the report model's field, MIME type).
QUAKE_REPORT_FILES = (("pdf", "report_pdf", "application/pdf"), ("png", "report_image", "image/png"))
ASH_REPORT_FILES = (("pdf", "report_map", "application/pdf"), ("png", "report_image", "image/png"))
FLOOD_REPORT_FILES = (("map", "impact_map", "application/pdf"), ("report", "impact_report", "application/pdf"))


def _report_documents(reports, files: tuple[tuple[str, str, str], ...]) -> list[Document]:
    """Each report's files present, by language, in the order `files` names them."""
    documents = []
    for report in sorted(reports, key=lambda r: r.language):
        for kind, name, mime in files:
            if document := _document(report.language, kind, getattr(report, name), mime):
                documents.append(document)
    return documents


@dataclass
class QuakeSummary:
    """One earthquake version: initial or corrected ShakeMap of one event."""

    event: Earthquake
    shake_id: str
    source_type: str
    magnitude: float
    depth_km: float
    latitude: float
    longitude: float
    time: datetime  # origin time (aware, UTC)
    published_at: datetime | None
    alert: str | None  # green/yellow/orange/red or None when the impact has no level
    max_mmi: float | None
    fatalities_range: str | None
    fatalities_total: float | None
    exposure: dict[str, float]  # people by MMI class roman, as impact.json has them
    exposure_total: float | None
    place: str | None
    distance_km: float | None
    direction: str | None
    location_text: str  # the row's location_description: the fallback when no town is near
    detail_url: str
    documents: list[Document] = field(default_factory=list)

    @property
    def is_update(self) -> bool:
        return self.source_type != "initial"

    @property
    def mmi_roman(self) -> str | None:
        return mmi_roman(self.max_mmi)

    def where(self, language: str) -> str:
        """"91 km W of Padang" / "91 km Barat Padang"; the processor's text when there is no nearest place."""
        if self.place and self.distance_km is not None and self.direction in DIRECTION_WORDS_ID:
            distance = round(self.distance_km)
            if language == "id":
                return f"{distance} km {DIRECTION_WORDS_ID[self.direction]} {self.place}"
            return f"{distance} km {self.direction} of {self.place}"
        return self.location_text or f"{self.latitude:.2f}, {self.longitude:.2f}"

    def alert_word(self, language: str) -> str | None:
        return ALERT_WORDS["id" if language == "id" else "en"].get(self.alert) if self.alert else None

    def title(self, language: str = "en") -> str:
        """"M 7.6 – 91 km W of Padang – RED" (no level: no last part)."""
        parts = [f"M {self.magnitude:.1f}", self.where(language)]
        if word := self.alert_word(language):
            parts.append(word)
        return " – ".join(parts)

    def pdf(self, language: str) -> Document | None:
        """The report PDF in this language, else any report PDF."""
        pdfs = [d for d in self.documents if d.kind == "pdf"]
        return next((d for d in pdfs if d.language == language), pdfs[0] if pdfs else None)


def quake_name(event: Earthquake) -> str:
    """How the log names a version: 'earthquake 20180220163351/initial' (as the pages do)."""
    return f"earthquake {event.shake_id}/{event.source_type}"


def quake_summary(event: Earthquake) -> QuakeSummary:
    """The version's summary; raises UnreadableImpact (logged once) when its impact.json lacks a key told."""
    impact = read(quake_impact, event.impact, quake_name(event))
    location = impact.location if impact else None
    documents = _report_documents(event.reports.all(), QUAKE_REPORT_FILES)
    if grid := _document("", "grid", event.shake_grid, "application/xml"):
        documents.append(grid)
    return QuakeSummary(
        event=event,
        shake_id=event.shake_id,
        source_type=event.source_type,
        magnitude=event.magnitude,
        depth_km=event.depth,
        latitude=event.latitude,
        longitude=event.longitude,
        time=event.time,
        published_at=event.published_at,
        alert=impact.alert if impact else None,
        max_mmi=impact.max_mmi if impact else None,
        fatalities_range=impact.fatalities_range if impact else None,
        fatalities_total=impact.fatalities_total if impact else None,
        exposure=dict(impact.exposure) if impact else {},
        exposure_total=impact.exposure_total if impact else None,
        place=clean(location.place) if location else None,
        distance_km=location.distance_km if location else None,
        direction=location.direction if location else None,
        location_text=clean(event.location_description or ""),
        detail_url=absolute(reverse("earthquake-detail", kwargs={"shake_id": event.shake_id,
                                                                 "source_type": event.source_type})),
        documents=documents,
    )


def readable(rows, summarise: Callable[[Any], Any]) -> Iterator[tuple[Any, Any]]:
    """(row, summary) for each row whose impact.json can be read; the others are left out of a feed or index
    (read() has logged each one as an ERROR line naming the event and the key), never told with blanks."""
    for row in rows:
        try:
            yield row, summarise(row)
        except UnreadableImpact:
            continue


def earlier_versions(event: Earthquake) -> list[Earthquake]:
    """The versions of the same quake (same origin time) published before this one, oldest first.

    A quake can be corrected more than once; what people were last told is the last of these."""
    if event.published_at is None:
        return []
    return list(Earthquake.objects.filter(time=event.time, published_at__lt=event.published_at)
                .exclude(pk=event.pk).order_by("published_at", "pk"))


@dataclass
class FloodSummary:
    """One flood report: Jakarta's flooded RWs at one time."""

    event: Flood
    event_id: str
    time: datetime
    published_at: datetime | None
    interval_hours: int
    affected: float | None  # people in flooded RWs
    displaced: float | None
    flooded_rw: int | None  # the one RW count: the report's flooded RWs (not those to watch)
    caution_rw: int | None  # RWs at "use caution", reported apart ("158 flooded + 3 to watch")
    villages: int | None
    documents: list[Document] = field(default_factory=list)

    def title(self, language: str = "en") -> str:
        """"Jakarta flood – 158 RW flooded – 12,340 affected" in the reader's language."""
        when = self.time.strftime("%Y-%m-%d %H:%M UTC")
        rw = self.flooded_rw if self.flooded_rw is not None else 0
        if language == "id":
            text = f"Banjir Jakarta {when} – {rw} RW tergenang"
            return text + (f" – {round(self.affected):,} terdampak".replace(",", ".") if self.affected else "")
        text = f"Jakarta flood {when} – {rw} RW flooded"
        return text + (f" – {round(self.affected):,} affected" if self.affected else "")


def _count(value) -> int | None:
    """A whole non-negative count from the row or the processor's event block, else None (a bool or -3 is none)."""
    if isinstance(value, bool):
        return None
    number = _number(value)
    return int(number) if number is not None and number >= 0 else None


def read_flood(flood: Flood) -> FloodImpact | None:
    """The flood's impact.json read strictly (None before it arrives); UnreadableImpact is logged once."""
    return read(flood_impact, flood.impact, f"flood {flood.event_id}")


def rw_counts(flood: Flood, impact: FloodImpact | None = None) -> tuple[int | None, int | None]:
    """(flooded RWs, RWs to watch) as the report gives them: "158 flooded + 3 to watch (use caution)".

    The impact summary decides (pass it when read already; it is read here otherwise, and an unreadable one
    raises); before it arrives, the count read from the snapshot (boundary_flooded, RWs at flood state 2 or more)
    stands in for the flooded ones. Pages, feeds and the API's boundary_flooded all read it here, so no channel
    says 161 where the report says 158 + 3.
    """
    impact = impact or read_flood(flood)
    if impact is None:
        return flood.boundary_flooded or None, None
    return impact.flooded_rw, impact.caution_rw


def flood_summary(flood: Flood) -> FloodSummary:
    """The report's summary; raises UnreadableImpact (logged once) when its impact.json lacks a key told."""
    impact = read_flood(flood)
    flooded, caution = rw_counts(flood, impact)
    return FloodSummary(
        event=flood,
        event_id=flood.event_id,
        time=flood.time,
        published_at=flood.published_at,
        interval_hours=flood.interval,
        affected=impact.affected if impact else None,
        displaced=impact.displaced if impact else None,
        flooded_rw=flooded,
        caution_rw=caution,
        villages=impact.flooded_villages if impact else None,
        documents=_report_documents(flood.reports.all(), FLOOD_REPORT_FILES),
    )


# Volcanic ash ----------------------------------------------------------------------------------------------

ASH_CLASS_KEYS = ("very_low", "low", "medium", "high", "very_high")  # realtime.ash.classes, mildest first
ASH_WORDS = {
    "en": {"hazard": "volcanic ash", "people": "{count} people in ash fall", "nobody": "nobody in ash fall"},
    "id": {"hazard": "hujan abu vulkanik", "people": "{count} penduduk terdampak",
           "nobody": "tidak ada penduduk terdampak"},
}
MAX_PLACES = 200  # a forecast names tens of places; a longer list is not the processor's
MAX_FORECAST_DAYS = 30  # the processor takes 1 to 7; a larger count is not a forecast's (and would overflow dates)


def round_people(value: float) -> int:
    """People as the report rounds them: up to 10, 100 or 1,000 (under 1,000, under 100,000, above)."""
    if value < 0.5:
        return 0
    step = 10 if value < 1000 else 100 if value < 100000 else 1000
    return int(math.ceil(value / step) * step)


def grouped(value: float, language: str) -> str:
    """12,300 in English, 12.300 in Indonesian."""
    text = f"{round(value):,}"
    return text.replace(",", ".") if language == "id" else text


@dataclass
class AshPlace:
    """An affected place (or airport) of impact.json, its values checked."""

    name: str
    population: float | None
    thickness_cm: float | None
    class_key: str | None
    distance_km: float | None
    direction: str | None
    longitude: float | None
    latitude: float | None
    kind: str = "place"


def _ash_places(value, kind: str) -> list[AshPlace]:
    places = []
    for item in (value if isinstance(value, list) else [])[:MAX_PLACES]:
        item = _dict(item)
        if not item.get("name") or isinstance(item["name"], (dict, list)):
            continue
        population = _number(item.get("population"))
        places.append(AshPlace(
            name=clean(item["name"])[:80],
            population=population if population is not None and population >= 0 else None,
            thickness_cm=_number(item.get("thickness_cm")),
            class_key=item.get("class_key") if item.get("class_key") in ASH_CLASS_KEYS else None,
            distance_km=_number(item.get("distance_km")),
            direction=item["direction"] if isinstance(item.get("direction"), str)
            and item["direction"] in DIRECTION_WORDS_ID else None,
            longitude=_number(item.get("longitude")),
            latitude=_number(item.get("latitude")),
            kind=kind,
        ))
    return places


@dataclass
class AshSummary:
    """One ash-fall forecast of one eruption, as the processor's impact.json tells it."""

    event: Ash
    ash_id: str
    volcano: str
    latitude: float | None
    longitude: float | None
    region: str
    time: datetime  # the eruption (aware)
    published_at: datetime | None
    alert_level: str | None  # normal / waspada / siaga / awas, Badan Geologi's words; None when unknown
    eruption_height_m: float | None  # above the vent
    column_height_asl_m: float | None
    forecast_duration_days: int | None
    exposure: dict[str, float]  # people per ash class key
    affected: float | None
    displaced: float | None
    max_thickness_cm: float | None
    places: list[AshPlace]
    airports: list[AshPlace]
    detail_url: str
    documents: list[Document] = field(default_factory=list)
    impact: AshImpact | None = None  # the strict reading, for the pages (None before the impact arrives)

    @property
    def worst_class(self) -> str | None:
        """The heaviest ash class with at least one person (rounded), None when nobody is in ash fall."""
        reached = [key for key in ASH_CLASS_KEYS if round_people(self.exposure.get(key) or 0.0) > 0]
        return reached[-1] if reached else None

    @property
    def alert_word(self) -> str | None:
        """"SIAGA": the level in Indonesian in both languages, as Badan Geologi announces it."""
        return self.alert_level.upper() if self.alert_level else None

    def title(self, language: str = "en") -> str:
        """"Merapi – volcanic ash – 12,300 people in ash fall – SIAGA" / "Merapi – hujan abu vulkanik –
        12.300 penduduk terdampak – SIAGA"; people rounded as the report rounds them."""
        words = ASH_WORDS["id" if language == "id" else "en"]
        parts = [self.volcano, words["hazard"]]
        if self.affected is not None:
            count = round_people(self.affected)
            parts.append(words["people"].format(count=grouped(count, language)) if count else words["nobody"])
        if self.alert_word:
            parts.append(self.alert_word)
        return " – ".join(parts)

    def pdf(self, language: str) -> Document | None:
        pdfs = [d for d in self.documents if d.kind == "pdf"]
        return next((d for d in pdfs if d.language == language), pdfs[0] if pdfs else None)


def _non_negative(value) -> float | None:
    number = _number(value)
    return number if number is not None and number >= 0 else None


def ash_summary(ash: Ash, with_impact: bool = True) -> AshSummary:
    """The forecast's summary; raises UnreadableImpact (logged once) when its impact.json lacks a key told.

    People, classes and places are impact_read's (places are listed from the document it has checked); the
    volcano's position, region, heights and duration may come from the upload's row, which names them too.
    with_impact=False: the row's values only, what a page can still head a forecast with when impact.json
    cannot be read."""
    strict = read(ash_impact, ash.impact, f"ash {ash.ash_id}") if with_impact else None
    impact = _dict(ash.impact) if with_impact else {}
    volcano, event = _dict(impact.get("volcano")), _dict(impact.get("event"))
    known = ash.volcano  # the Volcano row, when the upload named one
    latitude = _number(volcano.get("latitude"))
    longitude = _number(volcano.get("longitude"))
    if (latitude is None or longitude is None) and known is not None:
        latitude, longitude = _number(known.latitude), _number(known.longitude)
    if latitude is not None and not -90 <= latitude <= 90 or longitude is not None and not -180 <= longitude <= 180:
        latitude = longitude = None
    eruption = _non_negative(event.get("eruption_height_m"))
    if eruption is None:
        eruption = _non_negative(ash.eruption_height)
    column = _non_negative(event.get("column_height_asl_m"))
    if column is None and eruption is not None and known is not None and _number(known.elevation_m) is not None:
        column = eruption + float(known.elevation_m)
    alert = event.get("alert_level") if event.get("alert_level") in ASH_ALERT_LEVELS else None
    alert = ash.alert_level if ash.alert_level in ASH_ALERT_LEVELS else alert
    duration = _count(event.get("forecast_duration_days"))
    duration = duration if duration is not None and 1 <= duration <= MAX_FORECAST_DAYS else None
    return AshSummary(
        event=ash,
        ash_id=ash.ash_id,
        volcano=clean(ash.volcano_name or volcano.get("name") or "")[:100],
        latitude=latitude,
        longitude=longitude,
        region=clean(volcano.get("region") or event.get("region") or (known.region if known else "") or "")[:120],
        time=ash.event_time,
        published_at=ash.published_at,
        alert_level=alert,
        eruption_height_m=eruption,
        column_height_asl_m=column,
        forecast_duration_days=duration if duration is not None else ash.forecast_duration,
        exposure=dict(strict.exposure) if strict else {},
        affected=strict.affected if strict else None,
        displaced=strict.displaced if strict else None,
        max_thickness_cm=_non_negative(impact.get("max_thickness_cm")),
        places=_ash_places(impact.get("places"), "place"),
        airports=_ash_places(impact.get("airports"), "airport"),
        detail_url=absolute(reverse("ash-detail", kwargs={"ash_id": ash.ash_id})),
        documents=_report_documents(ash.reports.all(), ASH_REPORT_FILES),
        impact=strict,
    )
