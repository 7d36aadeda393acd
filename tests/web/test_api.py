"""The REST API in process (pytest-django + APIClient): the contract's round trips and every 4xx path."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from PIL import Image
from rest_framework.test import APIClient

from events.models import Earthquake, Flood, UserPush

API = "/realtime/api/v1/"
SHAKE_ID = "20180220163351"
CORRECTED_ID = "20180220162928_50_01400_124450_20180220162928"
FLOOD_ID = "2017022105-6-rw"
PUSHER = "test@realtime.inasafe.org"


def png_bytes(colour: str = "red") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), colour).save(buffer, "PNG")
    return buffer.getvalue()


def pdf_bytes(colour: str = "white") -> bytes:
    """A real one-page PDF (uploads are opened with pdfium, so a bare header is refused)."""
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), colour).save(buffer, "PDF")
    return buffer.getvalue()


PDF = pdf_bytes()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type)


def quake(**changes) -> dict:
    return {"shake_id": SHAKE_ID, "source_type": "initial", "magnitude": 5.0, "depth": 10.0,
            "time": "2018-02-20 16:33:51+00:00", "location": {"type": "Point", "coordinates": [124.45, 1.4]},
            "location_description": "Minahasa, Sulawesi Utara", "hazard_path": None, **changes}


def quake_form(**changes) -> dict:
    """The same event as multipart form fields: GeoJSON and impact as text, no nulls."""
    fields = quake(location=json.dumps(quake()["location"]), **changes)
    del fields["hazard_path"]
    return fields


def report_files(colour: str = "red", pdf: bytes = PDF) -> dict:
    return {"report_pdf": upload("r.pdf", pdf), "report_image": upload("r.png", png_bytes(colour)),
            "report_thumbnail": upload("t.png", png_bytes(colour))}


def snapshot(states) -> bytes:
    square = {"type": "Polygon", "coordinates": [[[106.8, -6.2], [106.81, -6.2], [106.81, -6.19], [106.8, -6.2]]]}
    features = [{"type": "Feature", "geometry": square, "properties": {"area_id": str(i), "state": s}}
                for i, s in enumerate(states)]
    return json.dumps({"type": "FeatureCollection", "features": features}).encode()


def media_files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


@pytest.fixture(autouse=True)
def media(tmp_path):
    """A throwaway MEDIA_ROOT; a fast password hasher because no test here is about hashing."""
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with override_settings(MEDIA_ROOT=tmp_path / "media", PASSWORD_HASHERS=fast):
        yield tmp_path / "media"


@pytest.fixture
def pusher(db) -> APIClient:
    """A client logged in as the processor's push user (in the 'Realtime REST User' group)."""
    call_command("createrealtimeuser", PUSHER, "t3st-pass", stdout=io.StringIO())
    client = APIClient()
    client.force_login(get_user_model().objects.get(username=PUSHER))
    return client


@pytest.fixture
def outsider(db) -> APIClient:
    client = APIClient()
    client.force_login(get_user_model().objects.create_user("outsider", password="x"))
    return client


@pytest.fixture
def anonymous(db) -> APIClient:
    return APIClient()


def test_earthquake_push_is_create_then_update(pusher, quake_initial):
    detail = f"{API}earthquake/{SHAKE_ID}/initial/"
    assert pusher.get(detail).status_code == 404
    created = pusher.post(f"{API}earthquake/", quake(impact=quake_initial.impact), format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["location"] == {"type": "Point", "coordinates": [124.45, 1.4]}
    assert body["event_id_formatted"] == f"{SHAKE_ID}-initial"
    assert body["url"] == f"http://testserver{detail}"
    assert body["shake_grid"] is None and body["has_corrected"] is False and body["impact"] == quake_initial.impact
    assert body["grid_xml_filename"] == f"{SHAKE_ID}-initial-grid.xml"
    assert pusher.get(detail).status_code == 200
    updated = pusher.put(detail, quake(magnitude=5.4, location_description="Sulawesi"), format="json")
    assert updated.status_code == 200, updated.json()
    assert pusher.patch(detail, {"felt": True}, format="json").status_code == 200
    grid = {"shake_grid": upload(f"{SHAKE_ID}-grid.xml", b"<shakemap_grid/>")}  # v4 step 2: ignored, not an error
    assert pusher.put(detail, grid, format="multipart").status_code == 200
    assert Earthquake.objects.count() == 1
    row = Earthquake.objects.get()
    assert (row.magnitude, row.location_description, row.felt, row.longitude) == (5.4, "Sulawesi", True, 124.45)
    listed = pusher.get(f"{API}earthquake/{SHAKE_ID}/").json()
    assert listed["count"] == 1 and listed["results"][0]["magnitude"] == 5.4


def test_earthquake_multipart_create_with_mmi_output(pusher, media, quake_initial):
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("mmi.geojson", "{}")
    data = {**quake_form(impact=json.dumps(quake_initial.impact)), "mmi_output": upload("x.zip", archive.getvalue())}
    response = pusher.post(f"{API}earthquake/", data, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["impact"] == quake_initial.impact
    assert response.json()["mmi_layer_download_url"].endswith(f"{SHAKE_ID}-initial-mmi-output.zip")
    assert media_files(media) == [f"earthquake/mmi_output/{SHAKE_ID}-initial-mmi-output.zip"]
    assert pusher.delete(f"{API}earthquake/{SHAKE_ID}/initial/").status_code == 204
    assert media_files(media) == []


def test_corrected_event_marks_the_initial_one(pusher):
    assert pusher.post(f"{API}earthquake/", quake(), format="json").status_code == 201
    corrected = quake(shake_id=CORRECTED_ID, source_type="corrected", time="2018-02-20T16:33:51Z")
    assert pusher.post(f"{API}earthquake/", corrected, format="json").status_code == 201
    assert pusher.get(f"{API}earthquake/{SHAKE_ID}/initial/").json()["has_corrected"] is True


@pytest.mark.parametrize("changes, field", [
    ({"shake_id": "2018-02-20"}, "shake_id"),
    ({"shake_id": "../../etc"}, "shake_id"),
    ({"source_type": "guess"}, "source_type"),
    ({"magnitude": None}, "magnitude"),
    ({"magnitude": 42}, "magnitude"),
    ({"time": "yesterday"}, "time"),
    ({"location": {"type": "LineString", "coordinates": [1, 2]}}, "location"),
    ({"location": {"type": "Point", "coordinates": [124.45, 91]}}, "location"),
    ({"location": {"type": "Point", "coordinates": ["124", "1"]}}, "location"),
    ({"location": "not json"}, "location"),
    ({"impact": [1, 2]}, "impact"),
])
def test_bad_earthquake_is_a_400_naming_the_field(pusher, changes, field):
    response = pusher.post(f"{API}earthquake/", quake(**changes), format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_missing_field_and_duplicate_are_400(pusher):
    payload = quake()
    del payload["magnitude"]
    assert "magnitude" in pusher.post(f"{API}earthquake/", payload, format="json").json()
    assert pusher.post(f"{API}earthquake/", quake(), format="json").status_code == 201
    duplicate = pusher.post(f"{API}earthquake/", quake(), format="json")
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["shake_id"][0]
    moved = pusher.put(f"{API}earthquake/{SHAKE_ID}/initial/", {"source_type": "corrected"}, format="json")
    assert moved.status_code == 400 and "source_type" in moved.json()


def test_earthquake_report_round_trip_replaces_files(pusher, media):
    assert pusher.post(f"{API}earthquake/", quake(), format="json").status_code == 201
    reports = f"{API}earthquake-report/{SHAKE_ID}/initial/"
    created = pusher.post(reports, {"language": "en", **report_files("red")}, format="multipart")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["report_pdf"] == f"http://testserver/media/earthquake/pdf/{SHAKE_ID}-initial-en.pdf"
    assert body["report_map_filename"] == f"{SHAKE_ID}-initial-en.pdf"
    assert body["shake_url"] == f"http://testserver{API}earthquake/{SHAKE_ID}/initial/"
    expected = [f"earthquake/pdf/{SHAKE_ID}-initial-en.pdf", f"earthquake/png/{SHAKE_ID}-initial-en.png",
                f"earthquake/thumbnail/{SHAKE_ID}-initial-en-thumbnail.png"]
    assert media_files(media) == expected
    again = pusher.post(reports, {"language": "en", **report_files("blue")}, format="multipart")
    assert again.status_code == 400 and again.json()["existing"]["language"] == "en"
    detail = f"{reports}en/"
    assert pusher.get(detail).status_code == 200
    new_pdf = pdf_bytes("blue")
    replaced = pusher.put(detail, report_files("blue", new_pdf), format="multipart")
    assert replaced.status_code == 200, replaced.json()
    assert media_files(media) == expected  # same names, old files gone
    assert (media / expected[0]).read_bytes() == new_pdf
    assert pusher.post(reports, {"language": "id", **report_files()}, format="multipart").status_code == 201
    listed = pusher.get(f"{API}earthquake/{SHAKE_ID}/initial/").json()["reports"]
    assert sorted(r["language"] for r in listed) == ["en", "id"]
    assert pusher.delete(detail).status_code == 204
    assert pusher.get(detail).status_code == 404
    assert not any("-en" in name for name in media_files(media))


def test_report_404s(pusher):
    missing = pusher.post(f"{API}earthquake-report/{SHAKE_ID}/initial/", {"language": "en", **report_files()},
                          format="multipart")
    assert missing.status_code == 404
    assert pusher.get(f"{API}earthquake-report/{SHAKE_ID}/initial/en/").status_code == 404
    replace = pusher.put(f"{API}earthquake-report/{SHAKE_ID}/initial/en/", report_files(), format="multipart")
    assert replace.status_code == 404
    assert pusher.post(f"{API}flood-report/{FLOOD_ID}/", {"language": "en", "impact_map": upload("m.pdf", PDF)},
                       format="multipart").status_code == 404
    assert pusher.get(f"{API}earthquake/{SHAKE_ID}/initial/").status_code == 404
    assert pusher.put(f"{API}flood/{FLOOD_ID}/", {"event_id": FLOOD_ID}, format="json").status_code == 404


def test_bad_uploads_are_400(pusher, media):
    assert pusher.post(f"{API}earthquake/", quake(), format="json").status_code == 201
    reports = f"{API}earthquake-report/{SHAKE_ID}/initial/"
    text_as_pdf = {"language": "en", **report_files(), "report_pdf": upload("notes.txt", b"hello", "text/plain")}
    response = pusher.post(reports, text_as_pdf, format="multipart")
    assert response.status_code == 400 and "not a PDF" in response.json()["report_pdf"][0]
    jpeg_as_png = {"language": "en", **report_files(), "report_image": upload("x.png", b"\xff\xd8\xff\xe0")}
    assert "report_image" in pusher.post(reports, jpeg_as_png, format="multipart").json()
    assert "language" in pusher.post(reports, {"language": "fr", **report_files()}, format="multipart").json()
    with override_settings(MAX_UPLOAD_BYTES=len(PDF) - 1):
        too_big = pusher.post(reports, {"language": "en", **report_files()}, format="multipart")
    assert too_big.status_code == 400 and "limit" in too_big.json()["report_pdf"][0]
    assert media_files(media) == []


def test_bodies_over_the_limits_are_refused_with_one_line_not_500(pusher):
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000):  # refused from Content-Length, before parsing
        as_json = pusher.post(f"{API}earthquake/", quake(location_description="x" * 2000), format="json")
    assert as_json.status_code == 413 and "limit is 1000" in as_json.json()["detail"]
    with override_settings(DATA_UPLOAD_MAX_MEMORY_SIZE=1000, MAX_REQUEST_BYTES=10_000):  # one field too big
        as_form = pusher.post(f"{API}earthquake/", quake_form(impact=json.dumps({"x": "y" * 2000})),
                              format="multipart")
    assert as_form.status_code == 400 and "detail" in as_form.json()


def test_permissions(anonymous, outsider, pusher):
    assert anonymous.get(f"{API}earthquake/").status_code == 200
    assert anonymous.post(f"{API}earthquake/", quake(), format="json").status_code == 401
    assert outsider.post(f"{API}earthquake/", quake(), format="json").status_code == 403
    assert outsider.post(f"{API}flood/", {"event_id": FLOOD_ID, "time": "2017-02-21T05:00Z"}).status_code == 403
    assert anonymous.get(f"{API}is_logged_in/").json() == {"is_logged_in": False}
    assert pusher.get(f"{API}is_logged_in/").json() == {"is_logged_in": True}


def test_flood_push_with_hazard_layer_and_impact(pusher, media, flood_products):
    detail = f"{API}flood/{FLOOD_ID}/"
    assert pusher.get(detail).status_code == 404
    payload = {"event_id": FLOOD_ID, "time": "2017-02-21 05:00:00+00:00", "interval": 6,
               "data_source": "petabencana", "source": "PetaBencana", "region": "Jakarta"}
    created = pusher.post(f"{API}flood/", payload)  # the 4.x processor form-encodes, no files
    assert created.status_code == 201, created.json()
    assert created.json()["time_description"] == "6 hour report for 21 February 2017 at 12:00:00"
    assert created.json()["flood_data_download_url"] is None
    assert pusher.post(f"{API}flood/", payload).status_code == 400
    assert "event_id" in pusher.put(detail, {"region": "Jakarta"}).json()  # PUT must carry event_id
    layer = {"event_id": FLOOD_ID, "hazard_layer": upload("flood_data.json", snapshot([0, 1, 2, None, 3]))}
    updated = pusher.put(detail, layer, format="multipart")
    assert updated.status_code == 200, updated.json()
    body = updated.json()
    # no impact yet, so the snapshot's count stands: states 2 and 3 (1 is "use caution")
    assert (body["boundary_flooded"], body["total_affected"]) == (2, 0)
    assert media_files(media) == [f"reports/flood/zip/{FLOOD_ID}-hazard.geojson"]
    data = pusher.get(body["flood_data_download_url"])
    assert data.status_code == 200 and len(json.loads(data.content)["features"]) == 5
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("flood_data.json", snapshot([2, 2]))
    rezipped = pusher.put(detail, {"event_id": FLOOD_ID, "hazard_layer": upload("h.zip", archive.getvalue())},
                          format="multipart")
    assert rezipped.json()["boundary_flooded"] == 2
    assert media_files(media) == [f"reports/flood/zip/{FLOOD_ID}-hazard.zip"]
    dropped = pusher.patch(detail, {"event_id": FLOOD_ID, "hazard_layer": None}, format="json").json()
    assert dropped["hazard_layer"] is None and dropped["flood_data_download_url"] is None and media_files(media) == []
    # then the processor's impact.json (the counts are its own now) (PetaBencana fixture): 158 RWs flooded, 878,364.6 people affected
    summary = flood_products.impact["summary"]
    with_impact = pusher.put(detail, {"event_id": FLOOD_ID, "impact": json.dumps(flood_products.impact)},
                             format="multipart")
    assert with_impact.status_code == 200, with_impact.json()
    assert (with_impact.json()["boundary_flooded"], with_impact.json()["total_affected"]) == \
        (summary["flooded_rw"], round(summary["affected"]))
    assert Flood.objects.count() == 1
    assert pusher.delete(detail).status_code == 204 and media_files(media) == []


@pytest.mark.parametrize("changes, field", [
    ({"event_id": "2017022105-2-rw"}, "event_id"),
    ({"event_id": "2017023105-6-rw"}, "event_id"),
    ({"time": ""}, "time"),
    ({"hazard_layer": upload("h.json", b"{not json")}, "hazard_layer"),
    ({"hazard_layer": upload("h.json", b'{"type": "Feature"}')}, "hazard_layer"),
    ({"hazard_layer": upload("h.shp", b"\x00\x00\x27\x0a")}, "hazard_layer"),
    ({"impact": json.dumps({"summary": {"affected": "many"}})}, "impact"),
])
def test_bad_flood_is_a_400_naming_the_field(pusher, changes, field):
    payload = {"event_id": FLOOD_ID, "time": "2017-02-21T05:00:00Z", **changes}
    response = pusher.post(f"{API}flood/", payload, format="multipart")
    assert response.status_code == 400 and field in response.json()


def test_flood_report_round_trip(pusher, media):
    assert pusher.post(f"{API}flood/", {"event_id": FLOOD_ID, "time": "2017-02-21T05:00:00Z"}).status_code == 201
    reports = f"{API}flood-report/{FLOOD_ID}/"
    first = pusher.post(reports, {"language": "id", "impact_map": upload("m.pdf", PDF)}, format="multipart")
    assert first.status_code == 201, first.json()
    assert first.json()["impact_map_filename"] == f"{FLOOD_ID}_id.pdf"
    second = pusher.post(reports, {"language": "id", "impact_map": upload("m.pdf", PDF)}, format="multipart")
    assert second.status_code == 400 and second.json()["existing"]["event_id"] == FLOOD_ID
    new_map, table = pdf_bytes("blue"), pdf_bytes("green")
    replaced = pusher.put(f"{reports}id/", {"impact_map": upload("m.pdf", new_map),
                                            "impact_report": upload("t.pdf", table)}, format="multipart")
    assert replaced.status_code == 200, replaced.json()
    assert media_files(media) == [f"reports/flood/pdf/{FLOOD_ID}_id-table.pdf", f"reports/flood/pdf/{FLOOD_ID}_id.pdf"]
    assert (media / f"reports/flood/pdf/{FLOOD_ID}_id.pdf").read_bytes() == new_map
    assert pusher.get(f"{API}flood/{FLOOD_ID}/").json()["reports"][0]["language"] == "id"
    assert pusher.put(f"{reports}en/", {"impact_map": upload("m.pdf", PDF)}, format="multipart").status_code == 404
    assert pusher.delete(f"{reports}id/").status_code == 204 and media_files(media) == []


def test_notify_shakemap_push(pusher, outsider, anonymous):
    url = f"{API}indicator/notify_shakemap_push/"
    assert pusher.post(url, {"timestamp": "2018-02-20 16:33:51"}).json() == {"success": True}
    assert UserPush.objects.get().last_shakemap_push.isoformat() == "2018-02-20T16:33:51+00:00"
    assert pusher.post(url, {"timestamp": "2018-02-20T23:33:51+07:00"}).status_code == 200
    assert UserPush.objects.count() == 1
    bad = pusher.post(url, {"timestamp": "20/02/2018"})
    assert bad.status_code == 400 and "timestamp" in bad.json()
    assert anonymous.post(url, {"timestamp": "2018-02-20 16:33:51"}).status_code == 401
    assert outsider.post(url, {"timestamp": "2018-02-20 16:33:51"}).status_code == 403


def test_filters_and_pagination(pusher, anonymous):
    rows = [Earthquake(shake_id=f"2018022016{i // 60:02d}{i % 60:02d}", magnitude=3 + (i % 5), depth=i,
                       time=f"2018-02-20T16:{i // 60:02d}:{i % 60:02d}Z", longitude=100 + i % 30, latitude=-5,
                       location_description="Banda Sea" if i % 10 == 0 else "Java") for i in range(101)]
    Earthquake.objects.bulk_create(rows)
    first = anonymous.get(f"{API}earthquake/").json()
    assert first["count"] == 101 and len(first["results"]) == 100 and first["next"]
    assert len(anonymous.get(first["next"]).json()["results"]) == 1

    def count(query: str) -> int:
        response = anonymous.get(f"{API}earthquake/?{query}")
        assert response.status_code == 200, response.json()
        return response.json()["count"]

    assert count("min_magnitude=7") == 20
    assert count("min_magnitude=4&max_magnitude=4") == 20
    assert count("min_depth=10&max_depth=19") == 10
    assert count("location_description=banda") == 11
    assert count("in_bbox=99,-6,101,-4") == 8
    assert count("min_time=2018-02-20T16:01:00Z") == 41
    assert count("max_time=2018-02-20T16:00:09") == 10
    assert count("since_last_days=1") == 0
    for bad in ("min_magnitude=big", "in_bbox=1,2,3", "min_time=tomorrow", "since_last_hours=-1"):
        assert anonymous.get(f"{API}earthquake/?{bad}").status_code == 400
    Flood.objects.create(event_id=FLOOD_ID, time="2017-02-21T05:00Z", interval=6)
    Flood.objects.create(event_id="2017022106-3-rw", time="2017-02-21T06:00Z", interval=3)
    assert anonymous.get(f"{API}flood/?interval=3").json()["count"] == 1
    assert anonymous.get(f"{API}flood/?event_id={FLOOD_ID}").json()["results"][0]["event_id"] == FLOOD_ID
    assert [f["event_id"] for f in anonymous.get(f"{API}flood-events/").json()["results"]] == [FLOOD_ID]


def test_schema_generates(anonymous):
    response = anonymous.get(f"{API}schema/")
    assert response.status_code == 200
    text = response.content.decode()
    for path in ("/realtime/api/v1/earthquake/{shake_id}/{source_type}/", "/realtime/api/v1/flood-report/{event_id}/",
                 "/realtime/api/v1/indicator/notify_shakemap_push/"):
        assert path in text


def test_flooded_areas_are_counted_from_any_snapshot_shape():
    """The processor uploads the raw feed: a bare FeatureCollection or PetaBencana's {"result": ...}.

    Flooded as the report counts: state 2 or more ("2" and 4 here); 1 is "use caution", True no state."""
    from events.uploads import count_flooded

    bare = json.loads(snapshot([0, 1, "2", None, True, 4]))
    assert count_flooded(bare) == 2
    assert count_flooded({"statusCode": 200, "result": bare}) == 2
