"""CAP 1.2 alerts under /realtime/cap/ and their Atom index /realtime/feeds/cap.atom (the Alert Hub layout).

An identifier in a URL is matched against the ids' own patterns (events.ids, realtime.ids) and then checked
again, calendar included, before any query: a bad or unpublished one is a 404, never a file path. A version whose
impact.json cannot be read has no entry in the index, and its file is a 500 naming the key (events.summary logs
it as one ERROR line): an alert hub must never relay a CAP file with the alert level or the people left out.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timezone as dt_timezone

from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError
from django.urls import path, re_path, reverse
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from events.cap import (
    CAP_MIME, NOT_XML, ash_cap, ash_identifier, ash_page, cap_url, flood_cap, flood_identifier, flood_page, quake_cap,
    quake_identifier,
)
from events.feed_http import MAX_AGE_SECONDS, MAX_ITEMS, FeedParams, feed_validators, feed_view
from events.ids import (
    ASH_ID_PATTERN, FLOOD_ID_PATTERN, SHAKE_ID_PATTERN, SOURCE_TYPE_PATTERN, ash_id_problem, flood_id_problem,
    shake_id_problem,
)
from events.models import Ash, Earthquake, Flood
from events.summary import UnreadableImpact, absolute, ash_summary, flood_summary, quake_summary, readable

ATOM_NS = "http://www.w3.org/2005/Atom"
ATOM_MIME = "application/atom+xml; charset=utf-8"
IDENTIFIER = (rf"inasafe-realtime-(?:eq-(?P<shake_id>{SHAKE_ID_PATTERN})-(?P<source_type>{SOURCE_TYPE_PATTERN})"
              rf"|flood-(?P<flood_id>{FLOOD_ID_PATTERN})|ash-(?P<ash_id>{ASH_ID_PATTERN}))")
URL_IDENTIFIER = re.sub(r"\(\?P<\w+>", "(?:", IDENTIFIER)  # the same, with no groups for Django to pass on
FEED_TITLES = {"en": "InaSAFE Realtime CAP alerts", "id": "Peringatan CAP InaSAFE Realtime"}


def published_version(identifier: str) -> Earthquake | Flood | Ash:
    """The published row an identifier names; Http404 for anything else."""
    match = re.fullmatch(IDENTIFIER, identifier)
    if match is None:
        raise Http404("no such alert")
    if match["ash_id"]:
        if ash_id_problem(match["ash_id"]):
            raise Http404("no such alert")
        row = Ash.objects.filter(ash_id=match["ash_id"], published_at__isnull=False).first()
    elif match["flood_id"]:
        if flood_id_problem(match["flood_id"]):
            raise Http404("no such alert")
        row = Flood.objects.filter(event_id=match["flood_id"], published_at__isnull=False).first()
    else:
        if shake_id_problem(match["shake_id"]):
            raise Http404("no such alert")
        row = Earthquake.objects.filter(shake_id=match["shake_id"], source_type=match["source_type"],
                                        published_at__isnull=False).first()
    if row is None:
        raise Http404("no such alert")
    return row


def _stamp(response: HttpResponse, etag: str, last_modified: datetime | None) -> HttpResponse:
    response["ETag"] = etag
    if last_modified is not None:
        response["Last-Modified"] = http_date(last_modified.timestamp())
    patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
    return response


def _conditional(request: HttpRequest, etag: str, last_modified: datetime | None, render) -> HttpResponse:
    """304 when the reader's validators match, else render() stamped with them."""
    seconds = int(last_modified.timestamp()) if last_modified is not None else None
    answer = get_conditional_response(request, etag=etag, last_modified=seconds)
    return _stamp(answer if answer is not None else render(), etag, last_modified)


@require_safe
def cap_file(request: HttpRequest, identifier: str) -> HttpResponse:
    """One CAP file. Its ETag is its own bytes' hash: a replaced PDF changes the digest, hence the file."""
    row = published_version(identifier)
    try:
        body = quake_cap(row) if isinstance(row, Earthquake) else flood_cap(row) if isinstance(row, Flood) \
            else ash_cap(row)
    except UnreadableImpact as error:  # logged once by events.summary; a CAP file is never sent with blanks
        return HttpResponseServerError(f"{identifier}: this version's impact summary cannot be read: {error}\n",
                                       content_type="text/plain; charset=utf-8")
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    return _conditional(request, etag, None, lambda: HttpResponse(body, content_type=CAP_MIME))


def summarise(row: Earthquake | Flood | Ash):
    """The row's summary, whichever hazard it is (raises UnreadableImpact as events.summary does)."""
    return quake_summary(row) if isinstance(row, Earthquake) else flood_summary(row) if isinstance(row, Flood) \
        else ash_summary(row)


def _atom(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = NOT_XML.sub("", text)
    return element


def _rfc3339(moment: datetime) -> str:
    return moment.astimezone(dt_timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def cap_index_xml(rows: list[Earthquake | Flood | Ash], language: str, self_url: str, updated: datetime | None) -> bytes:
    """Atom: one entry per alert, newest sent first, linking its CAP file as application/cap+xml."""
    feed = ET.Element("feed", xmlns=ATOM_NS)  # children inherit the default namespace as plain names
    _atom(feed, "id", absolute(reverse("cap-atom")))
    _atom(feed, "title", FEED_TITLES[language])
    _atom(feed, "updated", _rfc3339(updated or datetime(1970, 1, 1, tzinfo=dt_timezone.utc)))
    _atom(_atom(feed, "author"), "name", "InaSAFE Realtime")
    _atom(feed, "link", rel="self", type="application/atom+xml", href=self_url)
    for row, summary in readable(rows, summarise):  # an unreadable impact.json: no entry (logged once)
        if isinstance(row, Earthquake):
            identifier, page = quake_identifier(row), summary.detail_url
        elif isinstance(row, Flood):
            identifier, page = flood_identifier(row), flood_page(row)
        else:
            identifier, page = ash_identifier(row), ash_page(row)
        url = cap_url(identifier)
        entry = _atom(feed, "entry")
        _atom(entry, "id", url)
        _atom(entry, "title", summary.title(language))
        _atom(entry, "updated", _rfc3339(row.published_at))
        _atom(entry, "published", _rfc3339(row.published_at))
        _atom(entry, "link", rel="alternate", type=CAP_MIME, href=url)
        _atom(entry, "link", rel="related", type="text/html", href=page)
        _atom(entry, "summary", summary.title(language))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


def _quakes_only(params: FeedParams, queryset: QuerySet) -> QuerySet:
    """Floods and ash falls have no PAGER level or magnitude: a reader asking for either gets earthquakes only."""
    return queryset.none() if params.min_alert or params.min_magnitude is not None else queryset


def _time(row: Earthquake | Flood | Ash) -> datetime:
    return row.event_time if isinstance(row, Ash) else row.time


@feed_view
def cap_index(request: HttpRequest, params: FeedParams) -> HttpResponse:
    kinds = [(params.quakes(), "cap.atom"), (_quakes_only(params, params.floods()), "cap.atom floods"),
             (_quakes_only(params, params.ashes()), "cap.atom ash")]
    validators = [feed_validators(rows, params, kind) for rows, kind in kinds]
    etag = quote_etag(hashlib.sha256("".join(v.etag for v in validators).encode()).hexdigest()[:32])
    moments = [v.last_modified for v in validators if v.last_modified is not None]
    last_modified = max(moments) if moments else None

    def render() -> HttpResponse:
        rows = [row for queryset, _ in kinds for row in queryset.prefetch_related("reports")[:MAX_ITEMS]]
        rows.sort(key=lambda row: (row.published_at, _time(row)), reverse=True)
        body = cap_index_xml(rows[:MAX_ITEMS], params.language, absolute(request.get_full_path()), last_modified)
        return HttpResponse(body, content_type=ATOM_MIME)

    response = _conditional(request, etag, last_modified, render)
    response["Content-Language"] = params.language
    return response


urlpatterns = [
    re_path(rf"^cap/(?P<identifier>{URL_IDENTIFIER})\.xml$", cap_file, name="cap-file"),
    path("feeds/cap.atom", cap_index, name="cap-atom"),
]
