"""The ash REST API in process, as the processor pushes: event, reports, then the impact that publishes it."""

from __future__ import annotations

import io
import json
from datetime import datetime, timezone

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from events.models import Ash, AshReport, Volcano
from impact_documents import ash_document
from tests.web.test_api import API, PDF, anonymous, media, outsider, png_bytes, pusher, upload  # noqa: F401

TIME = "20170221190400+0700"  # the URL's event time: 19:04 WIB = 12:04 UTC
ASH_ID = "201702211904+0700_Merapi"
STEM = "2017022119040700_Merapi"  # stored file names: Django's storage drops the '+'
DETAIL = f"{API}ash/Merapi/{TIME}/"
REPORTS = f"{API}ash-report/Merapi/{TIME}/"
TIFF = b"II*\x00" + bytes(60)  # the API checks only size and header (the processor pushes its own product)


@pytest.fixture
def volcanoes(db):
    call_command("loadvolcanoes", stdout=io.StringIO())


def event(**changes) -> dict:
    """What realtime.runtime.push.push_ash sends first."""
    return {"ash_id": ASH_ID, "volcano_name": "Merapi", "event_time": "2017-02-21T19:04:00+07:00",
            "event_time_zone_string": "Asia/Jakarta", "alert_level": "siaga", "eruption_height": 5000,
            "forecast_duration": 3, "hazard_path": f"/home/realtime/ashmaps/{ASH_ID}/ash_fall.tif", **changes}


def impact() -> dict:
    """A whole impact.json (tests/web/impact_documents.py): the API refuses one the web app cannot read."""
    return ash_document(ash_id=ASH_ID, volcano={"name": "Merapi", "latitude": -7.542, "longitude": 110.442},
                        summary={"affected": 1234, "displaced": 56})


def report_files(colour: str = "red") -> dict:
    return {"report_map": upload("r.pdf", PDF), "report_image": upload("r.png", png_bytes(colour)),
            "report_thumbnail": upload("t.png", png_bytes(colour))}


def test_push_creates_adds_reports_and_publishes_with_the_impact_last(pusher, volcanoes, media,
                                                                     django_capture_on_commit_callbacks):
    assert pusher.get(DETAIL).status_code == 404
    created = pusher.post(f"{API}ash/", {**event(), "hazard_file": upload("x.tif", TIFF)}, format="multipart")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["ash_id"] == ASH_ID and body["url"] == f"http://testserver{DETAIL}"
    assert body["volcano"]["name"] == "Merapi" and body["volcano"]["elevation_m"] == 2968
    assert body["event_time_zone_string"] == "WIB" and body["published_at"] is None
    ash = Ash.objects.get()
    assert ash.event_time == datetime(2017, 2, 21, 12, 4, tzinfo=timezone.utc)
    assert ash.hazard_file.name.endswith(f"/{STEM}-hazard.tif")

    again = pusher.put(DETAIL, {**event(), "hazard_file": upload("y.tif", TIFF)}, format="multipart")
    assert again.status_code == 200, again.json()
    for language in ("en", "id"):
        answer = pusher.post(REPORTS, {"language": language, **report_files()}, format="multipart")
        assert answer.status_code == 201, answer.json()
        assert answer.json()["report_map_filename"] == f"{ASH_ID}-{language}.pdf"
    duplicate = pusher.post(REPORTS, {"language": "en", **report_files()}, format="multipart")
    assert duplicate.status_code == 400 and duplicate.json()["existing"]["language"] == "en"
    replaced = pusher.put(f"{REPORTS}en/", {"language": "en", **report_files("blue")}, format="multipart")
    assert replaced.status_code == 200, replaced.json()
    relabelled = pusher.put(f"{REPORTS}en/", {"language": "id"}, format="multipart")
    assert relabelled.status_code == 400 and relabelled.json()["language"] == ["must match the URL (en)"]
    assert pusher.get(DETAIL).json()["published_at"] is None  # reports alone do not publish

    with django_capture_on_commit_callbacks() as handed_over:
        published = pusher.put(DETAIL, {"impact": impact()}, format="json")
    # events.dispatch plans earthquakes and floods only: it would take an ash pk for a flood's
    assert handed_over == []
    assert published.status_code == 200, published.json()
    stamped = Ash.objects.get().published_at
    assert stamped is not None and published.json()["impact"]["summary"]["affected"] == 1234
    pusher.put(DETAIL, {"impact": impact()}, format="json")
    assert Ash.objects.get().published_at == stamped  # the first complete arrival, kept

    stored = sorted(p.name for p in media.rglob("*") if p.is_file())
    assert stored == sorted([f"{STEM}-hazard.tif", f"{STEM}-en.pdf", f"{STEM}-en.png", f"{STEM}-en-thumbnail.png",
                             f"{STEM}-id.pdf", f"{STEM}-id.png", f"{STEM}-id-thumbnail.png"])
    listed = pusher.get(f"{API}ash/").json()
    assert listed["count"] == 1 and {r["language"] for r in listed["results"][0]["reports"]} == {"en", "id"}
    assert pusher.delete(f"{REPORTS}id/").status_code == 204
    assert pusher.delete(DETAIL).status_code == 204
    assert not Ash.objects.exists() and not AshReport.objects.exists()
    assert [p for p in media.rglob("*") if p.is_file()] == []


def test_a_name_with_spaces_is_one_event_under_both_spellings(pusher, volcanoes):
    created = pusher.post(f"{API}ash/", event(ash_id="201812221500+0700_Anak_Krakatau", volcano_name="Anak Krakatau",
                                               event_time="2018-12-22T15:00:30+07:00"), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["url"].endswith("/ash/Anak_Krakatau/20181222150030+0700/")
    assert created.json()["volcano"]["gvp_number"] == "262000"
    for spelling in ("Anak%20Krakatau", "Anak_Krakatau"):
        assert pusher.get(f"{API}ash/{spelling}/20181222150030+0700/").status_code == 200
    # the same instant in another offset, or another second, is not this event
    assert pusher.get(f"{API}ash/Anak_Krakatau/20181222080030+0000/").status_code == 404
    assert pusher.get(f"{API}ash/Anak_Krakatau/20181222150000+0700/").status_code == 404


def test_ids_and_bodies_are_validated(pusher, anonymous, outsider, volcanoes):
    assert anonymous.post(f"{API}ash/", event(), format="json").status_code in (401, 403)
    assert outsider.post(f"{API}ash/", event(), format="json").status_code == 403
    naive = pusher.post(f"{API}ash/", event(event_time="2017-02-21T19:04:00"), format="json")
    assert naive.status_code == 400 and "offset" in json.dumps(naive.json())
    wrong_id = pusher.post(f"{API}ash/", event(ash_id="201702211904+0700_Kelud"), format="json")
    assert wrong_id.status_code == 400 and ASH_ID in json.dumps(wrong_id.json())
    for bad in ({"volcano_name": "Merapi/../x"}, {"volcano_name": "Mer\u0430pi"}, {"alert_level": "red"},
                {"forecast_duration": 0}, {"eruption_height": -1}, {"eruption_height": "nan"}):
        answer = pusher.post(f"{API}ash/", event(**bad), format="json")
        assert answer.status_code == 400, (bad, answer.json())
    not_tiff = pusher.post(f"{API}ash/", {**event(), "hazard_file": upload("x.tif", png_bytes())}, format="multipart")
    assert not_tiff.status_code == 400 and "not a TIFF" in json.dumps(not_tiff.json())
    assert pusher.post(f"{API}ash/", event(), format="json").status_code == 201
    twice = pusher.post(f"{API}ash/", event(), format="json")
    assert twice.status_code == 400 and "already exists" in json.dumps(twice.json())
    moved = pusher.put(DETAIL, {"volcano_name": "Kelud"}, format="json")
    assert moved.status_code == 400
    for path in ("ash/Merapi/2017022119040+0700/", "ash/Merapi/20170230190400+0700/", "ash/Merapi/20170221190400+2500/",
                 "ash/Mer%C3%A0pi/20170221190400+0700/", "ash/Merapi/20170221190400%2B0700%0A/",
                 f"ash-report/Merapi/{TIME}/xx/"):
        assert pusher.get(f"{API}{path}").status_code == 404, path
    bad_pdf = pusher.post(REPORTS, {"language": "en", "report_map": upload("r.pdf", b"%PDF-1.4 no")},
                          format="multipart")
    assert bad_pdf.status_code == 400
    assert pusher.post(REPORTS, {"language": "fr", "report_map": upload("r.pdf", PDF)},
                       format="multipart").status_code == 400


def test_ash_feature_is_geojson_at_the_volcano(pusher, anonymous, volcanoes):
    pusher.post(f"{API}ash/", event(), format="json")
    pusher.post(f"{API}ash/", event(ash_id="201711262330+0800_Agung", volcano_name="Agung",
                                    event_time="2017-11-26T23:30:00+08:00"), format="json")
    unknown = event(ash_id="202001010000+0700_Nowhere", volcano_name="Nowhere", event_time="2020-01-01T00:00:00+07:00")
    pusher.post(f"{API}ash/", unknown, format="json")  # not in the table, no impact yet: no position
    answer = anonymous.get(f"{API}ash-feature/")
    assert answer.status_code == 200 and answer["Content-Type"] == "application/geo+json"
    collection = answer.json()
    assert collection["type"] == "FeatureCollection"
    features = {f["id"]: f for f in collection["features"]}
    assert set(features) == {ASH_ID, "201711262330+0800_Agung"}
    assert features[ASH_ID]["geometry"] == {"type": "Point", "coordinates": [110.442, -7.542]}
    assert features["201711262330+0800_Agung"]["geometry"]["coordinates"] == [115.508, -8.342]
    agung = features["201711262330+0800_Agung"]["properties"]
    assert agung["event_time"] == "2017-11-26T23:30:00+08:00" and agung["alert_level"] == "siaga"
    assert agung["url"].endswith("/ash/Agung/20171126233000+0800/")
    # the processor's impact places a volcano the table lacks
    pusher.put(f"{API}ash/Nowhere/20200101000000+0700/",
               {"impact": ash_document(volcano={"name": "Nowhere", "latitude": -1.5, "longitude": 120.25})},
               format="json")
    features = {f["id"]: f for f in anonymous.get(f"{API}ash-feature/").json()["features"]}
    assert features["202001010000+0700_Nowhere"]["geometry"]["coordinates"] == [120.25, -1.5]


def test_volcano_list_holds_the_packaged_table(anonymous, volcanoes):
    rows = anonymous.get(f"{API}volcano-list/").json()
    names = [row["name"] for row in rows]
    assert len(rows) == Volcano.objects.count() >= 10 and names == sorted(names)
    merapi = next(row for row in rows if row["name"] == "Merapi")
    assert merapi["location"] == {"type": "Point", "coordinates": [110.442, -7.542]}
    assert merapi["gvp_number"] == "263250" and merapi["elevation_m"] == 2968 and merapi["timezone"] == "Asia/Jakarta"
    assert anonymous.post(f"{API}volcano-list/", {"name": "x"}).status_code in (401, 403, 405)


def test_loadvolcanoes_is_idempotent_and_keeps_hand_made_rows(db, tmp_path):
    out = io.StringIO()
    call_command("loadvolcanoes", stdout=out)
    count = Volcano.objects.count()
    assert count >= 10 and f"{count} created" in out.getvalue()
    Volcano.objects.filter(name="Merapi").update(elevation_m=1)
    Volcano.objects.create(name="Hand Made", latitude=0, longitude=100, elevation_m=10)
    out = io.StringIO()
    call_command("loadvolcanoes", stdout=out)
    assert "0 created, 1 updated" in out.getvalue() and Volcano.objects.count() == count + 1
    assert Volcano.objects.get(name="Merapi").elevation_m == 2968
    broken = tmp_path / "v.json"
    broken.write_text('{"volcanoes": [{"name": "X"}]}')
    with pytest.raises(CommandError, match="malformed"):
        call_command("loadvolcanoes", "--file", str(broken), stdout=io.StringIO())
