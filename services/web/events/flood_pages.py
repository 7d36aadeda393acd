"""Flood pages: the list and one page per flood, telling what the flood's report tells.

Every RW count comes from events.summary.rw_counts, the one the API's boundary_flooded, the feeds and the
notices read: "158 flooded + 3 to watch (use caution)" as the report writes it, never 161. The rest is read
from the processor's impact.json, any part of which may be missing or of the wrong type (an event pushed
before its analysis finished has impact = null), so every lookup tolerates that.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from events.flood_map import flood_map, village_label
from events.maps import finite
from events.models import Flood
from events.page_views import PAGE_SIZE, Report, as_dict, people
from events.summary import rw_counts

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


def number_or_none(value) -> float | None:
    """A finite non-negative number from impact.json, else None."""
    number = finite(value)
    return number if number is not None and number >= 0 else None


def key_of(item: dict) -> str | None:
    """An impact row's "key" when it is text (a list or dict there would be unhashable in a lookup)."""
    key = item.get("key")
    return key if isinstance(key, str) else None


def flood_reports(flood: Flood) -> list[Report]:
    """The flood's PDFs, the map then the table of each language."""
    reports = []
    for report in sorted(flood.reports.all(), key=lambda r: r.language):
        if report.impact_map:
            reports.append(Report(report.language, report.language.upper(), report.impact_map.url, "map"))
        if report.impact_report:
            reports.append(Report(report.language, report.language.upper(), report.impact_report.url, "report"))
    return reports


def flood_row(flood: Flood) -> dict:
    """What the list and the detail page's heading show of a flood."""
    summary = as_dict(as_dict(flood.impact).get("summary"))
    affected, displaced = number_or_none(summary.get("affected")), number_or_none(summary.get("displaced"))
    villages = as_dict(flood.impact).get("villages")
    flooded, caution = rw_counts(flood)
    count = number_or_none(summary.get("flooded_villages"))
    return {
        "event": flood,
        "affected": people(affected) if affected is not None else flood.total_affected,
        "displaced": people(displaced) if displaced is not None else None,
        "flooded_rw": flooded,
        "caution_rw": caution,
        "villages": int(count) if count is not None else len(villages) if isinstance(villages, list) else None,
        "reports": flood_reports(flood),
    }


def flood_list(request):
    floods = Flood.objects.defer("flood_data").prefetch_related("reports").order_by("-time", "-id")
    page = Paginator(floods, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [flood_row(flood) for flood in page.object_list]
    return render(request, "events/flood_list.html", {"section": "flood", "page": page, "rows": rows})


def class_rows(impact: dict) -> list[dict]:
    """The report's 'people affected by flood state' rows, in its order (high first, use caution last)."""
    classes = impact.get("classes") if isinstance(impact.get("classes"), list) else []
    found = {key_of(row): row for row in classes if isinstance(row, dict) and key_of(row)}
    rows = []
    for flood_class in FLOOD_CLASSES:
        row = as_dict(found.get(flood_class.key))
        rows.append({"cls": flood_class, "rw_count": number_or_none(row.get("rw_count")),
                     "affected": people(row.get("affected")), "displaced": people(row.get("displaced"))})
    return rows if found else []


def village_rows(impact: dict) -> list[dict]:
    """The impact's villages (most affected first, as the report lists them), each with its worst state."""
    rows = []
    for village in (impact.get("villages") if isinstance(impact.get("villages"), list) else [])[:MAX_VILLAGES]:
        village = as_dict(village)
        if not village.get("name"):
            continue
        state = number_or_none(village.get("worst_state"))
        rows.append({"name": village_label(str(village["name"])[:80]),
                     "cls": CLASS_BY_STATE.get(int(state)) if state is not None and state < 5 else None,
                     "flooded_rw": number_or_none(village.get("flooded_rw")),
                     "affected": people(village.get("affected")), "displaced": people(village.get("displaced"))})
    return rows


def need_groups(needs: dict) -> list[dict]:
    """Minimum needs under 'Weekly' and 'Once'; amounts exact, as a relief officer orders them."""
    items = [item for item in needs.get("items") if isinstance(item, dict)] \
        if isinstance(needs.get("items"), list) else []
    groups = []
    for frequency, title in FREQUENCIES.items():
        rows = [{"name": NEED_NAMES.get(key_of(item), str(item.get("name") or key_of(item) or "")[:60]),
                 "unit": str(item.get("unit") or "")[:10], "amount": number_or_none(item.get("amount"))}
                for item in items if item.get("frequency") == frequency]
        if rows:
            groups.append({"title": title, "rows": rows})
    return groups


def vulnerable_rows(impact: dict) -> list[dict]:
    groups = impact.get("vulnerable") if isinstance(impact.get("vulnerable"), list) else []
    return [{"name": GROUP_NAMES.get(key_of(group), str(group.get("name") or "")[:60]),
             "people": people(group.get("people"))}
            for group in groups if isinstance(group, dict) and (key_of(group) or group.get("name"))]


def flood_detail(request, event_id: str):
    flood = get_object_or_404(Flood.objects.prefetch_related("reports"), event_id=event_id)
    impact = as_dict(flood.impact)
    villages = village_rows(impact)
    needs = as_dict(impact.get("needs"))
    names = [v.get("name") for v in impact.get("villages") or [] if isinstance(v, dict) and v.get("name")] \
        if isinstance(impact.get("villages"), list) else []
    context = {
        "section": "flood",
        "row": flood_row(flood),
        "event": flood,
        "has_impact": bool(impact),
        "classes": class_rows(impact),
        "villages": villages,
        "needs": need_groups(needs),
        "needs_displaced": number_or_none(needs.get("displaced")),
        "vulnerable": vulnerable_rows(impact),
        "legend": FLOOD_CLASSES,
        "map": flood_map(flood.flood_data, names[:MAX_VILLAGES]),
        "flood_data_url": reverse("api:flood-data", kwargs={"event_id": flood.event_id}) if flood.flood_data else "",
    }
    return render(request, "events/flood_detail.html", context)
