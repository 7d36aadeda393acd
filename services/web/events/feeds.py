"""Public feeds: earthquakes as Atom (RFC 4287) and as USGS summary GeoJSON, floods and volcanic ash as Atom.

One entry per published version (an initial and a corrected ShakeMap are two entries), newest origin time
first. Titles and text come from events.summary, so a feed says what the CAP file, the email and the
webhook say. A version whose impact.json cannot be read is left out (events.summary logs it as one ERROR line
naming the event and the key): a reader sees the other events, never one told with a blank alert.
`?lang=id` gives Indonesian. Filters and conditional GET: events.feed_http (`?min_alert=` and
`?min_magnitude=` apply to earthquakes only; floods and ash take `?days=`).
"""

from __future__ import annotations

import json
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.feedgenerator import Atom1Feed
from django.utils.translation import gettext

from events.ash_pages import ALERT_LEVELS, CLASS_BY_KEY
from events.feed_http import FeedParams, feed_view, serve_feed
from events.local_time import local, zone_at
from events.models import Ash, Earthquake, Flood
from events.page_views import ALERTS, SOURCE_TYPES, people
from events.summary import (ASH_CLASS_KEYS, ROMAN, AshSummary, Document, FloodSummary, QuakeSummary, absolute,
                            ash_summary, flood_summary, grouped, quake_summary, readable, round_people)

GEOJSON_TYPE = "application/geo+json"


class RealtimeAtomFeed(Atom1Feed):
    """Atom1Feed with a plain-text summary, one link per document with its language and length, and the
    feed's `updated` taken from the rows' Last-Modified (an empty feed says when it was rendered)."""

    updated: datetime | None = None

    def latest_post_date(self) -> datetime:
        return self.updated or super().latest_post_date()

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, item)
        if item.get("summary_text"):
            handler.addQuickElement("summary", item["summary_text"], {"type": "text"})
        for attributes in item.get("document_links", ()):
            handler.addQuickElement("link", "", attributes)


def _tag(kind: str, *parts: str) -> str:
    """A tag URI (RFC 4151) for an entry: stable while pages move, unique per version."""
    host = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"tag:{host},2026:inasafe-realtime/{kind}/" + "/".join(parts)


def _count(value: float, language: str) -> str:
    """12,340 in English, 12.340 in Indonesian."""
    text = f"{round(value):,}"
    return text.replace(",", ".") if language == "id" else text


def _local(moment: datetime, longitude: float | None = None) -> str:
    """"2018-02-20 17:29 WITA (09:29 UTC)": the epicentre's clock (Jakarta's for floods), and UTC."""
    here, abbreviation = local(moment, longitude)
    return f"{here:%Y-%m-%d %H:%M} {abbreviation} ({timezone.localtime(moment, ZoneInfo('UTC')):%H:%M} UTC)"


def _document_links(documents: list[Document], kinds: dict[str, str]) -> list[dict[str, str]]:
    links = []
    for document in documents:
        if document.kind not in kinds:
            continue
        attributes = {"rel": "enclosure", "href": document.url, "type": document.mime_type,
                      "title": f"{kinds[document.kind]} ({document.language.upper()})"}
        if document.language:
            attributes["hreflang"] = document.language
        if document.size is not None:
            attributes["length"] = str(document.size)
        links.append(attributes)
    return links


def _sentences(pairs: list[tuple[str, str | None]]) -> str:
    return " ".join(f"{label}: {value}." for label, value in pairs if value)


def quake_text(summary: QuakeSummary, language: str) -> str:
    """The entry's summary: magnitude, depth, time, shaking, alert, fatality range, people exposed."""
    exposed = [(roman, people(summary.exposure.get(roman))) for roman in ROMAN[1:]]
    exposure = "; ".join(f"MMI {roman} {_count(n, language)}" for roman, n in exposed if n)
    return _sentences([
        (gettext("Magnitude"), f"{summary.magnitude:.1f}"),
        (gettext("Depth"), f"{summary.depth_km:.0f} km"),
        (gettext("Time"), _local(summary.time, summary.longitude)),
        (gettext("Location"), summary.where(language)),
        (gettext("Max MMI"), summary.mmi_roman),
        (gettext("PAGER alert"), str(ALERTS[summary.alert]) if summary.alert else gettext("Not estimated")),
        (gettext("Estimated fatalities"), summary.fatalities_range or gettext("Not estimated")),
        (gettext("People exposed"), exposure or None),
        (gettext("Type"), str(SOURCE_TYPES.get(summary.source_type, summary.source_type))),
    ])


def flood_text(summary: FloodSummary, language: str) -> str:
    """The entry's summary: people affected and displaced, flooded RWs (and those to watch), villages."""
    def count(value):
        return _count(value, language) if value is not None else None
    return _sentences([
        (gettext("Time"), _local(summary.time)),
        (gettext("Affected"), count(summary.affected)),
        (gettext("Displaced"), count(summary.displaced)),
        (gettext("Flooded RWs"), count(summary.flooded_rw if summary.flooded_rw is not None else 0)),
        (gettext("RWs to watch"), count(summary.caution_rw)),
        (gettext("Villages"), count(summary.villages)),
    ])


def ash_text(summary: AshSummary, language: str) -> str:
    """The entry's summary: time, alert level, column height, people affected (per level) and displaced, thickness."""
    def count(value):
        return grouped(round_people(value), language) if value is not None else None
    alert = ALERT_LEVELS.get(summary.alert_level)
    levels = "; ".join(f"{CLASS_BY_KEY[key].name} {count(people)}" for key in reversed(ASH_CLASS_KEYS)
                       if round_people(people := summary.exposure.get(key) or 0.0))
    return _sentences([
        (gettext("Time"), _local(summary.time, summary.longitude)),
        (gettext("Alert level"), f"{alert.word} ({alert.roman})" if alert else None),
        (gettext("Eruption column height (a.s.l.)"),
         f"{grouped(summary.column_height_asl_m, language)} m" if summary.column_height_asl_m is not None else None),
        (gettext("People affected"), count(summary.affected)),
        (gettext("People per fallout level"), levels or None),
        (gettext("Displaced"), count(summary.displaced)),
        (gettext("Maximum ash thickness"),
         f"{summary.max_thickness_cm:.1f} cm".replace(".", "," if language == "id" else ".")
         if summary.max_thickness_cm is not None else None),
    ])


def _window(params: FeedParams, earthquakes: bool) -> str:
    """The feed's subtitle: what it holds under the reader's filters."""
    parts = [gettext("past %(days)s days") % {"days": f"{params.days:g}"}]
    if earthquakes and params.min_alert:
        parts.append(gettext("alert %(level)s or higher") % {"level": ALERTS[params.min_alert]})
    if earthquakes and params.min_magnitude is not None:
        parts.append(gettext("magnitude %(magnitude)s or more") % {"magnitude": f"{params.min_magnitude:g}"})
    return ", ".join(parts)


def _feed(request: HttpRequest, params: FeedParams, title: str, about: str, home: str,
          updated: datetime | None, earthquakes: bool) -> RealtimeAtomFeed:
    self_url = absolute(request.get_full_path())
    feed = RealtimeAtomFeed(
        title=title, link=absolute(home), feed_url=self_url, feed_guid=self_url, language=params.language,
        description=None, subtitle=f"{about} ({_window(params, earthquakes)})",
        author_name=settings.CAP_SENDER_NAME, author_link=settings.SITE_URL)
    feed.updated = updated
    return feed


def _atom_response(feed: RealtimeAtomFeed) -> HttpResponse:
    response = HttpResponse(content_type=feed.content_type)
    feed.write(response, "utf-8")
    return response


def _version_updated(row) -> datetime:
    """When the version last changed: its publication, or a later re-push of the same version."""
    changed = getattr(row, "generated_time", None)
    return max(row.published_at, changed) if changed else row.published_at


@feed_view
def earthquakes_atom(request: HttpRequest, params: FeedParams) -> HttpResponse:
    def render(rows: list[Earthquake], updated: datetime | None) -> HttpResponse:
        with translation.override(params.language):
            feed = _feed(request, params, gettext("InaSAFE Realtime earthquakes"),
                         gettext("Estimated impact of earthquakes in Indonesia, one entry per ShakeMap version"),
                         reverse("earthquake-list"), updated, earthquakes=True)
            for row, summary in readable(rows, quake_summary):
                feed.add_item(
                    title=summary.title(params.language), link=summary.detail_url, description=None,
                    summary_text=quake_text(summary, params.language),
                    unique_id=_tag("earthquake", row.shake_id, row.source_type),
                    pubdate=row.published_at, updateddate=_version_updated(row),
                    categories=[summary.alert] if summary.alert else None,
                    document_links=_document_links(summary.documents, {"pdf": gettext("Report PDF")}))
        return _atom_response(feed)

    return serve_feed(request, params.quakes(), params, "earthquakes.atom", render)


@feed_view
def floods_atom(request: HttpRequest, params: FeedParams) -> HttpResponse:
    def render(rows: list[Flood], updated: datetime | None) -> HttpResponse:
        with translation.override(params.language):
            feed = _feed(request, params, gettext("InaSAFE Realtime floods"),
                         gettext("Jakarta flood impact reports per RW"), reverse("flood-list"), updated,
                         earthquakes=False)
            for row, summary in readable(rows, flood_summary):
                feed.add_item(
                    title=summary.title(params.language), link=absolute(reverse("flood-detail", kwargs={"event_id": row.event_id})), description=None,
                    summary_text=flood_text(summary, params.language),
                    unique_id=_tag("flood", row.event_id),
                    pubdate=row.published_at, updateddate=row.published_at,
                    document_links=_document_links(summary.documents, {"map": gettext("Map"),
                                                                       "report": gettext("Report")}))
        return _atom_response(feed)

    return serve_feed(request, params.floods(), params, "floods.atom", render)


@feed_view
def ashes_atom(request: HttpRequest, params: FeedParams) -> HttpResponse:
    def render(rows: list[Ash], updated: datetime | None) -> HttpResponse:
        with translation.override(params.language):
            feed = _feed(request, params, gettext("InaSAFE Realtime volcanic ash"),
                         gettext("Ash-fall forecasts after volcanic eruptions in Indonesia, one entry per forecast"),
                         reverse("ash-list"), updated, earthquakes=False)
            for row, summary in readable(rows, ash_summary):
                feed.add_item(
                    title=summary.title(params.language), link=summary.detail_url, description=None,
                    summary_text=ash_text(summary, params.language),
                    unique_id=_tag("ash", row.ash_id),
                    pubdate=row.published_at, updateddate=row.published_at,
                    categories=[summary.alert_level] if summary.alert_level else None,
                    document_links=_document_links(summary.documents, {"pdf": gettext("Report PDF")}))
        return _atom_response(feed)

    return serve_feed(request, params.ashes(), params, "ash.atom", render)


def epoch_ms(moment: datetime) -> int:
    """USGS `time` / `updated`: milliseconds since 1970-01-01 UTC."""
    return round(moment.timestamp() * 1000)


def _tz_minutes(row: Earthquake) -> int:
    """USGS `tz`: the epicentre's offset from UTC in minutes, on the clock the pages show (events.local_time)."""
    offset = row.time.astimezone(zone_at(row.longitude).zone).utcoffset()
    return round(offset.total_seconds() / 60)


def quake_feature(row: Earthquake, summary: QuakeSummary, language: str) -> dict:
    """One USGS summary Feature; ours added: source_type, fatalities_range, population_exposed by MMI class."""
    return {
        "type": "Feature",
        "id": f"{row.shake_id}-{row.source_type}",
        "properties": {
            "mag": summary.magnitude,
            "place": summary.where(language),
            "time": epoch_ms(summary.time),
            "updated": epoch_ms(_version_updated(row)),
            "tz": _tz_minutes(row),
            "url": summary.detail_url,
            "detail": absolute(reverse("api:earthquake-detail", kwargs={"shake_id": row.shake_id,
                                                                         "source_type": row.source_type})),
            "mmi": round(summary.max_mmi, 2) if summary.max_mmi is not None else None,
            "alert": summary.alert,
            "status": "reviewed" if summary.is_update else "automatic",
            "net": "bmkg",
            "code": row.shake_id,
            "type": "earthquake",
            "title": summary.title(language),
            "source_type": row.source_type,
            "fatalities_range": summary.fatalities_range,
            "population_exposed": {roman: round(value) for roman, value in summary.exposure.items()},
        },
        "geometry": {"type": "Point", "coordinates": [summary.longitude, summary.latitude, summary.depth_km]},
    }


@feed_view
def earthquakes_geojson(request: HttpRequest, params: FeedParams) -> HttpResponse:
    def render(rows: list[Earthquake], updated: datetime | None) -> HttpResponse:
        with translation.override(params.language):
            features = [quake_feature(row, summary, params.language)
                        for row, summary in readable(rows, quake_summary)]
            title = f"{gettext('InaSAFE Realtime earthquakes')}, {_window(params, True)}"
        collection = {
            "type": "FeatureCollection",
            "metadata": {"generated": epoch_ms(timezone.now()), "url": absolute(request.get_full_path()),
                         "title": title, "api": "1.0.0", "count": len(features), "status": 200},
            "features": features,
        }
        if features:
            points = [f["geometry"]["coordinates"] for f in features]
            lows, highs = [min(axis) for axis in zip(*points)], [max(axis) for axis in zip(*points)]
            collection["bbox"] = lows + highs
        return HttpResponse(json.dumps(collection, ensure_ascii=False), content_type=f"{GEOJSON_TYPE}; charset=utf-8")

    return serve_feed(request, params.quakes(), params, "earthquakes.geojson", render)
