"""CAP 1.2 alerts: one per published event version, built from events.summary so they say what the feeds say.

A CAP file is a promise: once sent it must never change (Google never re-reads an edited alert), so `sent` is
the version's published_at, never the clock, and a corrected ShakeMap is a new `Update` naming the initial alert
in `references`. Elements are written in the order of the OASIS XSD's sequences (order is validated).
"""

from __future__ import annotations

import hashlib
import math
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta, timezone as dt_timezone

from django.conf import settings
from django.urls import reverse

from events.maps import Point, finite
from events.mmi_contours import Contour, read_contours
from events.models import Ash, Earthquake, Flood
from events.summary import (
    ASH_CLASS_KEYS, NOT_XML, ROMAN, AshSummary, Document, FloodSummary, QuakeSummary, absolute, ash_summary,
    earlier_versions, flood_summary, grouped, quake_summary, round_people,
)

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_MIME = "application/cap+xml"

INFO_LANGUAGES = {"en": "en-US", "id": "id-ID"}

# CAP urgency / severity / certainty by PAGER alert level (README "CAP 1.2"). PAGER's levels are estimated
# losses: green no fatalities expected, yellow 1-99 (local response), orange 100-999 (national), red 1000+
# (international). The quake has happened, so urgency is about the response: none needed at green (Past,
# as GDACS and GeoNet say), needed now from yellow up (Immediate). Severity follows the losses on CAP's own
# scale (Minor = minimal threat ... Extreme = extraordinary threat to life). Certainty: a green alert reports
# what was observed; yellow and up rest on PAGER's loss model, whose level is its median estimate (Likely,
# p > ~50%). No level at all: BMKG's Past/Unknown/Observed.
PAGER_TO_CAP: dict[str | None, tuple[str, str, str]] = {
    None: ("Past", "Unknown", "Observed"),
    "green": ("Past", "Minor", "Observed"),
    "yellow": ("Immediate", "Moderate", "Likely"),
    "orange": ("Immediate", "Severe", "Likely"),
    "red": ("Immediate", "Extreme", "Likely"),
}
# Flood reports are depths reported per RW (BPBD DKI / PetaBencana): observed, ongoing, a possible threat.
FLOODING = ("Immediate", "Moderate", "Observed")
NO_FLOODING = ("Past", "Minor", "Observed")

# Volcanic ash fall (README "CAP 1.2"): a dispersal model's forecast of ash on the ground, from an eruption that has
# happened. Severity follows the heaviest InaSAFE ash class that reaches people (rounded as the report rounds them,
# so a modelled 0.3 person reaches nobody): high (5-10 cm: structural damage, wet load collapse) and very high
# (> 10 cm: roof collapse) are the classes whose people Badan Geologi counts as displaced (rate 1.0): Severe;
# medium (2-5 cm: crops destroyed, infrastructure and cosmetic building damage): Moderate; very low and low
# (health, water, transport): Minor. Badan Geologi's alert level sets a floor: Siaga (an eruption threatens the
# area around the vent) at least Moderate, Awas (it threatens settlements; evacuation) at least Severe.
# Urgency: ash falling on people calls for action now (masks, clearing roofs): Immediate; with nobody under the
# forecast, Future, unless the level is Awas (Immediate). Certainty: the model's forecast is its best estimate
# (Likely) where people are in ash fall; with nobody reached, Possible.
ASH_SEVERITY = {"very_high": "Severe", "high": "Severe", "medium": "Moderate", "low": "Minor", "very_low": "Minor",
                None: "Minor"}
ALERT_SEVERITY_FLOOR = {"siaga": "Moderate", "awas": "Severe"}
SEVERITIES = ("Minor", "Moderate", "Severe", "Extreme")
# The circle around the volcano when there is no affected place to reach: PVMBG's widest danger zones (Merapi,
# Awas in 2010: 20 km) are about this size.
ASH_MIN_RADIUS_KM = 20

# The circle around the epicentre. 100 km is the radius within which GDACS scores an earthquake's exposed
# population and covers felt shaking (MMI IV-V) of the M5-6 quakes most alerts are about; where shaking of
# MMI VI or more reaches further, the contour polygon carries the area beyond it (shapes of an area are a union).
CIRCLE_RADIUS_KM = 100
STRONG_MMI = 6  # MMI VI: strong shaking, slight damage; the polygon covers where it is reached
MAX_SIDES = 72  # a hull with more vertices is replaced by a 72-gon around it
DECIMALS = 5  # about 1 m; Google shows up to 6
# Jakarta's extent, as realtime.reporting.flood_map.JAKARTA (the web image carries no geo stack).
JAKARTA = (106.68, -6.38, 106.98, -6.08)
HEADLINE_MAX = 160
# Google drops an alert after 24-48 h; GeoNet's quake alerts expire two days after they are sent.
EXPIRES_AFTER = timedelta(hours=48)

TEXTS = {
    "en": {
        "earthquake": "Earthquake", "flood": "Flood", "map": "Flood map",
        "pdf": "Impact report", "jakarta": "DKI Jakarta",
        "quake": "Magnitude {mag} earthquake at {time} UTC, {where}, depth {depth} km.",
        "alert": "PAGER alert level: {level}.", "fatalities": "Estimated fatalities: {range}.",
        "exposure": "People exposed by shaking intensity (MMI): {classes}.",
        "total": "People exposed in all: {total}.",
        "flooding": "Flood report for Jakarta at {time} UTC ({hours} h): {rw} RW flooded",
        "caution": ", {rw} more to watch", "villages": " in {count} villages",
        "affected": "People affected: {count}.", "displaced": "People displaced: {count}.",
        "ash": "Volcanic ash fall", "eruption": "Eruption of {volcano} at {time} UTC",
        "alert_level": "Volcano alert level: {level}.", "column": ", eruption column {height} m above sea level",
        "ash_people": "People in ash fall: {count}", "by_level": " ({levels})", "nobody": "Nobody is in the forecast ash fall.",
        "thickness": "Maximum forecast ash thickness: {cm} cm.", "duration": "Forecast for {days} day(s).",
        "ash_area": "Around {volcano}",
        "levels": {"very_low": "very low", "low": "low", "medium": "moderate", "high": "high", "very_high": "very high"},
    },
    "id": {
        "earthquake": "Gempabumi", "flood": "Banjir", "map": "Peta banjir",
        "pdf": "Laporan dampak", "jakarta": "DKI Jakarta",
        "quake": "Gempabumi magnitudo {mag} pada {time} UTC, {where}, kedalaman {depth} km.",
        "alert": "Tingkat peringatan PAGER: {level}.", "fatalities": "Perkiraan kematian: {range}.",
        "exposure": "Penduduk terpapar menurut intensitas guncangan (MMI): {classes}.",
        "total": "Jumlah penduduk terpapar: {total}.",
        "flooding": "Laporan banjir Jakarta pada {time} UTC ({hours} jam): {rw} RW tergenang",
        "caution": ", {rw} lagi perlu diwaspadai", "villages": " di {count} kelurahan",
        "affected": "Penduduk terdampak: {count}.", "displaced": "Penduduk mengungsi: {count}.",
        "ash": "Hujan abu vulkanik", "eruption": "Erupsi {volcano} pada {time} UTC",
        "alert_level": "Tingkat aktivitas gunung api: {level}.", "column": ", tinggi kolom erupsi {height} m dpl",
        "ash_people": "Penduduk terdampak hujan abu: {count}", "by_level": " ({levels})",
        "nobody": "Tidak ada penduduk di daerah prakiraan hujan abu.",
        "thickness": "Ketebalan abu maksimum menurut prakiraan: {cm} cm.", "duration": "Prakiraan untuk {days} hari.",
        "ash_area": "Sekitar {volcano}",
        "levels": {"very_low": "sangat rendah", "low": "rendah", "medium": "sedang", "high": "tinggi",
                   "very_high": "sangat tinggi"},
    },
}
LANGUAGE_NAMES = {"en": {"en": "English", "id": "Indonesian"}, "id": {"en": "bahasa Inggris", "id": "bahasa Indonesia"}}


# Identifiers and times ------------------------------------------------------------------------------------

def quake_identifier(event: Earthquake) -> str:
    """Stable, without spaces or commas (CAP forbids them): one per shake id and source type."""
    return f"inasafe-realtime-eq-{event.shake_id}-{event.source_type}"


def flood_identifier(flood: Flood) -> str:
    return f"inasafe-realtime-flood-{flood.event_id}"


def ash_identifier(ash: Ash) -> str:
    """CAP allows the ash id's '+' (it forbids spaces, commas, < and &); its URL keeps it literal (RFC 3986 path)."""
    return f"inasafe-realtime-ash-{ash.ash_id}"


def cap_time(moment: datetime) -> str:
    """CAP's DateTime: whole seconds, numeric offset; UTC written -00:00 as CAP 1.2 (3.3.2) requires."""
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def cap_url(identifier: str) -> str:
    return absolute(reverse("cap-file", kwargs={"identifier": identifier}))


def ash_page(ash: Ash) -> str:
    return absolute(reverse("ash-detail", kwargs={"ash_id": ash.ash_id}))


def flood_page(flood: Flood) -> str:
    return absolute(reverse("flood-detail", kwargs={"event_id": flood.event_id}))


def reference(identifier: str, published_at: datetime) -> str:
    """The `sender,identifier,sent` triplet naming an earlier alert."""
    return f"{settings.CAP_SENDER},{identifier},{cap_time(published_at)}"


# Geometry --------------------------------------------------------------------------------------------------

def convex_hull(points: list[Point]) -> list[Point]:
    """Counter-clockwise hull (Andrew's monotone chain), not closed; [] when the points span no area."""
    unique = sorted(set(points))
    if len(unique) < 3:
        return []

    def cross(o: Point, a: Point, b: Point) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    def half(sequence: list[Point]) -> list[Point]:
        chain: list[Point] = []
        for point in sequence:
            while len(chain) >= 2 and cross(chain[-2], chain[-1], point) <= 0:
                chain.pop()
            chain.append(point)
        return chain[:-1]

    hull = half(unique) + half(unique[::-1])
    return hull if len(hull) >= 3 else []


def outer_polygon(hull: list[Point], sides: int = MAX_SIDES) -> list[Point]:
    """A convex polygon of `sides` vertices holding the hull: the intersection of its supporting half-planes
    in `sides` evenly turned directions. It lies at most 1/cos(180°/sides) - 1 of the hull's size outside
    it (0.1 % for 72 sides), and keeps a great quake's polygon within IPAWS's 100 points."""
    if len(hull) <= sides:
        return hull
    normals = [(math.cos(2 * math.pi * i / sides), math.sin(2 * math.pi * i / sides)) for i in range(sides)]
    offsets = [max(nx * x + ny * y for x, y in hull) for nx, ny in normals]
    det = math.sin(2 * math.pi / sides)  # the same for every pair of neighbouring directions
    vertices = []
    for i in range(sides):
        (a1, b1), c1 = normals[i], offsets[i]
        (a2, b2), c2 = normals[(i + 1) % sides], offsets[(i + 1) % sides]
        vertices.append(((c1 * b2 - c2 * b1) / det, (a1 * c2 - a2 * c1) / det))
    return vertices


def strong_shaking_ring(contours: list[Contour], extent: tuple[float, float, float, float] | None) -> list[Point]:
    """A closed ring (lon, lat) around all shaking of MMI VI or more, [] when there is none.

    The contours are isolines of a smoothed grid: closed where the area lies inside the grid, open where the
    grid's edge cuts it. Rather than stitch open lines along the edge (which needs the side the higher values
    lie on), the ring is the convex hull of every point on the VI-and-higher lines. An area's boundary lies on
    its VI line and the grid edge between that line's ends, both inside the hull, so the hull holds the whole
    area: it may include some weaker shaking between two strong patches, never leaves strong shaking out
    (bar the grid's very corner, which a ShakeMap's extent is chosen to keep weak), and is always a valid,
    simple polygon, as Google requires; a hull of more than 72 vertices becomes the 72-gon around it. When the
    whole grid is VI or more there is no VI line: the grid's extent.
    """
    if contours and extent and min(contour.level for contour in contours) > STRONG_MMI:
        west, south, east, north = extent
        hull = [(west, south), (east, south), (east, north), (west, north)]
    else:
        hull = outer_polygon(convex_hull([point for contour in contours if contour.level >= STRONG_MMI
                                          for line in contour.lines for point in line]))
    return hull + hull[:1] if hull else []


def _coordinate(value: float) -> str:
    text = f"{value:.{DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _lat_lon(point: Point) -> str:
    lon, lat = point
    if lon > 180:
        lon -= 360
    return f"{_coordinate(lat)},{_coordinate(lon)}"


def polygon_text(ring: list[Point]) -> str:
    """CAP polygon: space-separated "lat,lon" pairs (the reverse of GeoJSON), first pair repeated last."""
    return " ".join(_lat_lon(point) for point in ring)


def grid_extent(impact) -> tuple[float, float, float, float] | None:
    grid = impact.get("grid") if isinstance(impact, dict) else None
    if not isinstance(grid, dict):
        return None
    values = [finite(grid.get(key)) for key in ("lon_min", "lat_min", "lon_max", "lat_max")]
    return tuple(values) if None not in values else None  # type: ignore[return-value]


# Text ------------------------------------------------------------------------------------------------------

def count_text(value: float, language: str) -> str:
    text = f"{round(value):,}"
    return text.replace(",", ".") if language == "id" else text


def quake_description(summary: QuakeSummary, language: str) -> str:
    """Magnitude, time, place and depth; the PAGER level, fatality range and exposure by MMI class."""
    words = TEXTS[language]
    parts = [words["quake"].format(mag=f"{summary.magnitude:.1f}",  # BMKG's CAP writes 6.2 in Indonesian too
                                   time=summary.time.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M:%S"),
                                   where=summary.where(language), depth=round(summary.depth_km))]
    if word := summary.alert_word(language):
        parts.append(words["alert"].format(level=word))
    if summary.fatalities_range:
        parts.append(words["fatalities"].format(range=summary.fatalities_range))
    classes = [(roman, people) for roman in reversed(ROMAN)  # strongest shaking first
               if (people := finite(summary.exposure.get(roman))) is not None and round(people) > 0]
    if classes:
        parts.append(words["exposure"].format(
            classes="; ".join(f"{roman} {count_text(people, language)}" for roman, people in classes)))
    if summary.exposure_total:
        parts.append(words["total"].format(total=count_text(summary.exposure_total, language)))
    return " ".join(parts)


def flood_description(summary: FloodSummary, language: str) -> str:
    words = TEXTS[language]
    text = words["flooding"].format(time=summary.time.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M"),
                                    hours=summary.interval_hours, rw=summary.flooded_rw or 0)
    if summary.caution_rw:
        text += words["caution"].format(rw=summary.caution_rw)
    if summary.villages:
        text += words["villages"].format(count=summary.villages)
    parts = [text + "."]
    if summary.affected is not None:
        parts.append(words["affected"].format(count=count_text(summary.affected, language)))
    if summary.displaced is not None:
        parts.append(words["displaced"].format(count=count_text(summary.displaced, language)))
    return " ".join(parts)


def ash_description(summary: AshSummary, language: str) -> str:
    """The eruption, alert level and column; people in ash fall by level (heaviest first), displaced, thickness."""
    words = TEXTS[language]
    text = words["eruption"].format(volcano=summary.volcano,
                                    time=summary.time.astimezone(dt_timezone.utc).strftime("%Y-%m-%d %H:%M"))
    if summary.column_height_asl_m is not None:
        text += words["column"].format(height=grouped(summary.column_height_asl_m, language))
    parts = [text + "."]
    if summary.alert_level:
        parts.append(words["alert_level"].format(level=summary.alert_word))
    levels = [(key, count) for key in reversed(ASH_CLASS_KEYS) if (count := round_people(summary.exposure.get(key) or 0.0))]
    if summary.affected is not None and round_people(summary.affected):
        by_level = "; ".join(f"{words['levels'][key]} {grouped(count, language)}" for key, count in levels)
        parts.append(words["ash_people"].format(count=grouped(round_people(summary.affected), language))
                     + (words["by_level"].format(levels=by_level) if by_level else "") + ".")
        if summary.displaced is not None:
            parts.append(words["displaced"].format(count=grouped(round_people(summary.displaced), language)))
    elif summary.affected is not None:
        parts.append(words["nobody"])
    if summary.max_thickness_cm is not None:
        cm = f"{summary.max_thickness_cm:.1f}"
        parts.append(words["thickness"].format(cm=cm.replace(".", ",") if language == "id" else cm))
    if summary.forecast_duration_days:
        parts.append(words["duration"].format(days=summary.forecast_duration_days))
    return " ".join(parts)


def ash_codes(summary: AshSummary) -> tuple[str, str, str]:
    """(urgency, severity, certainty) from the heaviest class reaching people and the alert level (table above)."""
    worst = summary.worst_class
    severity = ASH_SEVERITY[worst]
    floor = ALERT_SEVERITY_FLOOR.get(summary.alert_level or "")
    if floor and SEVERITIES.index(floor) > SEVERITIES.index(severity):
        severity = floor
    urgency = "Immediate" if worst or summary.alert_level == "awas" else "Future"
    return urgency, severity, "Likely" if worst else "Possible"


def ash_radius_km(summary: AshSummary) -> int:
    """The circle's radius: to the farthest place or airport the ash reaches, whole km rounded up, ASH_MIN_RADIUS_KM
    at least."""
    distances = [place.distance_km for place in [*summary.places, *summary.airports]
                 if place.class_key and place.distance_km is not None and 0 <= place.distance_km <= 2000]
    return max([ASH_MIN_RADIUS_KM, *(math.ceil(distance) for distance in distances)])


# XML -------------------------------------------------------------------------------------------------------

def _add(parent: ET.Element, tag: str, text: str | None = None) -> ET.Element:
    element = ET.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = NOT_XML.sub("", text)  # a place name from impact.json could hold a control character
    return element


def _alert(identifier: str, published_at: datetime, references: str | None) -> ET.Element:
    """<alert> up to and including <references>, in the XSD's order."""
    alert = ET.Element(f"{{{CAP_NS}}}alert")
    _add(alert, "identifier", identifier)
    _add(alert, "sender", settings.CAP_SENDER)
    _add(alert, "sent", cap_time(published_at))
    _add(alert, "status", "Actual")
    _add(alert, "msgType", "Update" if references else "Alert")
    _add(alert, "scope", "Public")
    if references:
        _add(alert, "references", references)
    return alert


def _info_head(alert: ET.Element, language: str, category: str, event: str, codes: tuple[str, str, str],
               onset: datetime, expires: datetime, headline: str) -> ET.Element:
    """<info> from language to headline (responseType, audience, eventCode and effective left out)."""
    info = _add(alert, "info")
    _add(info, "language", INFO_LANGUAGES[language])
    _add(info, "category", category)
    _add(info, "event", event)
    for tag, value in zip(("urgency", "severity", "certainty"), codes):
        _add(info, tag, value)
    _add(info, "onset", cap_time(onset))
    _add(info, "expires", cap_time(expires))
    _add(info, "senderName", settings.CAP_SENDER_NAME)
    _add(info, "headline", headline[:HEADLINE_MAX])
    return info


def _parameters(info: ET.Element, values: list[tuple[str, str | None]]) -> None:
    for name, value in values:
        if value not in (None, ""):
            parameter = _add(info, "parameter")
            _add(parameter, "valueName", name)
            _add(parameter, "value", value)


def sha1_of(path: str) -> str | None:
    """SHA-1 hex of a file on disk (CAP's digest), None when it cannot be read."""
    digest = hashlib.sha1()
    try:
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _resources(info: ET.Element, documents: list[Document], language: str) -> None:
    """One <resource> per PDF still on disk; a file that is gone would only be a broken link."""
    for document in documents:
        if document.mime_type != "application/pdf" or not document.path:
            continue
        digest = sha1_of(document.path)
        if digest is None:
            continue
        kind = TEXTS[language]["map" if document.kind == "map" else "pdf"]
        name = LANGUAGE_NAMES[language].get(document.language, document.language)
        resource = _add(info, "resource")
        _add(resource, "resourceDesc", f"{kind} ({name}, PDF)")
        _add(resource, "mimeType", document.mime_type)
        if document.size is not None:
            _add(resource, "size", str(document.size))
        _add(resource, "uri", document.url)
        _add(resource, "digest", digest)


def _area(info: ET.Element, description: str, polygons: list[str], circle: str | None) -> None:
    area = _add(info, "area")
    _add(area, "areaDesc", description)
    for polygon in polygons:
        _add(area, "polygon", polygon)
    if circle:
        _add(area, "circle", circle)


def _serialise(alert: ET.Element) -> bytes:
    return ET.tostring(alert, encoding="utf-8", xml_declaration=True, default_namespace=CAP_NS)


def quake_cap(event: Earthquake) -> bytes:
    """The CAP alert of one published earthquake version (initial: Alert; corrected: Update of the initial)."""
    if event.published_at is None:
        raise ValueError(f"earthquake {event} is not published")
    summary = quake_summary(event)
    earlier = earlier_versions(event) if event.source_type != "initial" else []
    references = " ".join(reference(quake_identifier(version), version.published_at) for version in earlier) or None
    alert = _alert(quake_identifier(event), event.published_at, references)
    ring = strong_shaking_ring(read_contours(event), grid_extent(event.impact))
    polygons = [polygon_text(ring)] if ring else []
    circle = f"{_lat_lon((summary.longitude, summary.latitude))} {CIRCLE_RADIUS_KM}"
    for language in INFO_LANGUAGES:
        info = _info_head(alert, language, "Geo", TEXTS[language]["earthquake"], PAGER_TO_CAP[summary.alert],
                          summary.time, event.published_at + EXPIRES_AFTER, summary.title(language))
        _add(info, "description", quake_description(summary, language))
        _add(info, "web", summary.detail_url)
        _parameters(info, [
            ("Magnitude", f"{summary.magnitude:.1f}"),
            ("Depth", f"{round(summary.depth_km)} km"),
            ("PAGER alert level", summary.alert),
            ("MaxMMI", summary.mmi_roman),
            ("EventID", summary.shake_id),
            ("Version", summary.source_type),
        ])
        _resources(info, summary.documents, language)
        _area(info, summary.where(language), polygons, circle)
    return _serialise(alert)


def flood_cap(flood: Flood) -> bytes:
    """The CAP alert of one published flood report; the area is Jakarta's extent (RW shapes stay in the zip)."""
    if flood.published_at is None:
        raise ValueError(f"flood {flood} is not published")
    summary = flood_summary(flood)
    alert = _alert(flood_identifier(flood), flood.published_at, None)
    west, south, east, north = JAKARTA
    ring = [(west, south), (east, south), (east, north), (west, north), (west, south)]
    codes = FLOODING if summary.flooded_rw else NO_FLOODING
    for language in INFO_LANGUAGES:
        info = _info_head(alert, language, "Met", TEXTS[language]["flood"], codes, summary.time,
                          flood.published_at + EXPIRES_AFTER, summary.title(language))
        _add(info, "description", flood_description(summary, language))
        _add(info, "web", flood_page(flood))
        _parameters(info, [
            ("FloodedRW", None if summary.flooded_rw is None else str(summary.flooded_rw)),
            ("AffectedPeople", None if summary.affected is None else str(round(summary.affected))),
            ("DisplacedPeople", None if summary.displaced is None else str(round(summary.displaced))),
            ("EventID", summary.event_id),
        ])
        _resources(info, summary.documents, language)
        _area(info, TEXTS[language]["jakarta"], [polygon_text(ring)], None)
    return _serialise(alert)



def ash_cap(ash: Ash) -> bytes:
    """The CAP alert of one published ash-fall forecast; the area is a circle on the volcano reaching the farthest
    place in ash fall (the web keeps no class polygons), or none when the volcano's position is unknown."""
    if ash.published_at is None:
        raise ValueError(f"ash fall {ash} is not published")
    summary = ash_summary(ash)
    alert = _alert(ash_identifier(ash), ash.published_at, None)
    codes = ash_codes(summary)
    expires = max(ash.published_at + EXPIRES_AFTER, summary.time + timedelta(days=summary.forecast_duration_days or 1))
    circle = f"{_lat_lon((summary.longitude, summary.latitude))} {ash_radius_km(summary)}" \
        if summary.longitude is not None and summary.latitude is not None else None
    for language in INFO_LANGUAGES:
        info = _info_head(alert, language, "Geo", TEXTS[language]["ash"], codes, summary.time, expires,
                          summary.title(language))
        _add(info, "description", ash_description(summary, language))
        _add(info, "web", ash_page(ash))
        _parameters(info, [
            ("Volcano", summary.volcano),
            ("VolcanoAlertLevel", summary.alert_level),
            ("ColumnHeightASL", None if summary.column_height_asl_m is None else f"{round(summary.column_height_asl_m)} m"),
            ("MaxAshThickness", None if summary.max_thickness_cm is None else f"{summary.max_thickness_cm:.1f} cm"),
            ("AffectedPeople", None if summary.affected is None else str(round(summary.affected))),
            ("DisplacedPeople", None if summary.displaced is None else str(round(summary.displaced))),
            ("EventID", summary.ash_id),
        ])
        _resources(info, summary.documents, language)
        _area(info, TEXTS[language]["ash_area"].format(volcano=summary.volcano), [], circle)
    return _serialise(alert)
