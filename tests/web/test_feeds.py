"""The public feeds read back by real clients: Atom by feedparser, the GeoJSON by geopandas; conditional GET,
the query filters and ?lang=id. Expected counts, titles and epoch milliseconds are worked out here from the
fixtures, not by calling the code under test."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone as dt_timezone

import feedparser
import geopandas
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.utils import timezone
from lxml import etree

from events.models import Earthquake, Flood, FloodReport
from impact_documents import flood_document, quake_document
from test_pages import add_report, media  # noqa: F401 (media is a fixture)

SITE = "https://realtime.example.org"
UTC = dt_timezone.utc
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
PDF_BYTES = b"%PDF-1.4\n%%EOF\n"  # what add_report stores: its length is the enclosure's length


def quake_impact(alert: str | None, fatality_range: str | None, place: str, distance: float, direction: str,
                 max_mmi: float, exposure: dict[str, float]) -> dict:
    """A whole impact.json (tests/web/impact_documents.py) with this alert, range, nearest town, max MMI and
    exposure; no alert: a document without `fatalities`, which the feeds cannot read and leave out."""
    document = quake_document(alert or "green", fatality_range or "0 - 100", exposure=exposure,
                              grid={"max_mmi": max_mmi}, places=[],
                              event={"timezone": "Asia/Jakarta", "description": "Southern Sumatra, Indonesia"},
                              location={"place": place, "distance_km": distance, "bearing_deg": 270.0,
                                        "direction": direction,
                                        "text": f"Located {round(distance)} km {direction} of {place}"})
    document["fatalities"]["total"] = 120.0
    return document if alert is not None else quake_document(fatalities=None)


PADANG_EXPOSURE = {"I": 0.0, "II": 0.0, "III": 1200.4, "IV": 25000.0, "V": 310000.2, "VI": 880000.0,
                   "VII": 420000.6, "VIII": 61234.0, "IX": 0.0, "X": 0.0}


DEFAULT_IMPACT = dict(fatality_range="100 - 1,000", place="Padang", distance=91.2, direction="W", max_mmi=8.1,
                      exposure=PADANG_EXPOSURE)

# Shake ids in BMKG's forms (the URL converters accept nothing else); the tests name them by label.
SHAKE_IDS = {
    "A": "20261128101500", "Acor": "20261128101458_24_-00900_0994000_20261128101458", "B": "20261126000000",
    "F": "20261124000000", "C": "20261119000000", "D": "20261020000000", "E": "20261128200000",
    "G": "20261129000000",
}
LABELS = {shake_id: label for label, shake_id in SHAKE_IDS.items()}


def quake(label: str, source_type: str, magnitude: float, time: datetime, alert: str | None,
          published: datetime | None, **impact) -> Earthquake:
    values = {**DEFAULT_IMPACT, **impact}
    event = Earthquake.objects.create(
        shake_id=SHAKE_IDS[label], source_type=source_type, magnitude=magnitude, time=time, depth=24.0,
        longitude=99.4, latitude=-0.9, location_description="Southern Sumatra, Indonesia",
        impact=quake_impact(alert, **values))
    if published is not None:  # as mark_published stamps it, a moment after the row's last save
        Earthquake.objects.filter(pk=event.pk).update(published_at=published,
                                                      generated_time=published - timedelta(minutes=1))
        event.refresh_from_db()
    return event


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


@pytest.fixture
def quakes(db, media, now):  # noqa: F811
    """Six published versions and one unpublished, at known distances from now."""
    day = timedelta(days=1)
    padang = now - day
    events = {
        "A": quake("A", "initial", 7.6, padang, "red", now - timedelta(hours=23)),
        "Acor": quake("Acor", "corrected", 7.5, padang, "orange", now - timedelta(hours=22)),
        "B": quake("B", "initial", 5.2, now - 3 * day, "green", now - 3 * day, place="Bengkulu", distance=40.4,
                   direction="SSW", fatality_range="0 - 1", max_mmi=5.3),
        "F": quake("F", "initial", 4.5, now - 5 * day, None, now - 5 * day, place="Palu", distance=12.0,
                   direction="N", max_mmi=4.0),
        "C": quake("C", "initial", 6.1, now - 10 * day, "yellow", now - 10 * day, place="Bitung", distance=70.0,
                   direction="E", fatality_range="1 - 10", max_mmi=6.4),
        "D": quake("D", "initial", 6.5, now - 40 * day, "orange", now - 40 * day, place="Ende", distance=30.0,
                   direction="SE", max_mmi=7.2),
        "E-unpublished": quake("E", "initial", 8.0, now - timedelta(hours=2), "red", None),
    }
    for language in ("en", "id"):
        add_report(events["A"], language)
    add_report(events["Acor"], "en")
    return events


def get(client, url: str, **headers):
    with override_settings(SITE_URL=SITE):
        return client.get(url, headers=headers)


def assert_rfc4287(content: bytes) -> None:
    """RFC 4287's MUSTs (§4.1.1, §4.1.2) and its date format, which feedparser forgives."""
    ns = {"a": "http://www.w3.org/2005/Atom"}
    feed = etree.fromstring(content)
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"

    def one(parent, name: str) -> str:
        found = parent.findall(f"a:{name}", ns)
        assert len(found) == 1, (name, etree.tostring(parent)[:200])
        return found[0].text or ""

    one(feed, "id"), one(feed, "title")
    assert datetime.fromisoformat(one(feed, "updated")).tzinfo is not None
    assert feed.find("a:author/a:name", ns) is not None
    assert feed.find("a:link[@rel='self']", ns) is not None
    for entry in feed.findall("a:entry", ns):
        assert one(entry, "id") and one(entry, "title")
        assert datetime.fromisoformat(one(entry, "updated")).tzinfo is not None
        assert len(entry.findall("a:link[@rel='alternate']", ns)) == 1
        for link in entry.findall("a:link[@length]", ns):
            assert link.get("length").isdigit()


def atom(client, url: str):
    response = get(client, url)
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("application/atom+xml")
    assert_rfc4287(response.content)
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return parsed


def ms(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(milliseconds=1)


def ids(parsed) -> list[str]:
    """The entries' labels, from their tag URIs (…/earthquake/<shake_id>/<source_type>)."""
    return [LABELS[entry.id.rsplit("/", 2)[-2]] for entry in parsed.entries]


def test_earthquake_atom_entries_titles_links_and_order(client, quakes, now):
    parsed = atom(client, "/realtime/feeds/earthquakes.atom")
    feed = parsed.feed
    assert feed.title == "InaSAFE Realtime earthquakes"
    assert feed.id == f"{SITE}/realtime/feeds/earthquakes.atom"
    assert {"rel": "self", "href": f"{SITE}/realtime/feeds/earthquakes.atom"}.items() <= \
        next(link for link in feed.links if link.rel == "self").items()
    assert feed.author == "InaSAFE Realtime (BNPB)"
    assert "past 30 days" in feed.subtitle
    # A corrected (newest publication of the newest event), A initial, then B (-3 d), C (-10 d); F (-5 d) has
    # an impact.json without fatalities (unreadable: left out, never told without its alert), D is 40 days old
    # and E unpublished.
    assert ids(parsed) == ["Acor", "A", "B", "C"]
    corrected, initial = parsed.entries[0], parsed.entries[1]
    assert initial.title == "M 7.6 – 91 km W of Padang – RED"
    assert corrected.title == "M 7.5 – 91 km W of Padang – ORANGE"
    assert "Palu" not in str(parsed)
    assert initial.link == f"{SITE}/realtime/earthquake/{SHAKE_IDS['A']}/initial/"
    assert initial.id.startswith("tag:realtime.example.org,")
    assert len({entry.id for entry in parsed.entries}) == 4
    published = now - timedelta(hours=23)
    assert datetime(*initial.published_parsed[:6], tzinfo=UTC) == published
    pdfs = [link for link in initial.links if link.get("type") == "application/pdf"]
    assert [(p.rel, p.hreflang, int(p.length)) for p in pdfs] == \
        [("enclosure", "en", len(PDF_BYTES)), ("enclosure", "id", len(PDF_BYTES))]
    assert all(p.href.startswith(f"{SITE}/media/earthquake/pdf/{SHAKE_IDS['A']}-initial-") for p in pdfs)
    assert len([link for link in corrected.links if link.get("type") == "application/pdf"]) == 1
    summary = initial.summary
    # People by class as the PDF rounds them up: 1,200.4 -> 1,300 and 61,234 -> 61,300 (step 100 under
    # 100,000), 310,000.2 -> 311,000 (step 1,000)
    for text in ("Magnitude: 7.6.", "Depth: 24 km.", "PAGER alert: Red.", "Estimated fatalities: 100 - 1,000.",
                 "MMI III 1,300", "MMI V 311,000", "MMI VIII 61,300", "Max MMI: VIII.", "Type: Initial."):
        assert text in summary, (text, summary)
    assert "MMI II " not in summary  # nobody exposed there
    moment = (now - timedelta(days=1)).astimezone(dt_timezone(timedelta(hours=7)))
    assert f"Time: {moment:%Y-%m-%d %H:%M} WIB (" in summary


def test_earthquake_atom_in_indonesian(client, quakes):
    parsed = atom(client, "/realtime/feeds/earthquakes.atom?lang=id")
    assert parsed.feed.title == "Gempabumi InaSAFE Realtime"
    assert parsed.feed.language == "id"
    titles = [entry.title for entry in parsed.entries]
    assert titles[:2] == ["M 7.5 – 91 km Barat Padang – ORANYE", "M 7.6 – 91 km Barat Padang – MERAH"]
    assert titles[2] == "M 5.2 – 40 km Selatan Barat Daya Bengkulu – HIJAU"
    summary = parsed.entries[1].summary
    assert "Magnitudo: 7.6." in summary and "MMI V 311.000" in summary and "Peringatan PAGER: Merah." in summary


@pytest.mark.parametrize("query, expected", [
    # worked out from the fixture table: (id, magnitude, age in days, alert)
    # A-initial 7.6 1 red; A-corrected 7.5 1 orange; B 5.2 3 green; F 4.5 5 unreadable (never listed);
    # C 6.1 10 yellow; D 6.5 40 orange; E unpublished
    ("", ["Acor", "A", "B", "C"]),
    ("?min_alert=orange", ["Acor", "A"]),
    ("?min_alert=ORANGE&days=60", ["Acor", "A", "D"]),
    ("?min_alert=yellow", ["Acor", "A", "C"]),
    ("?min_alert=green", ["Acor", "A", "B", "C"]),
    ("?min_alert=red", ["A"]),
    ("?min_magnitude=6", ["Acor", "A", "C"]),
    ("?min_magnitude=6.2&days=60", ["Acor", "A", "D"]),
    ("?days=2", ["Acor", "A"]),
    ("?days=4&min_magnitude=5", ["Acor", "A", "B"]),
    ("?min_magnitude=9", []),
])
def test_earthquake_filters(client, quakes, query, expected):
    assert ids(atom(client, f"/realtime/feeds/earthquakes.atom{query}")) == expected
    collection = json.loads(get(client, f"/realtime/feeds/earthquakes.geojson{query}").content)
    assert [LABELS[f["id"].rsplit("-", 1)[0]] for f in collection["features"]] == expected
    assert collection["metadata"]["count"] == len(expected)


@pytest.mark.parametrize("feed", ["earthquakes.atom", "earthquakes.geojson", "floods.atom"])
def test_feeds_are_read_only(client, db, feed):
    assert client.head(f"/realtime/feeds/{feed}").status_code == 200
    assert client.delete(f"/realtime/feeds/{feed}").status_code == 405


def test_feeds_hold_the_newest_items_only(client, quakes, monkeypatch):
    import events.feed_http

    monkeypatch.setattr(events.feed_http, "MAX_ITEMS", 3)
    assert ids(atom(client, "/realtime/feeds/earthquakes.atom?days=60")) == ["Acor", "A", "B"]


@pytest.mark.parametrize("query, message", [
    ("min_alert=purple", "min_alert: 'purple' is not one of green, yellow, orange, red"),
    ("min_magnitude=big", "min_magnitude: 'big' is not a number"),
    ("min_magnitude=nan", "min_magnitude: 'nan' is not a number"),
    ("days=0", "days: must be more than 0 and at most 365"),
    ("days=366", "days: must be more than 0 and at most 365"),
    ("days=-1", "days: must be more than 0 and at most 365"),
    ("lang=fr", "lang: 'fr' is not one of en, id"),
])
@pytest.mark.parametrize("feed", ["earthquakes.atom", "earthquakes.geojson", "floods.atom"])
def test_bad_parameters_are_a_one_line_400(client, db, feed, query, message):
    response = get(client, f"/realtime/feeds/{feed}?{query}")
    assert response.status_code == 400
    assert response.content.decode() == message + "\n"


def test_earthquake_geojson_read_by_geopandas(client, quakes, now):
    before = ms(timezone.now())
    response = get(client, "/realtime/feeds/earthquakes.geojson?days=60")
    after = ms(timezone.now())
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/geo+json")
    collection = json.loads(response.content)
    assert collection["type"] == "FeatureCollection"
    metadata = collection["metadata"]
    assert metadata["count"] == 5 and metadata["status"] == 200 and metadata["api"]
    assert metadata["url"] == f"{SITE}/realtime/feeds/earthquakes.geojson?days=60"
    assert metadata["title"] == "InaSAFE Realtime earthquakes, past 60 days"
    assert before <= metadata["generated"] <= after
    # every fixture sits at 99.4 E, 0.9 S, 24 km deep
    assert collection["bbox"] == [99.4, -0.9, 24.0, 99.4, -0.9, 24.0]

    frame = geopandas.read_file(io.BytesIO(response.content))
    assert len(frame) == 5  # F's impact.json cannot be read: left out
    assert frame.crs.to_epsg() in (4326, 4979)  # WGS 84 (GDAL names its 3D form for [lon, lat, depth])
    assert list(frame["mag"]) == [7.5, 7.6, 5.2, 6.1, 6.5]
    assert frame.geometry.has_z.all()
    assert list(zip(frame.geometry.x, frame.geometry.y, frame.geometry.z))[0] == (99.4, -0.9, 24.0)
    assert [None if a is None or a != a else a for a in frame["alert"]] == \
        ["orange", "red", "green", "yellow", "orange"]
    assert list(frame["status"]) == ["reviewed"] + ["automatic"] * 4
    assert list(frame["type"]) == ["earthquake"] * 5
    assert frame["title"][1] == "M 7.6 – 91 km W of Padang – RED"
    assert frame["place"][1] == "91 km W of Padang"
    assert list(frame["mmi"].round(2)[:3]) == [8.1, 8.1, 5.3]
    # epoch milliseconds: origin time and the version's last change (its publication, later than its saves)
    day = timedelta(days=1)
    expected_time = [ms(now - day), ms(now - day), ms(now - 3 * day), ms(now - 10 * day),
                     ms(now - 40 * day)]
    assert [int(v) for v in frame["time"]] == expected_time
    assert int(frame["updated"][1]) == ms(now - timedelta(hours=23))
    assert list(frame["tz"]) == [420] * 5  # Asia/Jakarta is UTC+7
    assert frame["url"][1] == f"{SITE}/realtime/earthquake/{SHAKE_IDS['A']}/initial/"
    assert frame["detail"][1] == f"{SITE}/realtime/api/v1/earthquake/{SHAKE_IDS['A']}/initial/"
    assert frame["fatalities_range"][1] == "100 - 1,000"

    first = collection["features"][1]
    assert first["id"] == f"{SHAKE_IDS['A']}-initial"
    assert first["geometry"] == {"type": "Point", "coordinates": [99.4, -0.9, 24.0]}
    exposed = first["properties"]["population_exposed"]
    assert exposed == {"I": 0, "II": 0, "III": 1200, "IV": 25000, "V": 310000, "VI": 880000, "VII": 420001,
                       "VIII": 61234, "IX": 0, "X": 0}
    assert SHAKE_IDS["F"] not in response.content.decode()


def test_geojson_in_indonesian_and_empty(client, quakes, db):
    collection = json.loads(get(client, "/realtime/feeds/earthquakes.geojson?lang=id&min_alert=red").content)
    assert [f["properties"]["title"] for f in collection["features"]] == ["M 7.6 – 91 km Barat Padang – MERAH"]
    assert collection["features"][0]["properties"]["place"] == "91 km Barat Padang"
    empty = get(client, "/realtime/feeds/earthquakes.geojson?min_magnitude=9")
    assert json.loads(empty.content)["features"] == [] and "bbox" not in json.loads(empty.content)
    assert len(geopandas.read_file(io.BytesIO(empty.content))) == 0


@pytest.mark.parametrize("feed", ["earthquakes.atom", "earthquakes.geojson", "floods.atom"])
def test_conditional_get(client, quakes, floods, now, feed, django_assert_num_queries):
    url = f"/realtime/feeds/{feed}"
    first = get(client, url)
    assert first.status_code == 200
    etag, modified = first["ETag"], first["Last-Modified"]
    assert first["Cache-Control"] == "public, max-age=60"
    # Last-Modified is the newest publication among the rows the feed shows
    newest = now - timedelta(hours=22) if feed.startswith("earthquakes") else now - timedelta(hours=20)
    assert modified == newest.strftime("%a, %d %b %Y %H:%M:%S GMT")

    with django_assert_num_queries(1):  # a poll that changed nothing costs one aggregate query
        again = get(client, url, if_none_match=etag)
    assert again.status_code == 304 and again.content == b""
    assert again["ETag"] == etag and again["Cache-Control"] == "public, max-age=60"
    assert get(client, url, if_modified_since=modified).status_code == 304
    later = (newest + timedelta(minutes=5)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert get(client, url, if_modified_since=later).status_code == 304
    earlier = (newest - timedelta(seconds=1)).strftime("%a, %d %b %Y %H:%M:%S GMT")
    assert get(client, url, if_modified_since=earlier).status_code == 200
    assert get(client, url, if_none_match='W/"something-else"').status_code == 200

    # another language or filter is another representation
    indonesian = get(client, f"{url}?lang=id")
    assert indonesian["ETag"] != etag and indonesian["Content-Language"] == "id"
    assert first["Content-Language"] == "en"
    assert get(client, f"{url}?lang=id", if_none_match=etag).status_code == 200
    assert get(client, f"{url}?days=29")["ETag"] != etag

    # a newly published version changes both validators
    if feed.startswith("earthquakes"):
        quake("G", "initial", 5.5, now - timedelta(hours=1), "yellow", now + timedelta(seconds=30))
    else:
        add_flood("2026112900-6-rw", now - timedelta(hours=1), now + timedelta(seconds=30))
    fresh = get(client, url, if_none_match=etag)
    assert fresh.status_code == 200 and fresh["ETag"] != etag
    assert get(client, url, if_modified_since=modified).status_code == 200
    assert get(client, url, if_none_match=fresh["ETag"]).status_code == 304


def add_flood(event_id: str, time: datetime, published: datetime | None, **impact) -> Flood:
    values = dict(affected=12340.4, displaced=1510.0, flooded=158, caution=3,
                  villages=["Kampung Melayu", "Bidara Cina"])
    values.update(impact)
    flood = Flood.objects.create(event_id=event_id, time=time, interval=6, boundary_flooded=161,
                                 impact=flood_document(**values))
    if published is not None:
        Flood.objects.filter(pk=flood.pk).update(published_at=published)
        flood.refresh_from_db()
    return flood


@pytest.fixture
def floods(db, media, now):  # noqa: F811
    recent = add_flood("2026112800-6-rw", now - timedelta(days=1), now - timedelta(hours=20))
    for language in ("en", "id"):
        FloodReport.objects.create(
            flood=recent, language=language,
            impact_map=SimpleUploadedFile(f"map-{language}.pdf", PDF_BYTES, content_type="application/pdf"),
            impact_report=SimpleUploadedFile(f"report-{language}.pdf", PDF_BYTES + b"x",
                                             content_type="application/pdf"))
    old = add_flood("2026101500-6-rw", now - timedelta(days=45), now - timedelta(days=45), affected=800.0,
                    displaced=0.0, flooded=4, caution=0, villages=["Cawang"])
    unpublished = add_flood("2026112806-6-rw", now - timedelta(hours=3), None)
    return {"recent": recent, "old": old, "unpublished": unpublished}


def test_flood_atom(client, floods, now):
    parsed = atom(client, "/realtime/feeds/floods.atom")
    assert parsed.feed.title == "InaSAFE Realtime floods"
    assert [entry.id.rsplit("/", 1)[-1] for entry in parsed.entries] == ["2026112800-6-rw"]
    entry = parsed.entries[0]
    stamp = (now - timedelta(days=1)).astimezone(UTC)
    assert entry.title == f"Jakarta flood {stamp:%Y-%m-%d %H:%M} UTC – 158 RW flooded – 12,340 affected"
    assert entry.link == f"{SITE}/realtime/flood/2026112800-6-rw/"  # the flood's detail page
    for text in ("Affected: 12,340.", "Displaced: 1,510.", "Flooded RWs: 158.", "RWs to watch: 3.", "Villages: 2."):
        assert text in entry.summary, (text, entry.summary)
    pdfs = [(link.hreflang, link.title, int(link.length)) for link in entry.links
            if link.get("type") == "application/pdf"]
    assert pdfs == [("en", "Map (EN)", len(PDF_BYTES)), ("en", "Report (EN)", len(PDF_BYTES) + 1),
                    ("id", "Map (ID)", len(PDF_BYTES)), ("id", "Report (ID)", len(PDF_BYTES) + 1)]

    # days applies, min_alert / min_magnitude do not (floods have neither)
    longer = atom(client, "/realtime/feeds/floods.atom?days=60&min_alert=red&min_magnitude=9")
    assert [entry.id.rsplit("/", 1)[-1] for entry in longer.entries] == ["2026112800-6-rw", "2026101500-6-rw"]
    assert longer.entries[1].title.endswith("– 4 RW flooded – 800 affected")

    indonesian = atom(client, "/realtime/feeds/floods.atom?lang=id")
    assert indonesian.feed.title == "Banjir InaSAFE Realtime"
    assert indonesian.entries[0].title == \
        f"Banjir Jakarta {stamp:%Y-%m-%d %H:%M} UTC – 158 RW tergenang – 12.340 terdampak"
    assert "Terdampak: 12.340." in indonesian.entries[0].summary


@pytest.mark.slow
def test_feeds_over_http_read_by_feedparser_and_geopandas(tmp_path):
    """gunicorn serving versions the processor's way (Basic-auth pushes, impact last); feedparser polls with the
    validators it was given, GDAL reads the GeoJSON from the URL."""
    import requests

    from servers import web_app

    pusher = ("test@realtime.inasafe.org", "t3st-pass")
    origin = timezone.now().replace(microsecond=0) - timedelta(hours=2)
    shake_ids = {"initial": "20261128101500", "corrected": "20261128101458_24_-00900_0994000_20261128101458"}

    def push(base: str, source_type: str, magnitude: float, impact: dict | None = None) -> int:
        api = f"{base}/realtime/api/v1/"
        body = {"shake_id": shake_ids[source_type], "source_type": source_type, "magnitude": magnitude,
                "depth": 24.0, "time": origin.isoformat(), "location_description": "Southern Sumatra",
                "location": {"type": "Point", "coordinates": [99.4, -0.9]}}
        if impact is None:
            return requests.post(f"{api}earthquake/", json=body, auth=pusher, timeout=30).status_code
        return requests.put(f"{api}earthquake/{shake_ids[source_type]}/{source_type}/", json={**body, "impact": impact},
                            auth=pusher, timeout=30).status_code

    with web_app(tmp_path, user=pusher) as base:
        url = f"{base}/realtime/feeds/earthquakes.atom"
        assert push(base, "initial", 7.6) == 201
        assert feedparser.parse(url).entries == []  # no impact yet: not published
        assert push(base, "initial", 7.6, quake_impact("red", **DEFAULT_IMPACT)) == 200

        first = feedparser.parse(url)
        assert first.status == 200 and not first.bozo
        assert [entry.title for entry in first.entries] == ["M 7.6 – 91 km W of Padang – RED"]
        assert feedparser.parse(url, etag=first.etag).status == 304
        assert feedparser.parse(url, modified=first.modified).status == 304
        assert feedparser.parse(f"{url}?lang=id", etag=first.etag).entries[0].title == \
            "M 7.6 – 91 km Barat Padang – MERAH"

        frame = geopandas.read_file(f"{base}/realtime/feeds/earthquakes.geojson")
        assert list(frame["mag"]) == [7.6] and list(frame["alert"]) == ["red"]
        assert int(frame["time"][0]) == ms(origin)

        assert push(base, "corrected", 7.5) == 201
        assert push(base, "corrected", 7.5, quake_impact("orange", **DEFAULT_IMPACT)) == 200
        second = feedparser.parse(url, etag=first.etag, modified=first.modified)
        assert second.status == 200 and second.etag != first.etag
        assert [entry.title for entry in second.entries] == \
            ["M 7.5 – 91 km W of Padang – ORANGE", "M 7.6 – 91 km W of Padang – RED"]
        response = requests.get(url, timeout=30)
        assert response.headers["Cache-Control"] == "public, max-age=60"
        assert response.headers["ETag"] == second.etag
