"""Flood pages: the list and one page per flood, telling what the flood's report tells.

Every RW count comes from events.summary.rw_counts, the one the API's boundary_flooded, the feeds and the
notices read: "158 flooded + 3 to watch (use caution)" as the report writes it, never 161. The rest is read
from the processor's impact.json by events.impact_read, strictly: a flood pushed before its analysis finished
(impact = null) says so, but a document lacking a key the page shows is logged and told (a 500 for the detail
page, a marked row in the list), never shown as blanks or zeros.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events.flood_map import flood_map, village_label
from events.impact_read import FloodImpact, UnreadableImpact, flood_impact, read
from events.models import Flood
from events.page_views import PAGE_SIZE, Report, people, unreadable_page
from events.summary import rw_counts
from events.templatetags.events_pages import wib

MAX_VILLAGES = 500  # Jakarta has 267 kelurahan; a longer list is not the processor's


@dataclass(frozen=True)
class FloodClass:
    """realtime.flood.classes.FLOOD_CLASSES as the pages show them (the web app imports only realtime.ids)."""

    key: str
    name: str
    depth: str
    counted: bool  # people in it are counted as affected


FLOOD_CLASSES = (
    FloodClass("high", _("High"), _("over 150 cm"), True),
    FloodClass("medium", _("Medium"), _("71 - 150 cm"), True),
    FloodClass("low", _("Low"), _("10 - 70 cm"), True),
    FloodClass("use_caution", _("Use caution"), _("unknown depth"), False),
)
CLASS_BY_KEY = {c.key: c for c in FLOOD_CLASSES}
CLASS_BY_STATE = {4: CLASS_BY_KEY["high"], 3: CLASS_BY_KEY["medium"], 2: CLASS_BY_KEY["low"],
                  1: CLASS_BY_KEY["use_caution"]}
# The needs profile and vulnerable groups are the processor's data files; their names, translated.
NEED_NAMES = {"rice": _("Rice"), "drinking_water": _("Drinking Water"), "clean_water": _("Clean Water"),
              "family_kits": _("Family Kits"), "toilets": _("Toilets")}
FREQUENCIES = {"weekly": _("Weekly"), "once": _("Once")}
GROUP_NAMES = {"female": _("Women"), "infant": _("Infants"), "elderly": _("Elderly"),
               "pregnant": _("Pregnant women"), "lactating": _("Lactating women")}


def flood_reports(flood: Flood) -> list[Report]:
    """The flood's PDFs, the map then the table of each language."""
    reports = []
    for report in sorted(flood.reports.all(), key=lambda r: r.language):
        if report.impact_map:
            reports.append(Report(report.language, report.language.upper(), report.impact_map.url, "map"))
        if report.impact_report:
            reports.append(Report(report.language, report.language.upper(), report.impact_report.url, "report"))
    return reports


def read_flood(flood: Flood) -> tuple[FloodImpact | None, str]:
    """The flood's impact.json read strictly, and why it cannot be ('' when it can, or has not arrived)."""
    try:
        return read(flood_impact, flood.impact, f"flood {flood.event_id}"), ""
    except UnreadableImpact as error:
        return None, str(error)


def flood_row(flood: Flood, impact: FloodImpact | None, unreadable: str = "") -> dict:
    """What the list and the detail page's heading show of a flood (the snapshot's count before the impact)."""
    flooded, caution = rw_counts(flood, impact) if not unreadable else (None, None)
    return {
        "event": flood,
        "affected": people(impact.affected) if impact else None if unreadable else flood.total_affected,
        "displaced": people(impact.displaced) if impact else None,
        "flooded_rw": flooded,
        "caution_rw": caution,
        "villages": impact.flooded_villages if impact else None,
        "reports": flood_reports(flood),
        "unreadable": unreadable,
    }


def flood_list(request):
    floods = Flood.objects.defer("flood_data").prefetch_related("reports").order_by("-time", "-id")
    page = Paginator(floods, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [flood_row(flood, *read_flood(flood)) for flood in page.object_list]
    return render(request, "events/flood_list.html", {"section": "flood", "page": page, "rows": rows})


def class_rows(impact: FloodImpact) -> list[dict]:
    """The report's 'people affected by flood state' rows, in its order (high first, use caution last)."""
    return [{"cls": flood_class, "rw_count": impact.classes[flood_class.key].rw_count,
             "affected": people(impact.classes[flood_class.key].affected),
             "displaced": people(impact.classes[flood_class.key].displaced)} for flood_class in FLOOD_CLASSES]


def village_rows(impact: FloodImpact) -> list[dict]:
    """The impact's villages (most affected first, as the report lists them), each with its worst state."""
    return [{"name": village_label(village.key[:80]), "cls": CLASS_BY_STATE.get(village.worst_state),
             "flooded_rw": village.rw_count, "affected": people(village.affected),
             "displaced": people(village.displaced)} for village in impact.villages[:MAX_VILLAGES]]


def need_groups(impact: FloodImpact) -> list[dict]:
    """Minimum needs under 'Weekly' and 'Once'; amounts exact, as a relief officer orders them."""
    groups = []
    for frequency, title in FREQUENCIES.items():
        rows = [{"name": NEED_NAMES.get(need.key, need.name[:60]), "unit": need.unit[:10], "amount": need.amount}
                for need in impact.needs if need.frequency == frequency]
        if rows:
            groups.append({"title": title, "rows": rows})
    return groups


def vulnerable_rows(impact: FloodImpact) -> list[dict]:
    return [{"name": GROUP_NAMES.get(key, key[:60]), "people": people(count)}
            for key, count in impact.vulnerable.items()]


def flood_detail(request, event_id: str):
    flood = get_object_or_404(Flood.objects.prefetch_related("reports"), event_id=event_id)
    impact, unreadable = read_flood(flood)
    if unreadable:
        title = gettext("Jakarta flood, %(time)s") % {"time": wib(flood.time)}
        return unreadable_page(request, "flood", title, flood.event_id, unreadable, flood_reports(flood))
    names = [village.key for village in impact.villages] if impact else []
    context = {
        "section": "flood",
        "row": flood_row(flood, impact),
        "event": flood,
        "has_impact": impact is not None,
        "classes": class_rows(impact) if impact else [],
        "villages": village_rows(impact) if impact else [],
        "needs": need_groups(impact) if impact else [],
        "needs_displaced": impact.needs_displaced if impact else None,
        "vulnerable": vulnerable_rows(impact) if impact else [],
        "legend": FLOOD_CLASSES,
        "map": flood_map(flood.flood_data, names[:MAX_VILLAGES]),
        "flood_data_url": reverse("api:flood-data", kwargs={"event_id": flood.event_id}) if flood.flood_data else "",
    }
    return render(request, "events/flood_detail.html", context)
