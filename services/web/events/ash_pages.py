"""Volcanic ash pages: the list of ash-fall forecasts and one page per forecast, telling what its report tells.

Every figure comes from events.summary.ash_summary, the one the feeds and the CAP file read, so the page, the
Atom entry and the alert cannot disagree. impact.json may be missing (a forecast uploaded but not analysed
yet) or hostile: every lookup tolerates absent keys and wrong types.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import formats
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from events.ash_map import ash_map
from events.flood_pages import key_of
from events.maps import finite
from events.models import Ash
from events.page_views import DIRECTIONS, PAGE_SIZE, Report, as_dict, current_language
from events.summary import ASH_CLASS_KEYS, AshSummary, ash_summary, round_people


def decimal(value: float) -> str:
    """0.01, 2 and 10 as written, with the reader's decimal separator (0,01 in Indonesian)."""
    return f"{value:g}".replace(".", str(formats.get_format("DECIMAL_SEPARATOR")))


@dataclass(frozen=True)
class AshClass:
    """realtime.ash.classes as the pages show them (the web app imports no numpy): min < cm <= max."""

    key: str
    name: str
    min_cm: float
    max_cm: float | None

    @property
    def range(self) -> str:
        """"0.01 – 0.1 cm" in the reader's decimal separator; "> 10 cm" for the open class."""
        low = decimal(self.min_cm)
        return f"> {low} cm" if self.max_cm is None else f"{low} – {decimal(self.max_cm)} cm"


ASH_CLASSES = (
    AshClass("very_low", pgettext_lazy("ash fall level", "Very Low"), 0.01, 0.1),
    AshClass("low", pgettext_lazy("ash fall level", "Low"), 0.1, 2.0),
    AshClass("medium", pgettext_lazy("ash fall level", "Moderate"), 2.0, 5.0),
    AshClass("high", pgettext_lazy("ash fall level", "High"), 5.0, 10.0),
    AshClass("very_high", pgettext_lazy("ash fall level", "Very High"), 10.0, None),
)
CLASS_BY_KEY = {c.key: c for c in ASH_CLASSES}


@dataclass(frozen=True)
class AlertLevel:
    """Badan Geologi's volcano alert level (Permen ESDM 15/2011): its Indonesian word in both languages."""

    key: str
    word: str
    roman: str
    colour: str  # the VSI colour, as the site's alert badges
    meaning: str


ALERT_LEVELS = {level.key: level for level in (
    AlertLevel("normal", "Normal", "I", "green", _("activity fluctuates but does not rise")),
    AlertLevel("waspada", "Waspada", "II", "yellow", _("rising activity; eruptions possible near the vent")),
    AlertLevel("siaga", "Siaga", "III", "orange", _("clear rise; an eruption threatens the area around the vent")),
    AlertLevel("awas", "Awas", "IV", "red", _("an eruption threatens settlements; evacuation")),
)}
LANDCOVER = {"settlement": _("Settlement"), "rice_field": _("Rice field"), "plantation": _("Plantation"),
             "water_supply": _("Water supply"), "forest": _("Forest"), "other": _("Other")}
TEXT_MAX = 400


def ash_reports(ash: Ash, kind: str = "pdf") -> list[Report]:
    """The forecast's report PDFs (or PNGs), one per language, as links on this site."""
    field = "report_map" if kind == "pdf" else "report_image"
    return [Report(r.language, r.language.upper(), getattr(r, field).url, kind)
            for r in sorted(ash.reports.all(), key=lambda r: r.language) if getattr(r, field)]


def ash_row(ash: Ash) -> dict:
    """What the list and the detail page's heading show of a forecast."""
    summary = ash_summary(ash)
    return {
        "event": ash,
        "summary": summary,
        "alert": ALERT_LEVELS.get(summary.alert_level),
        "affected": round_people(summary.affected) if summary.affected is not None else None,
        "displaced": round_people(summary.displaced) if summary.displaced is not None else None,
        "reports": ash_reports(ash),
    }


def ash_list(request):
    forecasts = Ash.objects.select_related("volcano").prefetch_related("reports").order_by("-event_time", "-id")
    page = Paginator(forecasts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [ash_row(ash) for ash in page.object_list]
    return render(request, "events/ash_list.html", {"section": "ash", "page": page, "rows": rows})


def _text(value, language: str) -> str:
    """One language of an {en, id} text from impact.json, else ''."""
    value = as_dict(value).get(language)
    return str(value)[:TEXT_MAX] if isinstance(value, str) else ""


def class_rows(summary: AshSummary, impact: dict) -> list[dict]:
    """The report's 'potential impact at each fallout level' rows, mildest first as the report lists them."""
    language = current_language()
    stated = impact.get("classes") if isinstance(impact.get("classes"), list) else []
    found = {key_of(row): row for row in stated if isinstance(row, dict) and key_of(row) in CLASS_BY_KEY}
    rows = []
    for ash_class in ASH_CLASSES:
        row = as_dict(found.get(ash_class.key))
        displaced = finite(row.get("displaced"))
        rows.append({"cls": ash_class, "people": round_people(summary.exposure.get(ash_class.key) or 0.0),
                     "displaced": round_people(displaced) if displaced is not None and displaced >= 0 else None,
                     "impact": _text(row.get("impact"), language)})
    return rows


def place_rows(places) -> list[dict]:
    return [{"place": place, "cls": CLASS_BY_KEY.get(place.class_key),
             "direction": DIRECTIONS.get(place.direction, "") if place.direction else ""} for place in places]


def landcover_rows(impact: dict) -> list[dict]:
    landcover = as_dict(impact.get("landcover"))
    rows = []
    for key, name in LANDCOVER.items():
        km2 = finite(landcover.get(key))
        if km2 is not None and km2 >= 0:
            rows.append({"name": name, "km2": km2})
    return rows


def ash_detail(request, ash_id: str):
    ash = get_object_or_404(Ash.objects.select_related("volcano").prefetch_related("reports"), ash_id=ash_id)
    row = ash_row(ash)
    summary, impact = row["summary"], as_dict(ash.impact)
    context = {
        "section": "ash",
        "row": row,
        "event": ash,
        "summary": summary,
        "has_impact": bool(impact),
        "classes": class_rows(summary, impact) if summary.exposure else [],
        "places": place_rows(summary.places),
        "airports": place_rows(summary.airports),
        "landcover": landcover_rows(impact),
        "legend": ASH_CLASSES,
        "map": ash_map(summary, impact),
        "images": ash_reports(ash, "png"),
    }
    return render(request, "events/ash_detail.html", context)
