"""One event version told in a line: what feeds, CAP files, emails and webhooks all say about it.

Every outward channel reads the version through `quake_summary` / `flood_summary`, so the Atom title, the
CAP headline, the email subject and the webhook payload cannot disagree. Values come from the row and the
processor's impact.json; anything missing is None, never a guess.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.urls import reverse

from events.models import ALERT_LEVELS, Earthquake, Flood

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
    location_text: str  # the processor's own sentence, the fallback
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


def quake_summary(event: Earthquake) -> QuakeSummary:
    impact = _dict(event.impact)
    fatalities = _dict(impact.get("fatalities"))
    location = _dict(impact.get("location"))
    exposure = {k: v for k, v in _dict(impact.get("exposure")).items() if _number(v) is not None}
    alert = fatalities.get("alert") if fatalities.get("alert") in ALERT_LEVELS else None
    documents: list[Document] = []
    for report in sorted(event.reports.all(), key=lambda r: r.language):
        for kind, file_field, mime in (("pdf", report.report_pdf, "application/pdf"),
                                       ("png", report.report_image, "image/png")):
            if document := _document(report.language, kind, file_field, mime):
                documents.append(document)
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
        alert=alert,
        max_mmi=_number(_dict(impact.get("grid")).get("max_mmi")),
        fatalities_range=str(fatalities["range"]) if fatalities.get("range") not in (None, "") else None,
        fatalities_total=_number(fatalities.get("total")),
        exposure=exposure,
        exposure_total=_number(impact.get("exposure_total")),
        place=clean(location["place"]) if location.get("place") else None,
        distance_km=_number(location.get("distance_km")),
        direction=location.get("direction") if location.get("direction") in DIRECTION_WORDS_ID else None,
        location_text=clean(location.get("text") or event.location_description or ""),
        detail_url=absolute(reverse("earthquake-detail", kwargs={"shake_id": event.shake_id,
                                                                 "source_type": event.source_type})),
        documents=documents,
    )


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
    """A whole non-negative count from impact.json, else None (a bool or -3 is no count)."""
    if isinstance(value, bool):
        return None
    number = _number(value)
    return int(number) if number is not None and number >= 0 else None


def rw_counts(flood: Flood) -> tuple[int | None, int | None]:
    """(flooded RWs, RWs to watch) as the report gives them: "158 flooded + 3 to watch (use caution)".

    The impact summary decides; before it arrives, the count read from the snapshot (boundary_flooded, RWs at
    flood state 2 or more) stands in for the flooded ones. Pages, feeds and the API's boundary_flooded all
    read it here, so no channel says 161 where the report says 158 + 3.
    """
    summary = _dict(_dict(flood.impact).get("summary"))
    flooded = _count(summary.get("flooded_rw"))
    if flooded is None:
        flooded = flood.boundary_flooded or None
    return flooded, _count(summary.get("caution_rw"))


def flood_summary(flood: Flood) -> FloodSummary:
    impact = _dict(flood.impact)
    summary = _dict(impact.get("summary"))
    documents: list[Document] = []
    for report in sorted(flood.reports.all(), key=lambda r: r.language):
        for kind, file_field in (("map", report.impact_map), ("report", report.impact_report)):
            if document := _document(report.language, kind, file_field, "application/pdf"):
                documents.append(document)
    flooded, caution = rw_counts(flood)
    villages = impact.get("villages")
    return FloodSummary(
        event=flood,
        event_id=flood.event_id,
        time=flood.time,
        published_at=flood.published_at,
        interval_hours=flood.interval,
        affected=_number(summary.get("affected")),
        displaced=_number(summary.get("displaced")),
        flooded_rw=flooded,
        caution_rw=caution,
        villages=int(v) if (v := _number(summary.get("flooded_villages"))) is not None
        else (len(villages) if isinstance(villages, list) else None),
        documents=documents,
    )
