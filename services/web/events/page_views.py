"""Server-rendered pages: earthquake list and detail (the flood pages are events.flood_pages). They only read
the models (and, for an event's map, the mmi_output zip it stored; see page_maps).

The impact JSON is the processor's impact.json, read strictly by events.impact_read: an event pushed before
its analysis finished (impact = null) says so, but a document lacking a key the page shows is an error,
logged and told on the page (a 500 for the detail page, a marked row in the list), never blanks or zeros.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from django.core.paginator import Paginator
from django.db.models import Max, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from events.impact_read import QuakeImpact, QuakeLocation, UnreadableImpact, quake_impact, read
from events.latest_views import LANGUAGES
from events.list_filters import RECENT_LARGE, parse_filter
from events.models import Earthquake
from events.page_maps import event_map, overview_map
from events.templatetags.events_pages import number

PAGE_SIZE = 50

# (roman, colour, perceived shaking); the colours are the processor's MMI scale.
MMI_SCALE = (
    ("I", "#ffffff", _("Not felt")),
    ("II", "#209fff", _("Weak")),
    ("III", "#00cfff", _("Weak")),
    ("IV", "#55ffff", _("Light")),
    ("V", "#aaffff", _("Moderate")),
    ("VI", "#fff000", _("Strong")),
    ("VII", "#ffa800", _("Very strong")),
    ("VIII", "#ff7000", _("Severe")),
    ("IX", "#ff0000", _("Violent")),
    ("X", "#dd0000", _("Extreme")),
)
EXPOSURE_CLASSES = MMI_SCALE[1:]  # nobody reports people exposed to MMI I
ALERTS = {"green": _("Green"), "yellow": _("Yellow"), "orange": _("Orange"), "red": _("Red")}
SOURCE_TYPES = {"initial": _("Initial"), "corrected": _("Corrected")}
DIRECTIONS = {
    "N": _("N"), "NNE": _("NNE"), "NE": _("NE"), "ENE": _("ENE"),
    "E": _("E"), "ESE": _("ESE"), "SE": _("SE"), "SSE": _("SSE"),
    "S": _("S"), "SSW": _("SSW"), "SW": _("SW"), "WSW": _("WSW"),
    "W": _("W"), "WNW": _("WNW"), "NW": _("NW"), "NNW": _("NNW"),
}


@dataclass
class MMI:
    value: float
    roman: str
    colour: str
    shaking: str

    @property
    def dark(self) -> bool:
        """Whether the colour needs white text (WCAG AA 4.5:1; IX's #ff0000 reads better with dark text)."""
        return self.roman == "X"


@dataclass
class Report:
    language: str
    label: str
    url: str
    kind: str = ""


@dataclass
class EarthquakeRow:
    event: Earthquake
    impact: dict  # the raw document, for the map (events.page_maps checks what it draws)
    read: QuakeImpact | None  # None: no impact yet, or unreadable (then `unreadable` says why)
    mmi: MMI | None
    alert: str | None
    alert_label: str
    fatalities_range: str
    fatalities_model: str
    location_text: str
    source_label: str
    pdfs: list[Report] = field(default_factory=list)
    thumbnail: str = ""
    image: str = ""
    processed_at: datetime | None = None
    others: list[Earthquake] = field(default_factory=list)  # the event's other versions, newest first
    unreadable: str = ""  # why impact.json cannot be read ("impact.json lacks 'exposure'")


def mmi_of(value) -> MMI | None:
    """The MMI class of a value: class k covers (k - 0.5, k + 0.5], as the processor classifies."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(value):
        return None
    k = int(min(10, max(1, math.ceil(value - 0.5))))
    roman, colour, shaking = MMI_SCALE[k - 1]
    return MMI(value, roman, colour, shaking)


def as_dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def people(value) -> int:
    """People rounded as the PDF reports round them: up to 10, 100 or 1,000 by size."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return 0
    if math.isnan(value) or value < 0.5:
        return 0
    step = 10 if value < 1000 else 100 if value < 100000 else 1000
    return int(math.ceil(value / step) * step)


def current_language() -> str:
    return (translation.get_language() or "en")[:2]


def location_text(location: QuakeLocation | None) -> str:
    """The epicentre's position from the nearest town, in the current language ('' when no town is near)."""
    if location is None:
        return ""
    return gettext("Located %(distance)s km %(direction)s of %(place)s") % {
        "distance": round(location.distance_km), "direction": DIRECTIONS[location.direction], "place": location.place}


def pick_report(reports, language: str):
    """The report in the current language, else any."""
    for report in reports:
        if report.language == language:
            return report
    return reports[0] if reports else None


def version_name(event: Earthquake) -> str:
    """How the log names a version: 'earthquake 20180220163351/initial'."""
    return f"earthquake {event.shake_id}/{event.source_type}"


def earthquake_row(event: Earthquake) -> EarthquakeRow:
    """The version as the list and the detail page show it; an unreadable impact.json is logged and marked."""
    try:
        impact, unreadable = read(quake_impact, event.impact, version_name(event)), ""
    except UnreadableImpact as error:
        impact, unreadable = None, str(error)
    reports = sorted(event.reports.all(), key=lambda r: r.language)
    language = current_language()
    shown = pick_report([r for r in reports if r.report_image], language)
    thumb = pick_report([r for r in reports if r.report_thumbnail], language)
    return EarthquakeRow(
        event=event,
        impact=as_dict(event.impact),
        read=impact,
        mmi=mmi_of(impact.max_mmi) if impact else None,
        alert=impact.alert if impact else None,
        alert_label=str(ALERTS[impact.alert]) if impact else "",
        fatalities_range=impact.fatalities_range if impact else "",
        fatalities_model=impact.model if impact else "",
        location_text=location_text(impact.location) if impact else "",
        source_label=str(SOURCE_TYPES.get(event.source_type, event.source_type)),
        pdfs=[Report(r.language, r.language.upper(), r.report_pdf.url, "pdf") for r in reports if r.report_pdf],
        thumbnail=thumb.report_thumbnail.url if thumb else "",
        image=shown.report_image.url if shown else "",
        processed_at=processed_at(event, impact),
        unreadable=unreadable,
    )


def processed_at(event: Earthquake, impact: QuakeImpact | None) -> datetime | None:
    """When the version was published (its impact arrived), else when the processor says it made it."""
    if event.published_at:
        return event.published_at
    try:
        return parse_datetime(impact.generated_at or "") if impact else None
    except ValueError:
        return None


def unreadable_page(request, section: str, title: str, event_id: str, problem: str,
                    reports: list[Report]) -> HttpResponse:
    """The page of a version whose impact.json cannot be read: a 500 that says so, with its report files."""
    context = {"section": section, "title": title, "event_id": event_id, "problem": problem, "reports": reports}
    return render(request, "events/impact_unreadable.html", context, status=500)


def newest_versions(queryset: QuerySet) -> QuerySet:
    """One version per event (versions share the origin time): the corrected one, the last pushed if several.

    Two uncorrelated subqueries, each evaluated once: a correlated EXISTS per row took 18 s for 10,000 events.
    """
    corrected = Earthquake.objects.filter(source_type="corrected").order_by()
    last_corrected = corrected.values("time").annotate(last=Max("pk")).values("last")
    return queryset.filter(
        Q(source_type="corrected", pk__in=last_corrected)
        | (~Q(source_type="corrected") & ~Q(time__in=corrected.values("time"))))


def earthquake_list(request):
    """One row per event, its newest version shown and filtered; the other versions linked from the row."""
    chosen = parse_filter(request.GET)
    context = {"section": "earthquake", "chosen": chosen, "recent_large": RECENT_LARGE, "stable_languages": LANGUAGES,
               "alert_choices": [(level, str(label)) for level, label in ALERTS.items()]}
    if chosen.errors:
        return render(request, "events/earthquake_list.html", {**context, "rows": []}, status=400)
    heads = newest_versions(chosen.apply(Earthquake.objects.all()))
    paginator = Paginator(heads.prefetch_related("reports").order_by("-time", "-id"), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    rows = [earthquake_row(event) for event in page.object_list]
    shown = [row.event.pk for row in rows]
    siblings = list(Earthquake.objects.filter(time__in=[row.event.time for row in rows]).exclude(pk__in=shown))
    for row in rows:
        row.others = sorted((e for e in siblings if e.time == row.event.time),
                            key=lambda e: (e.source_type == "corrected", e.pk), reverse=True)
    context.update(page=page, rows=rows, page_query=chosen.query, map=overview_map(rows, page.number == 1))
    return render(request, "events/earthquake_list.html", context)


def earthquake_detail(request, shake_id: str, source_type: str):
    event = get_object_or_404(Earthquake.objects.prefetch_related("reports"), shake_id=shake_id, source_type=source_type)
    row = earthquake_row(event)
    if row.unreadable:
        title = gettext("M %(magnitude)s earthquake") % {"magnitude": number(event.magnitude, 1)}
        title += f" – {event.location_description}" if event.location_description else ""
        return unreadable_page(request, "earthquake", title, event.shake_id, row.unreadable, row.pdfs)
    impact = row.read
    exposure_rows = [
        {"mmi": MMI(float(i + 2), roman, colour, shaking), "people": people(impact.exposure[roman])}
        for i, (roman, colour, shaking) in enumerate(EXPOSURE_CLASSES)
    ] if impact else []
    places = [{"name": place.name, "population": place.population, "mmi": mmi_of(place.mmi),
               "distance_km": place.distance_km, "direction": DIRECTIONS[place.direction]}
              for place in (impact.places if impact else [])]
    other_type = "corrected" if event.source_type == "initial" else "initial"
    counterpart = Earthquake.objects.filter(time=event.time, source_type=other_type).first()
    drawn = event_map(event, row.impact)
    context = {
        "section": "earthquake",
        "row": row,
        "event": event,
        "has_impact": impact is not None,
        "exposure_rows": exposure_rows,
        "exposure_total": people(impact.exposure_total) if impact else None,
        "places": places,
        "counterpart": counterpart,
        "map": drawn,
        "map_levels": [mmi_of(level) for level in drawn.levels],
    }
    return render(request, "events/earthquake_detail.html", context)

