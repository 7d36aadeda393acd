"""Hostile input to the REST API and the pages, in process: ids, deep JSON, long text, fake PDFs and PNGs, headers."""

from __future__ import annotations

import io
import json
from urllib.parse import quote

import pytest
from PIL import Image

from events.models import Earthquake, Flood
from test_api import (API, FLOOD_ID, PDF, SHAKE_ID, anonymous, media, media_files, pusher, quake,  # noqa: F401
                      quake_form, report_files, upload)

# Ids that look like ids to \d and $: Arabic-Indic, Devanagari and full-width digits, a trailing newline.
BAD_SHAKE_IDS = [
    "2020010100000\u0661",
    "2020010100000\u0967",
    "\uff12020010100000" + "0",
    "20200101000000\n",
    "20180220162928_50_01400_124450_2018022016292\u0668",
    "20180220162928_50_01400_124450_20180220162928\n",
]
BAD_FLOOD_IDS = ["201702210\u0665-6-rw", "2017022105-6-rw\n", "2017022105-\u0666-rw"]
DEEP = 100_000


def deep_json(depth: int = DEEP) -> str:
    return "[" * depth + "]" * depth


# --- 1. ids: ASCII digits only, nothing after the end ----------------------------------------------------

@pytest.mark.parametrize("shake_id", BAD_SHAKE_IDS)
def test_non_ascii_or_newline_shake_ids_are_refused(pusher, shake_id):
    as_json = pusher.post(f"{API}earthquake/", quake(shake_id=shake_id), format="json")
    as_form = pusher.post(f"{API}earthquake/", quake_form(shake_id=shake_id), format="multipart")
    for response in (as_json, as_form):
        assert response.status_code == 400 and "shake_id" in response.json()
    assert Earthquake.objects.count() == 0


@pytest.mark.parametrize("event_id", BAD_FLOOD_IDS)
def test_non_ascii_or_newline_flood_ids_are_refused(pusher, event_id):
    response = pusher.post(f"{API}flood/", {"event_id": event_id, "time": "2017-02-21T05:00:00Z"}, format="json")
    assert response.status_code == 400 and "event_id" in response.json()
    assert Flood.objects.count() == 0
    listed = pusher.get(f"{API}flood/", {"event_id": event_id})
    assert listed.status_code == 400 and "event_id" in listed.json()


def test_urls_refuse_ids_the_serializers_refuse_even_when_such_a_row_exists(pusher):
    """A row stored before the fix (by an older web app) is not reachable through a non-ASCII URL."""
    bad_shake, bad_flood = BAD_SHAKE_IDS[0], BAD_FLOOD_IDS[0]
    Earthquake.objects.create(shake_id=bad_shake, source_type="initial", magnitude=5, depth=10, longitude=1,
                              latitude=1, time="2020-01-01T00:00:00Z")
    Flood.objects.create(event_id=bad_flood, time="2017-02-21T05:00:00Z")
    for path in (f"earthquake/{quote(bad_shake)}/initial/", f"earthquake/{quote(bad_shake)}/",
                 f"earthquake-report/{quote(bad_shake)}/initial/", f"flood/{quote(bad_flood)}/",
                 f"flood-report/{quote(bad_flood)}/", f"earthquake/{SHAKE_ID}%0A/initial/",
                 f"earthquake/{SHAKE_ID}/initial%0A/", f"flood/{FLOOD_ID}%0A/"):
        assert pusher.get(f"{API}{path}").status_code == 404, path
    assert pusher.get(f"/realtime/earthquake/{quote(bad_shake)}/initial/").status_code == 404
    assert pusher.delete(f"{API}earthquake/{quote(bad_shake)}/initial/").status_code == 404
    assert Earthquake.objects.count() == 1


# --- 2. deep JSON and long text: 400 naming the field -----------------------------------------------------

def test_deeply_nested_hazard_layer_is_a_400(pusher, media):
    assert pusher.post(f"{API}flood/", {"event_id": FLOOD_ID, "time": "2017-02-21T05:00:00Z"}).status_code == 201
    layer = {"event_id": FLOOD_ID, "hazard_layer": upload("flood_data.json", deep_json().encode())}
    response = pusher.put(f"{API}flood/{FLOOD_ID}/", layer, format="multipart")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["hazard_layer"][0]
    assert media_files(media) == []


@pytest.mark.parametrize("field", ["impact", "location"])
def test_deeply_nested_json_form_fields_are_a_400(pusher, field):
    response = pusher.post(f"{API}earthquake/", {**quake_form(), field: deep_json()}, format="multipart")
    assert response.status_code == 400 and "nested too deeply" in str(response.json()[field])
    assert Earthquake.objects.count() == 0


def test_deeply_nested_json_body_is_a_400(pusher):
    body = json.dumps(quake(impact={"x": 1})).replace('{"x": 1}', deep_json())
    response = pusher.generic("POST", f"{API}earthquake/", body, content_type="application/json")
    assert response.status_code == 400 and "nested too deeply" in response.json()["detail"]
    nested_but_parseable = quake(impact=json.loads("{\"a\":" * 200 + "1" + "}" * 200))
    response = pusher.post(f"{API}earthquake/", nested_but_parseable, format="json")
    assert response.status_code == 400 and "nested too deeply" in str(response.json()["impact"])
    assert Earthquake.objects.count() == 0


@pytest.mark.parametrize("field, limit", [("location_description", 255), ("hazard_path", 255)])
def test_earthquake_text_over_the_column_size_is_a_400_naming_it(pusher, field, limit):
    assert pusher.post(f"{API}earthquake/", quake(**{field: "x" * limit}), format="json").status_code == 201
    response = pusher.post(f"{API}earthquake/", quake(shake_id="20180220163352", **{field: "x" * (limit + 1)}),
                           format="json")
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("field", ["data_source", "source", "region", "hazard_path"])
def test_flood_text_over_the_column_size_is_a_400_naming_it(pusher, field):
    response = pusher.post(f"{API}flood/", {"event_id": FLOOD_ID, "time": "2017-02-21T05:00:00Z", field: "x" * 256})
    assert response.status_code == 400 and field in response.json()


def test_long_url_parts_are_404_not_500(pusher):
    assert pusher.get(f"{API}earthquake-report/{SHAKE_ID}/initial/{'x' * 300}/").status_code == 404
    assert pusher.get(f"{API}earthquake/{'1' * 300}/initial/").status_code == 404


# --- 4c. a PDF is a PDF, a PNG is a PNG --------------------------------------------------------------------

def png_with_bad_crc() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    data = bytearray(buffer.getvalue())
    data[29] ^= 0xFF  # inside the IHDR CRC
    return bytes(data)


@pytest.mark.parametrize("pdf", [
    b"%PDF-1.4\n<html><body>not a pdf</body></html>\n",
    b"%PDF-1.4\n<html><body>not a pdf</body></html>\n%%EOF\n",
    PDF[: len(PDF) // 2],  # a truncated upload
], ids=["html", "html-with-eof", "truncated"])
def test_fake_or_truncated_pdf_is_a_400(pusher, media, pdf):
    assert pusher.post(f"{API}earthquake/", quake(), format="json").status_code == 201
    response = pusher.post(f"{API}earthquake-report/{SHAKE_ID}/initial/",
                           {"language": "en", **report_files(pdf=pdf)}, format="multipart")
    assert response.status_code == 400 and "not a readable PDF" in response.json()["report_pdf"][0]
    assert media_files(media) == []


@pytest.mark.parametrize("png", [b"\x89PNG\r\n\x1a\n<html>not a png</html>", png_with_bad_crc()],
                         ids=["html", "bad-crc"])
def test_fake_png_is_a_400(pusher, media, png):
    assert pusher.post(f"{API}earthquake/", quake(), format="json").status_code == 201
    files = {**report_files(), "report_thumbnail": upload("t.png", png)}
    response = pusher.post(f"{API}earthquake-report/{SHAKE_ID}/initial/", {"language": "en", **files},
                           format="multipart")
    assert response.status_code == 400 and "not a readable PNG" in response.json()["report_thumbnail"][0]
    assert media_files(media) == []


def test_flood_report_pdf_is_checked_too(pusher, media):
    assert pusher.post(f"{API}flood/", {"event_id": FLOOD_ID, "time": "2017-02-21T05:00:00Z"}).status_code == 201
    fake = upload("m.pdf", b"%PDF-1.4\n<html></html>\n%%EOF\n")
    response = pusher.post(f"{API}flood-report/{FLOOD_ID}/", {"language": "en", "impact_map": fake}, format="multipart")
    assert response.status_code == 400 and "impact_map" in response.json()


# --- 4d, 5. headers and no raw exceptions -------------------------------------------------------------------

@pytest.mark.django_db
def test_pages_and_api_carry_a_content_security_policy(client):
    for path in ("/realtime/", "/realtime/flood/", f"{API}earthquake/", "/media/missing.pdf"):
        policy = client.get(path)["Content-Security-Policy"]
        directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
        assert directives["default-src"] == "'self'" and directives["script-src"] == "'self'"
        assert "'unsafe-eval'" not in policy
        assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
        if not path.startswith(API):  # DRF's browsable API uses style attributes; our pages use none
            assert directives["style-src"] == "'self'"


@pytest.mark.django_db
def test_pages_have_no_inline_style_or_script(client, media):
    from test_pages import add_earthquake, add_report

    add_report(add_earthquake(), "en")
    for path in ("/realtime/", "/realtime/earthquake/20180220163351/initial/", "/realtime/flood/"):
        html = client.get(path).content.decode()
        assert "style=" not in html and "<script" not in html and " on" + "click=" not in html, path


@pytest.mark.django_db
def test_an_unexpected_api_error_is_one_json_line(anonymous, monkeypatch):
    from events import api_views

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals: /srv/app/settings.py line 12")

    monkeypatch.setattr(api_views.EarthquakeList, "get_queryset", explode)
    anonymous.raise_request_exception = False
    response = anonymous.get(f"{API}earthquake/")
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; it has been logged"}
    assert "secret internals" not in response.content.decode()


def test_site_css_has_every_mmi_colour_of_the_pages():
    """The MMI badge colours moved from style attributes (blocked by the CSP) to classes in site.css."""
    from servers import WEB

    from events.page_views import MMI_SCALE

    css = (WEB / "events" / "static" / "events" / "site.css").read_text()
    for roman, colour, _shaking in MMI_SCALE:
        assert f".mmi-bg-{roman} {{ background-color: {colour}; }}" in css


def zip_with_odd_member(flag_bits: int = 0, method: int | None = None) -> bytes:
    """A flood_data.json zip member marked encrypted, or with a compression method zipfile cannot read."""
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("flood_data.json", b'{"type": "FeatureCollection", "features": []}')
    data = bytearray(buffer.getvalue())
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # local header, central directory
        at = data.index(signature)
        data[at + offset] |= flag_bits
        if method is not None:
            data[at + offset + 2: at + offset + 4] = method.to_bytes(2, "little")
    return bytes(data)


@pytest.mark.parametrize("layer", [zip_with_odd_member(flag_bits=1), zip_with_odd_member(method=99)],
                         ids=["encrypted", "unknown-compression"])
def test_a_hazard_zip_zipfile_cannot_read_is_a_400(pusher, media, layer):
    assert pusher.post(f"{API}flood/", {"event_id": FLOOD_ID, "time": "2017-02-21T05:00:00Z"}).status_code == 201
    response = pusher.put(f"{API}flood/{FLOOD_ID}/", {"event_id": FLOOD_ID, "hazard_layer": upload("h.zip", layer)},
                          format="multipart")
    assert response.status_code == 400 and "cannot be read" in response.json()["hazard_layer"][0]
    assert media_files(media) == []
