"""The ShakeMap grid.xml travels with its event: the processor's push uploads the grid its products came from,
the web app checks it (defusedxml, root <shakemap_grid>, size), keeps it as <shake_id>-<source_type>-grid.xml
and answers its download URL in `shake_grid` and `shake_grid_download_url`, as the legacy contract names them."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import requests
from django.test import override_settings

from conftest import GRID_CORRECTED, GRID_INITIAL
from hostile_grids import _BILLION_LAUGHS, _XXE
from servers import web_app
from test_api import API, SHAKE_ID, media, media_files, pusher, quake, quake_form, upload  # noqa: F401 (fixtures)

STORED = f"earthquake/grid/{SHAKE_ID}-initial-grid.xml"
DETAIL = f"{API}earthquake/{SHAKE_ID}/initial/"
# EarthquakeSerializer.Meta.fields of docs/reference earthquake.md §4.3, plus has_corrected and impact.
LEGACY_FIELDS = {"url", "shake_id", "shake_grid", "mmi_output", "magnitude", "time", "depth", "location",
                 "location_description", "felt", "reports", "hazard_path", "source_type", "event_id_formatted",
                 "shake_grid_download_url", "mmi_layer_download_url", "grid_xml_filename", "mmi_layer_filename",
                 "mmi_layer_saved", "has_corrected", "impact"}


def download(client, url: str) -> bytes:
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200, url
    return b"".join(response.streaming_content)


# --- the web app, in process ------------------------------------------------------------------------------

def test_grid_is_stored_under_its_canonical_name_and_downloads_byte_for_byte(pusher, media):
    assert pusher.post(f"{API}earthquake/", quake(), format="json").status_code == 201
    grid = GRID_INITIAL.read_bytes()
    response = pusher.put(DETAIL, {"shake_grid": upload(f"{SHAKE_ID}-grid.xml", grid)}, format="multipart")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert set(body) == LEGACY_FIELDS
    assert body["shake_grid"] == body["shake_grid_download_url"] == f"http://testserver/media/{STORED}"
    assert body["grid_xml_filename"] == f"{SHAKE_ID}-initial-grid.xml"
    assert media_files(media) == [STORED]
    assert download(pusher, body["shake_grid_download_url"]) == grid
    assert pusher.get(DETAIL).json()["shake_grid"] == body["shake_grid"]
    listed = pusher.get(f"{API}earthquake/").json()["results"][0]
    assert listed["shake_grid_download_url"] == body["shake_grid_download_url"]

    # A re-push replaces the file under the same name; the old bytes are gone.
    newer = GRID_CORRECTED.read_bytes()
    again = pusher.put(DETAIL, {"shake_grid": upload("grid.xml", newer)}, format="multipart").json()
    assert again["shake_grid"] == body["shake_grid"] and media_files(media) == [STORED]
    assert download(pusher, again["shake_grid"]) == newer

    assert pusher.delete(DETAIL).status_code == 204
    assert media_files(media) == []


def test_grid_can_come_with_the_create(pusher, media):
    data = {**quake_form(), "shake_grid": upload("grid.xml", GRID_INITIAL.read_bytes())}
    response = pusher.post(f"{API}earthquake/", data, format="multipart")
    assert response.status_code == 201, response.json()
    assert response.json()["shake_grid"].endswith(f"/media/{STORED}")
    assert media_files(media) == [STORED]


def test_no_grid_yet_is_null(pusher, media):
    body = pusher.post(f"{API}earthquake/", quake(), format="json").json()
    assert body["shake_grid"] is None and body["shake_grid_download_url"] is None


HALF_GRID = GRID_INITIAL.read_bytes()[: GRID_INITIAL.stat().st_size // 2] if GRID_INITIAL.exists() else b""


@pytest.mark.parametrize("content, problem", [
    (_BILLION_LAUGHS.encode(), "is refused: unsafe XML (EntitiesForbidden)"),
    (_XXE.encode(), "is refused: unsafe XML (EntitiesForbidden)"),
    (b'<?xml version="1.0"?>\n<html><body>not a grid</body></html>', "is not a ShakeMap grid.xml: its root is <html>"),
    (b"PK\x03\x04 a zip, not XML", "is not well-formed XML"),
    (HALF_GRID, "is not well-formed XML"),
], ids=["billion-laughs", "external-entity", "wrong-root", "not-xml", "truncated"])
def test_hostile_grid_is_refused_with_one_line_naming_it(pusher, media, content, problem):
    assert pusher.post(f"{API}earthquake/", quake(), format="json").status_code == 201
    response = pusher.put(DETAIL, {"shake_grid": upload("evil-grid.xml", content)}, format="multipart")
    assert response.status_code == 400
    [message] = response.json()["shake_grid"]
    assert message.startswith("'evil-grid.xml' ") and problem in message and "\n" not in message
    assert "root:" not in message  # nothing of /etc/passwd
    assert media_files(media) == [] and pusher.get(DETAIL).json()["shake_grid"] is None


def test_oversized_grid_is_refused_with_one_line(pusher, media):
    assert pusher.post(f"{API}earthquake/", quake(), format="json").status_code == 201
    size = GRID_INITIAL.stat().st_size
    with override_settings(MAX_UPLOAD_BYTES=size - 1):
        response = pusher.put(DETAIL, {"shake_grid": upload("big-grid.xml", GRID_INITIAL.read_bytes())},
                              format="multipart")
    assert response.status_code == 400
    assert response.json() == {"shake_grid": [f"'big-grid.xml' is {size} bytes; the limit is {size - 1} "
                                              "(REALTIME_WEB_MAX_UPLOAD_MB)"]}
    assert media_files(media) == []


# --- the processor's push, to the live web app -------------------------------------------------------------

USER = ("test@realtime.inasafe.org", "t3st-pass")


@pytest.fixture(scope="module")
def products(fixtures, demo_data, tmp_path_factory) -> Path:
    """A real product folder from the pipeline (impact.json, layers, the English report)."""
    from realtime.pipeline.shake import process_shake

    result = process_shake(GRID_INITIAL, demo_data, tmp_path_factory.mktemp("products"),
                           now=datetime(2024, 1, 1, tzinfo=timezone.utc), source_type="initial", locales=["en"])
    return result.folder


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with web_app(tmp_path_factory.mktemp("web"), user=USER) as base:
        yield f"{base}{API}"


def push(api: str, folder: Path) -> None:
    from realtime.runtime.push import push_earthquake
    from realtime.runtime.rest import RealtimeRest

    push_earthquake(RealtimeRest(api, *USER, timeout=60), folder)


def variant(products: Path, tmp_path: Path, shake_id: str, **source) -> Path:
    """The products as another event (a different shake id), with impact.json's `input` changed."""
    folder = tmp_path / shake_id
    shutil.copytree(products, folder)
    document = json.loads((folder / "impact.json").read_text())
    document["shake_id"] = shake_id
    document["input"].update(source)
    (folder / "impact.json").write_text(json.dumps(document))
    return folder


def test_push_sends_the_grid_the_products_came_from(products, live):
    document = json.loads((products / "impact.json").read_text())
    assert Path(document["input"]["file"]) == GRID_INITIAL  # what the pipeline recorded
    push(live, products)
    event = requests.get(f"{live}earthquake/{SHAKE_ID}/initial/", timeout=30).json()
    assert event["shake_grid"] == event["shake_grid_download_url"]
    assert event["shake_grid"].endswith(f"/media/{STORED}")
    assert requests.get(event["shake_grid"], timeout=30).content == GRID_INITIAL.read_bytes()
    assert event["mmi_layer_download_url"] and [r["language"] for r in event["reports"]] == ["en"]
    assert event["impact"]["shake_id"] == SHAKE_ID  # pushed last, after the grid


def test_push_reads_the_grid_inside_a_legacy_zip(products, live, tmp_path):
    archive = tmp_path / "20180220163352.out.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(GRID_INITIAL, "20180220163352/output/grid.xml")
    folder = variant(products, tmp_path, "20180220163352", file=str(archive))
    push(live, folder)
    event = requests.get(f"{live}earthquake/20180220163352/initial/", timeout=30).json()
    assert event["shake_grid"].endswith("/media/earthquake/grid/20180220163352-initial-grid.xml")
    assert requests.get(event["shake_grid"], timeout=30).content == GRID_INITIAL.read_bytes()


def test_a_grid_changed_since_processing_is_not_sent_and_the_rest_is(products, live, tmp_path):
    folder = variant(products, tmp_path, "20180220163353", sha256="0" * 64)
    push(live, folder)
    event = requests.get(f"{live}earthquake/20180220163353/initial/", timeout=30).json()
    assert event["shake_grid"] is None and event["shake_grid_download_url"] is None
    assert event["mmi_layer_download_url"] and event["impact"] is not None


def test_a_grid_the_web_app_refuses_stops_the_push_before_the_impact(products, live, tmp_path):
    from realtime.runtime.rest import PushError

    bad = tmp_path / "grid.xml"
    bad.write_bytes(b'<?xml version="1.0"?>\n<grid/>')
    folder = variant(products, tmp_path, "20180220163354", file=str(bad),
                     sha256=hashlib.sha256(bad.read_bytes()).hexdigest())
    with pytest.raises(PushError) as refused:
        push(live, folder)
    assert refused.value.status == 400 and "shake_grid" in str(refused.value)
    assert "its root is <grid>" in str(refused.value)
    event = requests.get(f"{live}earthquake/20180220163354/initial/", timeout=30).json()
    assert event["impact"] is None and event["shake_grid"] is None and event["mmi_layer_download_url"] is None
