"""The volcanic ash report: one A4 page per locale as PDF, PNG and thumbnail, like the other hazards.

Everything comes from impact.json (the class table, with its labels and impact texts in both
languages, travels in the document), so the report needs no ash code; the map is drawn once
from the class polygons next to it, and each locale only re-renders the HTML around it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

from babel.numbers import format_decimal

from realtime.analysis_data import AnalysisData
from realtime.reporting import formatting
from realtime.reporting.ash_map import MAP_PNG, draw_ash_map
from realtime.reporting.i18n import translations
from realtime.reporting.map_parts import MapContext, thumbnail
from realtime.reporting.report_parts import default_templates_dir, render_locales, render_page
from realtime.text import N_

TABLE_PLACES = 6  # generation 1 showed at most six rows, two of them airports (IS d144839 ash_event.py)
TABLE_AIRPORTS = 2
REPORT_VALID = timedelta(days=1)  # "Report Expires" = event time + 1 day
ALERT_LEVELS = {  # Permen ESDM 15/2011; the glosses are an interpretation (reference §5)
    "normal": ("I", "Normal", N_("Normal"), "#00a651"),
    "waspada": ("II", "Waspada", N_("Advisory"), "#ffd400"),
    "siaga": ("III", "Siaga", N_("Watch"), "#ff8c00"),
    "awas": ("IV", "Awas", N_("Warning"), "#e00000"),
}
LANDCOVER = {  # badan_geologi_landcover_classes
    "settlement": N_("Settlement"), "rice_field": N_("Rice field"), "plantation": N_("Plantation"),
    "water_supply": N_("Water supply"), "forest": N_("Forest"), "other": N_("Other"),
}
SOURCE_NAMES = {
    "hazard": N_("ash fall"), "ash": N_("ash fall"), "volcano": N_("volcano"), "population": N_("population"),
    "places": N_("places"), "airports": N_("airports"), "landcover": N_("land cover"),
}
IANA_BY_ZONE = {abbreviation: iana for iana, abbreviation in formatting.ZONE_ABBREVIATIONS.items()}
Translate = Callable[[str], str]


def _localised(value: dict | str, locale: str) -> str:
    """A {en, id} text from the document in the reader's language, English when it has none."""
    if isinstance(value, dict):
        return value.get(locale) or value.get("en") or ""
    return value


def thickness_range(row: dict, locale: str) -> str:
    """'0.01–0.1', or '> 10' for the open top class, with the locale's decimal mark."""
    low = format_decimal(row["min_cm"], locale=locale)
    if row.get("max_cm") is None:
        return f"> {low}"
    return f"{low}–{format_decimal(row['max_cm'], locale=locale)}"


def table_places(document: dict) -> list[dict]:
    """The places the report lists: the worst-hit towns, then at most two airports, as in generation 1."""
    airports = [dict(a, kind="airport") for a in (document.get("airports") or [])][:TABLE_AIRPORTS]
    towns = [p for p in document.get("places") or [] if p.get("kind", "place") != "airport"]
    rows = towns[: TABLE_PLACES - len(airports)] + airports
    return [dict(row, label=_place_label(row)) for row in rows]


def _place_label(place: dict) -> str:
    iata = place.get("iata")
    return f"{place['name']} ({iata})" if place.get("kind") == "airport" and iata else place["name"]


def report_context(document: dict, locale: str, templates_dir: Path, now: datetime) -> dict:
    """Everything the template shows, already translated and formatted for `locale`."""
    trans = translations(Path(templates_dir), locale)
    _ = trans.gettext
    translate = trans.gettext  # for values looked up at run time; their msgids are marked with N_
    volcano, event = document["volcano"], document["event"]
    time = datetime.fromisoformat(event["time"])
    # impact.json names the clock as shown ("WIB", or "UTC+07:00" off the volcano's clock); formatting wants IANA
    zone = event.get("timezone") or ""
    zone = IANA_BY_ZONE.get(zone, zone)
    roman, name, gloss, colour = ALERT_LEVELS[event["alert_level"]]
    classes = {row["key"]: row for row in document["classes"]}
    days = int(event["forecast_duration_days"])
    column = event.get("column_height_asl_m")
    if column is None:
        column = event["eruption_height_m"] + volcano["elevation_m"]
    landcover = document.get("landcover")
    return {
        "locale": locale,
        "ash_id": document["ash_id"],
        "volcano": volcano["name"],
        "region": event.get("region") or volcano.get("region") or "",
        "event_time": formatting.local_time(time, zone, locale),
        "elapsed": formatting.elapsed(now - time, trans),
        "expires": formatting.local_time(time + REPORT_VALID, zone, locale),
        "duration": trans.ngettext("%(n)d day", "%(n)d days", days) % {"n": days},
        "alert": {"name": name, "colour": colour, "dark": event["alert_level"] in ("normal", "awas"),
                  "line": _("%(name)s (level %(roman)s, %(gloss)s)")
                  % {"name": name, "roman": roman, "gloss": translate(gloss)}},
        "column_height": formatting.number(column, locale, 0),
        "latitude": formatting.dms(volcano["latitude"], translate("N"), translate("S")),
        "longitude": formatting.dms(volcano["longitude"], translate("E"), translate("W")),
        "affected": formatting.display_people(document["summary"]["affected"], locale),
        "displaced": formatting.display_people(document["summary"]["displaced"], locale),
        "max_thickness": formatting.number(document.get("max_thickness_cm") or 0, locale, 1),
        "classes": [
            {"colour": row["colour"], "name": _localised(row["label"], locale),
             "people": formatting.display_people(row.get("people", document["exposure"].get(row["key"], 0)), locale),
             "impact": _localised(row.get("impact", ""), locale), "range": thickness_range(row, locale)}
            for row in document["classes"]
        ],
        "total": formatting.display_people(document.get("exposure_total", sum(document["exposure"].values())), locale),
        "places": [_place_row(place, classes, locale, translate) for place in table_places(document)],
        "airports": document.get("airports") is not None,
        "landcover": [
            {"name": translate(LANDCOVER[key]) if key in LANDCOVER else key, "km2": formatting.number(km2, locale, 1)}
            for key, km2 in landcover.items()
        ] if landcover else [],
        "sources": _sources(document.get("sources") or {}, translate),
        "software": document["software"]["name"],
        "version": document["software"]["version"],
        "made_at": formatting.local_time(now.astimezone(time.tzinfo), zone, locale),
        "map_png": MAP_PNG,
    }


def _place_row(place: dict, classes: dict[str, dict], locale: str, translate: Translate) -> dict:
    """A nearby place: a town's people, or an airport's code; its fallout level; distance and direction."""
    level = classes.get(place.get("class_key"))
    airport = place.get("kind") == "airport"
    return {
        "name": place["label"], "airport": airport,
        "people": "" if airport else formatting.people(place.get("population") or 0, locale),
        "colour": level["colour"] if level else "#ffffff",
        "level": _localised(level["label"], locale) if level else "",
        "distance": formatting.number(place["distance_km"], locale, 0), "direction": translate(place["direction"]),
    }


def _sources(sources: dict, translate: Translate) -> list[dict[str, str]]:
    return [{"name": translate(SOURCE_NAMES[key]) if key in SOURCE_NAMES else key, "value": str(value)}
            for key, value in sources.items() if isinstance(value, (str, int, float)) and str(value)]


def map_context(analysis_data: AnalysisData | MapContext | Path | str | None) -> MapContext:
    """What the map draws besides the event: land and sea (context/land.geojson) and an optional basemap."""
    if isinstance(analysis_data, MapContext):
        return analysis_data
    if analysis_data is None:
        return MapContext(population=None, places=None)
    data = analysis_data if isinstance(analysis_data, AnalysisData) else AnalysisData(Path(analysis_data))
    return MapContext(population=None, places=None, basemap=data.basemap, land=data.land)


def render_locale(
    document: dict, folder: Path, locale: str, templates_dir: Path, now: datetime, thumbnail_png: bytes | None = None
) -> dict[str, str]:
    """PDF, PNG page and thumbnail for one locale; the map must already be in `folder`."""
    context = report_context(document, locale, Path(templates_dir), now)
    thumbnail_png = thumbnail_png or thumbnail(Path(folder) / MAP_PNG)
    return render_page(templates_dir, folder, "ash", context, locale, document["ash_id"], thumbnail_png)


def render_ash_reports(
    document: dict, folder: Path, locales: list[str], analysis_data: AnalysisData | MapContext | Path | None = None,
    templates_dir: Path | None = None, now: datetime | None = None, parallel: bool = True,
) -> dict[str, dict[str, str]]:
    """Draw the map once, then render each locale; returns {locale: {pdf, png, thumbnail}} file names in `folder`.

    `folder` must hold the class polygons (document["products"]["classes"]); `analysis_data` gives the
    land polygons, without which the map is all sea. `now` is the report time (elapsed time since the event).
    """
    folder = Path(folder)
    templates_dir = Path(templates_dir) if templates_dir else default_templates_dir()
    now = now or datetime.now(timezone.utc)
    draw_ash_map(folder, document, map_context(analysis_data), table_places(document))
    render = partial(render_locale, document, folder, templates_dir=templates_dir, now=now,
                     thumbnail_png=thumbnail(folder / MAP_PNG))
    return render_locales(render, locales, parallel)
