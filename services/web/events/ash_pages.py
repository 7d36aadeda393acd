"""Volcanic ash pages: the list of ash-fall forecasts and one page per forecast, telling what its report tells.

Every figure comes from events.summary.ash_summary, the one the feeds and the CAP file read, so the page, the
Atom entry and the alert cannot disagree. impact.json may be missing (a forecast uploaded but not analysed
yet); once there, events.impact_read checks the keys the pages show (people per class, the summary, the
places) first: a document lacking one is logged and told (a 500 for the detail page, a marked row in the
list), never shown as blanks or zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.utils import formats
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from events.ash_map import ash_map
from events.impact_read import AshImpact, UnreadableImpact
from events.models import Ash
from events.page_views import DIRECTIONS, PAGE_SIZE, Report, as_dict, current_language, unreadable_page
from events.summary import ash_summary, round_people


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
    """What the list and the detail page's heading show of a forecast; an unreadable impact.json is marked."""
    try:  # events.summary reads impact.json strictly (and logs an unreadable one once)
        summary, unreadable = ash_summary(ash), ""
    except UnreadableImpact as error:
        summary, unreadable = ash_summary(ash, with_impact=False), str(error)
    impact = summary.impact
    return {
        "event": ash,
        "summary": summary,
        "impact": impact,
        "unreadable": unreadable,
        "alert": ALERT_LEVELS.get(summary.alert_level),
        "affected": round_people(impact.affected) if impact else None,
        "displaced": round_people(impact.displaced) if impact else None,
        "reports": ash_reports(ash),
    }


def ash_list(request):
    forecasts = Ash.objects.select_related("volcano").prefetch_related("reports").order_by("-event_time", "-id")
    page = Paginator(forecasts, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [ash_row(ash) for ash in page.object_list]
    return render(request, "events/ash_list.html", {"section": "ash", "page": page, "rows": rows})


def class_rows(impact: AshImpact) -> list[dict]:
    """The report's 'potential impact at each fallout level' rows, mildest first as the report lists them."""
    language = "id" if current_language() == "id" else "en"
    return [{"cls": ash_class, "people": round_people(impact.exposure[ash_class.key]),
             "displaced": round_people(impact.class_displaced[ash_class.key]),
             "impact": impact.impact_text[ash_class.key][language][:TEXT_MAX]} for ash_class in ASH_CLASSES]


def place_rows(places) -> list[dict]:
    return [{"place": place, "cls": CLASS_BY_KEY.get(place.class_key),
             "direction": DIRECTIONS.get(place.direction, "") if place.direction else ""} for place in places]


def landcover_rows(impact: AshImpact) -> list[dict]:
    """km² under ash per land-cover class, in the report's order; none without a land-cover layer."""
    landcover = impact.landcover or {}
    return [{"name": name, "km2": landcover[key]} for key, name in LANDCOVER.items() if key in landcover]


def ash_detail(request, ash_id: str):
    ash = get_object_or_404(Ash.objects.select_related("volcano").prefetch_related("reports"), ash_id=ash_id)
    row = ash_row(ash)
    if row["unreadable"]:
        title = gettext("Volcanic ash fall from %(volcano)s") % {"volcano": row["summary"].volcano}
        return unreadable_page(request, "ash", title, ash.ash_id, row["unreadable"], row["reports"])
    summary, impact = row["summary"], as_dict(ash.impact)
    context = {
        "section": "ash",
        "row": row,
        "event": ash,
        "summary": summary,
        "has_impact": row["impact"] is not None,
        "classes": class_rows(row["impact"]) if row["impact"] else [],
        "places": place_rows(summary.places),
        "airports": place_rows(summary.airports),
        "landcover": landcover_rows(row["impact"]) if row["impact"] else [],
        "legend": ASH_CLASSES,
        "map": ash_map(summary, impact),
        "images": ash_reports(ash, "png"),
    }
    return render(request, "events/ash_detail.html", context)
