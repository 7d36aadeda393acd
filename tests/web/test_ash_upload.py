"""The ash upload page: staff only, every hostile raster refused in one line before anything is saved or
queued, and a valid forecast queued as one process_ash message (JSON kwargs) on a real Redis."""

from __future__ import annotations

import base64
import io
import json
import re
from pathlib import Path

import numpy as np
import pytest
import rasterio
import redis
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import override_settings
from PIL import Image, TiffImagePlugin
from rasterio.transform import from_origin

from servers import free_port, manage, redis_server, web_app, web_env
from events.models import Ash

PAGE = "/realtime/ash/upload/"
PUSHER = ("test@realtime.inasafe.org", "t3st-pass")
FILL = 9.96921e36  # netCDF's default fill, as real forecasts carry it


def geotiff(values, crs: str | None = "EPSG:4326", nodata: float | None = None, **options) -> bytes:
    """A one-band GeoTIFF of thickness in cm, written by rasterio, 0.01° cells from 110.3 E, 7.4 S."""
    array = np.asarray(values, dtype="float32")
    buffer = io.BytesIO()
    with rasterio.MemoryFile() as memory:
        with memory.open(driver="GTiff", height=array.shape[0], width=array.shape[1], count=1, dtype="float32",
                         crs=crs, transform=from_origin(110.3, -7.4, 0.01, 0.01), nodata=nodata, **options) as data:
            data.write(array, 1)
        buffer.write(memory.read())
    return buffer.getvalue()


def plume() -> np.ndarray:
    """12 x 10 cells: thickness falling away from the vent, NoData (the netCDF fill) in one corner."""
    rows, cols = np.mgrid[0:12, 0:10]
    values = 40.0 / (1 + (rows - 4) ** 2 + (cols - 3) ** 2)
    values[-3:, -3:] = FILL
    return values


def form(upload: bytes, name: str = "merapi.tif", **changes) -> dict:
    return {"volcano": changes.pop("volcano", None), "alert_level": "siaga", "event_time": "2017-02-21T19:04",
            "time_zone": "WIB", "eruption_height": "5000", "forecast_duration": "3",
            "hazard_file": SimpleUploadedFile(name, upload, "image/tiff"), **changes}


@pytest.fixture
def drop(tmp_path, settings):
    settings.HAZARD_DROP = tmp_path / "drop"
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "drop"


@pytest.fixture
def staff(client, db, drop):
    call_command("loadvolcanoes", stdout=io.StringIO())
    user = get_user_model().objects.create_user("duty", password="x")
    user.user_permissions.add(Permission.objects.get(codename="add_ash"))
    client.force_login(user)
    return client


def merapi_pk() -> int:
    from events.models import Volcano

    return Volcano.objects.get(name="Merapi").pk


def test_the_page_needs_a_login_and_the_permission(client, db):
    answer = client.get(PAGE)
    assert answer.status_code == 302 and answer["Location"].startswith("/realtime/api-auth/login/?next=")
    client.force_login(get_user_model().objects.create_user("visitor", password="x"))
    assert client.get(PAGE).status_code == 403


def test_the_form_offers_the_loaded_volcanoes_in_both_languages(staff):
    english = staff.get(PAGE, headers={"accept-language": "en"})
    assert english.status_code == 200
    html = english.content.decode()
    assert ">Merapi<" in html and ">Anak Krakatau<" in html and 'type="datetime-local"' in html
    assert "Upload an ash-fall forecast" in html
    indonesian = staff.get(PAGE, headers={"accept-language": "id"}).content.decode()
    assert "Unggah prakiraan hujan abu" in indonesian


def hostile() -> dict:
    png = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(png, "PNG")
    nan = np.full((6, 6), np.nan)
    negative = nan.copy()
    negative[::2, ::2] = -3.0
    return {
        "png.tif": (png.getvalue(), "is not a TIFF file"),
        "nocrs.tif": (geotiff(plume(), crs=None), "has no CRS"),
        "allnodata.tif": (geotiff(np.full((6, 6), FILL), nodata=FILL), "holds no data"),
        "nan.tif": (geotiff(nan), "holds no data"),
        "negative.tif": (geotiff(negative), "negative thickness (down to -3 cm)"),
        "kgm2.tif": (geotiff(np.where(plume() > 1e30, np.nan, plume() * 1000)), "holds 40000 cm, more than 5000 cm"),
        "truncated.tif": (geotiff(plume(), compress="deflate")[:400], "not a readable"),
        "twoband.tif": (None, "has 2 bands"),
        "nomodel.tif": (georeferenced_without_crs(), "GeoKeyDirectory names no projected or geographic model"),
    }


def georeferenced_without_crs() -> bytes:
    """Tie point and pixel scale, and a GeoKeyDirectory holding only the raster type (no CRS key)."""
    tags = TiffImagePlugin.ImageFileDirectory_v2()
    for tag, kind, value in ((34735, 3, (1, 1, 0, 1, 1025, 0, 1, 1)), (33550, 12, (0.01, 0.01, 0.0)),
                             (33922, 12, (0.0, 0.0, 0.0, 110.3, -7.4, 0.0))):
        tags[tag] = value
        tags.tagtype[tag] = kind
    buffer = io.BytesIO()
    Image.new("F", (4, 4), 1.0).save(buffer, "TIFF", tiffinfo=tags)
    return buffer.getvalue()


def two_bands() -> bytes:
    with rasterio.MemoryFile() as memory:
        with memory.open(driver="GTiff", height=4, width=4, count=2, dtype="float32", crs="EPSG:4326",
                         transform=from_origin(110.3, -7.4, 0.01, 0.01)) as data:
            data.write(np.ones((2, 4, 4), "float32"))
        return memory.read()


@pytest.mark.parametrize("name", sorted(hostile()))
def test_hostile_rasters_are_refused_in_one_line_before_anything_is_saved(staff, drop, name):
    content, problem = hostile()[name]
    content = two_bands() if content is None else content
    answer = staff.post(PAGE, form(content, name, volcano=merapi_pk()))
    assert answer.status_code == 400
    errors = answer.context["form"].errors["hazard_file"]
    assert len(errors) == 1 and "\n" not in errors[0], errors
    assert errors[0].startswith(f"'{name}' ") and problem in errors[0], errors[0]
    assert errors[0] in answer.content.decode().replace("&#x27;", "'")
    assert not Ash.objects.exists() and not (drop.exists() and any(drop.iterdir()))


def test_a_raster_over_the_cell_limit_is_refused(staff, settings):
    settings.ASH_MAX_PIXELS = 100
    answer = staff.post(PAGE, form(geotiff(plume()), volcano=merapi_pk()))  # 12 x 10 = 120 cells
    assert answer.status_code == 400
    assert answer.context["form"].errors["hazard_file"] == [
        "'merapi.tif' is too large: 10 x 12 = 120 cells; the limit is 100 (REALTIME_ASH_MAX_PIXELS)"]


def test_a_raster_over_the_byte_limit_is_refused(staff, settings):
    data = geotiff(plume())
    settings.MAX_UPLOAD_BYTES = len(data) - 1
    settings.MAX_REQUEST_BYTES = len(data) * 4  # the middleware lets the request through; the check refuses
    answer = staff.post(PAGE, form(data, volcano=merapi_pk()))
    assert answer.status_code == 400
    assert answer.context["form"].errors["hazard_file"] == [
        f"'merapi.tif' is {len(data):,} bytes; the limit is {len(data) - 1:,} (REALTIME_WEB_MAX_UPLOAD_MB)"]


def test_the_same_event_twice_is_refused(staff, drop):
    Ash.objects.create(ash_id="201702211904+0700_Merapi", volcano_name="Merapi", event_time="2017-02-21T12:04:00Z")
    answer = staff.post(PAGE, form(geotiff(plume()), volcano=merapi_pk()))
    assert answer.status_code == 400 and "201702211904+0700_Merapi exists already" in answer.content.decode()


# --- as deployed: gunicorn, a real Redis, the form posted by a browser-like session -------------------------

def login(base: str) -> requests.Session:
    session = requests.Session()
    page = f"{base}/realtime/api-auth/login/"
    session.get(page, timeout=30)
    answer = session.post(page, data={"username": PUSHER[0], "password": PUSHER[1], "next": PAGE,
                                      "csrfmiddlewaretoken": session.cookies["csrftoken"]},
                          headers={"Referer": page}, allow_redirects=False, timeout=30)
    assert answer.status_code == 302, answer.text[:300]
    return session


def post_upload(session: requests.Session, base: str, data: bytes, volcano_pk: str) -> requests.Response:
    session.get(f"{base}{PAGE}", timeout=30)
    fields = {"volcano": volcano_pk, "alert_level": "siaga", "event_time": "2017-02-21T19:04", "time_zone": "WIB",
              "eruption_height": "5000", "forecast_duration": "3",
              "csrfmiddlewaretoken": session.cookies["csrftoken"]}
    return session.post(f"{base}{PAGE}", data=fields, files={"hazard_file": ("merapi.tif", data, "image/tiff")},
                        headers={"Referer": f"{base}{PAGE}"}, timeout=60)


def volcano_option(html: str, name: str) -> str:
    return re.search(rf'<option value="(\d+)"[^>]*>{name}</option>', html).group(1)


@pytest.mark.slow
def test_a_valid_forecast_is_queued_once_as_json_on_a_real_redis(tmp_path):
    drop = tmp_path / "drop"
    data = geotiff(plume(), nodata=FILL, compress="deflate", tiled=True, blockxsize=16, blockysize=16)
    with redis_server(tmp_path) as broker:
        extra = {"INASAFE_REALTIME_BROKER_URL": broker, "REALTIME_HAZARD_DROP": str(drop)}
        with web_app(tmp_path, user=PUSHER, **extra) as base:
            manage(web_env(tmp_path, **extra), "loadvolcanoes")
            session = login(base)
            merapi = volcano_option(session.get(f"{base}{PAGE}", timeout=30).text, "Merapi")
            answer = post_upload(session, base, data, merapi)
            assert answer.status_code == 200, answer.text[:2000]
            assert "is saved and queued for processing" in answer.text
            assert "10 × 12 cells, 111 with data" in answer.text  # 120 cells less the 3 x 3 NoData corner
            assert 'href="/realtime/ash/201702211904+0700_Merapi/"' in answer.text
            assert session.get(f"{base}/realtime/ash/201702211904+0700_Merapi/", timeout=30).status_code == 200
            messages = redis.Redis.from_url(broker).lrange("inasafe-realtime", 0, -1)
            again = post_upload(session, base, data, merapi)
            assert again.status_code == 400 and "exists already" in again.text
            assert redis.Redis.from_url(broker).llen("inasafe-realtime") == 1
    assert len(messages) == 1
    message = json.loads(messages[0])
    assert message["headers"]["task"] == "realtime.tasks.ash.process_ash"
    assert message["content-type"] == "application/json"
    args, kwargs, _embed = json.loads(base64.b64decode(message["body"]))
    assert args == []
    copied = Path(kwargs.pop("ash_file_path"))
    assert copied.parent.parent == drop.resolve() and copied.name == "201702211904+0700_Merapi.tif"
    assert copied.read_bytes() == data
    # Merapi as docs/reference/ash.md §5 gives it; 19:04 WIB is +07:00
    assert kwargs == {"volcano_name": "Merapi", "region": "Jawa Tengah", "latitude": -7.542, "longitude": 110.442,
                      "alert_level": "siaga", "event_time": "2017-02-21T19:04:00+07:00", "eruption_height": 5000.0,
                      "vent_height": 2968.0, "forecast_duration": 3}


@pytest.mark.slow
def test_a_broker_that_is_down_is_said_on_the_page_and_the_event_kept(tmp_path):
    extra = {"INASAFE_REALTIME_BROKER_URL": f"redis://127.0.0.1:{free_port()}/0",
             "REALTIME_HAZARD_DROP": str(tmp_path / "drop")}
    with web_app(tmp_path, user=PUSHER, **extra) as base:
        manage(web_env(tmp_path, **extra), "loadvolcanoes")
        session = login(base)
        merapi = volcano_option(session.get(f"{base}{PAGE}", timeout=30).text, "Merapi")
        answer = post_upload(session, base, geotiff(plume()), merapi)
        assert answer.status_code == 200 and "could not be queued" in answer.text
        event = session.get(f"{base}/realtime/api/v1/ash/Merapi/20170221190400+0700/", timeout=30).json()
        assert event["task_status"] == "NOT QUEUED" and event["volcano"]["name"] == "Merapi"


def test_refusals_are_in_the_page_language(staff):
    staff.cookies["django_language"] = "id"
    answer = staff.post(PAGE, form(hostile()["png.tif"][0], "foto.tif", volcano=merapi_pk()))
    assert answer.status_code == 400
    assert answer.context["form"].errors["hazard_file"] == [
        "'foto.tif' bukan berkas TIFF (GeoTIFF diawali II*/MM*; ini berkas lain)"]
    limit = staff.post(PAGE, form(geotiff(np.full((6, 6), np.nan)), "kosong.tif", volcano=merapi_pk()))
    assert limit.context["form"].errors["hazard_file"] == [
        "'kosong.tif' tidak berisi data: setiap sel adalah NoData (NaN, 9.96921e36 atau lebih)"]
