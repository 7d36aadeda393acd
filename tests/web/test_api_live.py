"""The REST API over real HTTP (gunicorn), driven the way the processor drives it.

The processor logs in like a browser (GET auth/login/ for the csrftoken cookie, POST the form,
re-read the rotated cookie, send X-CSRFTOKEN on writes) and pushes create-or-update:
GET -> 404 -> POST, or GET -> 200 -> PUT. HTTP Basic also works and needs no CSRF.

Status codes DRF gives here (BasicAuthentication comes first, so it names the challenge):
anonymous write -> 401, wrong Basic password -> 401, a session write without X-CSRFTOKEN -> 403,
an authenticated user outside the 'Realtime REST User' group -> 403.
"""

from __future__ import annotations

import io

import pytest
import requests
from PIL import Image

from servers import django_shell, web_app, web_env

PUSHER = ("test@realtime.inasafe.org", "t3st-pass")
OUTSIDER = ("outsider@example.org", "0utsider-pass")
SHAKE_ID = "20180220163351"
FLOOD_ID = "2017022105-6-rw"
MIB = 1024 * 1024
TIMEOUT = 30


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(buffer, "PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (2, 2), "white").save(buffer, "PDF")
    return buffer.getvalue()


PDF = pdf_bytes()


@pytest.fixture(scope="module")
def api(tmp_path_factory) -> str:
    workdir = tmp_path_factory.mktemp("web-api")
    with web_app(workdir, REALTIME_WEB_MAX_UPLOAD_MB="1") as base:  # 1 MiB files and form bodies
        django_shell(web_env(workdir), "from django.contrib.auth.models import User; "
                                       f"User.objects.create_user({OUTSIDER[0]!r}, password={OUTSIDER[1]!r})")
        yield f"{base}/realtime/api/v1/"


def logged_in(api: str) -> requests.Session:
    """The processor's login: the form of DRF's login view, with the CSRF cookie and a Referer."""
    session = requests.Session()
    page = session.get(f"{api}auth/login/", timeout=TIMEOUT)
    assert page.status_code == 200
    form = {"username": PUSHER[0], "password": PUSHER[1], "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": api}
    answer = session.post(f"{api}auth/login/", data=form, headers={"Referer": f"{api}auth/login/"},
                          allow_redirects=False, timeout=TIMEOUT)
    assert answer.status_code == 302 and answer.headers["Location"] == api
    session.headers["X-CSRFTOKEN"] = session.cookies["csrftoken"]  # Django rotates it on login
    assert session.get(f"{api}is_logged_in/", timeout=TIMEOUT).json() == {"is_logged_in": True}
    return session


def quake(**changes) -> dict:
    return {"shake_id": SHAKE_ID, "source_type": "initial", "hazard_path": None, "magnitude": 5.0, "depth": 10.0,
            "time": "2018-02-20 23:33:51+07:00", "location": {"type": "Point", "coordinates": [124.45, 1.4]},
            "location_description": "Minahasa, Sulawesi Utara", **changes}


def report_files() -> dict:
    return {"report_pdf": ("r.pdf", PDF), "report_image": ("r.png", png_bytes()),
            "report_thumbnail": ("t.png", png_bytes())}


def push_earthquake(session: requests.Session, api: str, payload: dict) -> int:
    detail = f"{api}earthquake/{payload['shake_id']}/{payload['source_type']}/"
    found = session.get(detail, timeout=TIMEOUT)
    if found.status_code == 200:
        return session.put(detail, json=payload, timeout=TIMEOUT).status_code
    assert found.status_code == 404
    return session.post(f"{api}earthquake/", json=payload, timeout=TIMEOUT).status_code


def push_report(session: requests.Session, api: str, language: str) -> int:
    detail = f"{api}earthquake-report/{SHAKE_ID}/initial/{language}/"
    if session.get(detail, timeout=TIMEOUT).status_code == 200:
        return session.put(detail, files=report_files(), timeout=TIMEOUT).status_code
    return session.post(f"{api}earthquake-report/{SHAKE_ID}/initial/", data={"language": language},
                        files=report_files(), timeout=TIMEOUT).status_code


def test_earthquake_push_over_a_session(api):
    session = logged_in(api)
    assert push_earthquake(session, api, quake()) == 201
    assert push_earthquake(session, api, quake(magnitude=5.3)) == 200
    assert push_report(session, api, "en") == 201
    assert push_report(session, api, "id") == 201
    listed = requests.get(f"{api}earthquake/", timeout=TIMEOUT).json()
    assert listed["count"] == 1
    event = listed["results"][0]
    assert event["magnitude"] == 5.3 and sorted(r["language"] for r in event["reports"]) == ["en", "id"]
    pdf = requests.get(event["reports"][0]["report_pdf"], timeout=TIMEOUT)
    assert pdf.status_code == 200 and pdf.content == PDF
    # The processor re-runs: the same pushes again update the same rows.
    assert push_earthquake(session, api, quake(magnitude=5.3)) == 200
    assert push_report(session, api, "en") == 200
    again = requests.get(f"{api}earthquake/{SHAKE_ID}/", timeout=TIMEOUT).json()
    assert again["count"] == 1 and len(again["results"][0]["reports"]) == 2
    duplicate = session.post(f"{api}earthquake-report/{SHAKE_ID}/initial/", data={"language": "en"},
                             files=report_files(), timeout=TIMEOUT)
    assert duplicate.status_code == 400 and duplicate.json()["existing"]["language"] == "en"
    stamp = session.post(f"{api}indicator/notify_shakemap_push/", data={"timestamp": "2018-02-20 16:33:51"},
                         timeout=TIMEOUT)
    assert stamp.json() == {"success": True}


def test_flood_push_with_the_petabencana_snapshot(api, fixtures, flood_products):
    session = logged_in(api)
    assert session.get(f"{api}flood/{FLOOD_ID}/", timeout=TIMEOUT).status_code == 404
    snapshot = (fixtures / "flood" / "petabencana-2017022105.json").read_bytes()
    data = {"event_id": FLOOD_ID, "time": "2017-02-21 05:00:00+00:00", "interval": "6",
            "data_source": "petabencana", "source": "PetaBencana", "region": "Jakarta"}
    created = session.post(f"{api}flood/", data=data, files={"hazard_layer": ("flood_data.json", snapshot)},
                           timeout=TIMEOUT)
    assert created.status_code == 201, created.text
    assert created.json()["boundary_flooded"] == 158  # the report's flooded RWs; 3 more are "use caution"
    raw = requests.get(created.json()["flood_data_download_url"], timeout=TIMEOUT)
    assert raw.status_code == 200 and raw.content == snapshot
    # the processor's impact.json of this snapshot (tests/real_products.py): 878,364.6 people affected
    updated = session.put(f"{api}flood/{FLOOD_ID}/", timeout=TIMEOUT,
                          json={"event_id": FLOOD_ID, "impact": flood_products.impact})
    assert updated.status_code == 200, updated.text
    assert updated.json()["total_affected"] == round(flood_products.impact["summary"]["affected"])
    report = session.post(f"{api}flood-report/{FLOOD_ID}/", data={"language": "id"},
                          files={"impact_map": (f"{FLOOD_ID}-map.pdf", PDF)}, timeout=TIMEOUT)
    assert report.status_code == 201, report.text
    assert requests.get(f"{api}flood/{FLOOD_ID}/", timeout=TIMEOUT).json()["reports"][0]["language"] == "id"


def test_basic_auth_needs_no_csrf(api):
    flood_id = "2017022111-6-rw"
    created = requests.post(f"{api}flood/", auth=PUSHER, timeout=TIMEOUT,
                            data={"event_id": flood_id, "time": "2017-02-21T11:00:00Z"})
    assert created.status_code == 201, created.text
    assert requests.delete(f"{api}flood/{flood_id}/", auth=PUSHER, timeout=TIMEOUT).status_code == 204
    stamp = requests.post(f"{api}indicator/notify_shakemap_push/", data={"timestamp": "2018-02-20T16:33:51Z"},
                          auth=PUSHER, timeout=TIMEOUT)
    assert stamp.json() == {"success": True}


def test_refusals_over_http(api):
    payload = quake(shake_id="20180301000000")

    def create(auth) -> int:
        return requests.post(f"{api}earthquake/", json=payload, auth=auth, timeout=TIMEOUT).status_code

    assert create(None) == 401
    assert create((PUSHER[0], "wrong")) == 401
    assert create(OUTSIDER) == 403
    notify = f"{api}indicator/notify_shakemap_push/"
    stamp = {"timestamp": "2018-02-20 16:33:51"}
    assert requests.post(notify, data=stamp, auth=OUTSIDER, timeout=TIMEOUT).status_code == 403
    assert requests.post(notify, data=stamp, timeout=TIMEOUT).status_code == 401
    session = logged_in(api)
    del session.headers["X-CSRFTOKEN"]
    no_csrf = session.post(f"{api}earthquake/", json=payload, timeout=TIMEOUT)
    assert no_csrf.status_code == 403 and "CSRF" in no_csrf.json()["detail"]
    assert requests.get(f"{api}earthquake/20000101000000/initial/", timeout=TIMEOUT).status_code == 404
    assert requests.get(f"{api}flood-report/2000010100-6-rw/en/", timeout=TIMEOUT).status_code == 404
    bad = requests.post(f"{api}earthquake/", json=quake(shake_id="x"), auth=PUSHER, timeout=TIMEOUT)
    assert bad.status_code == 400 and "shake_id" in bad.json()


def test_oversized_bodies_are_refused_over_http(api):
    """Over the request limit (1 MiB of files + 1 MiB): 413 from Content-Length; a field over 1 MiB: 400."""
    session = logged_in(api)
    assert push_earthquake(session, api, quake(shake_id="20180302000000")) == 201
    reports = f"{api}earthquake-report/20180302000000/initial/"
    big_pdf = {**report_files(), "report_pdf": ("r.pdf", PDF + b"0" * (2 * MIB))}
    request_too_big = session.post(reports, data={"language": "en"}, files=big_pdf, timeout=TIMEOUT)
    assert request_too_big.status_code == 413 and "REALTIME_WEB_MAX_UPLOAD_MB" in request_too_big.json()["detail"]
    file_too_big = {**report_files(), "report_pdf": ("r.pdf", PDF + b"0" * (MIB + MIB // 2))}
    refused = session.post(reports, data={"language": "en"}, files=file_too_big, timeout=TIMEOUT)
    assert refused.status_code == 400 and "limit" in refused.json()["report_pdf"][0]
    field_too_big = session.post(reports, data={"language": "en", "padding": "x" * (MIB + MIB // 2)},
                                 files=report_files(), timeout=TIMEOUT)
    assert field_too_big.status_code == 400 and "detail" in field_too_big.json()
    json_too_big = session.put(f"{api}earthquake/20180302000000/initial/", timeout=TIMEOUT,
                               json={"location_description": "x" * (2 * MIB)})
    assert json_too_big.status_code == 413 and "detail" in json_too_big.json()
    many_files = {f"file{i}": (f"{i}.pdf", PDF) for i in range(6)}
    assert session.post(reports, data={"language": "en"}, files=many_files, timeout=TIMEOUT).status_code == 400
    assert session.get(f"{reports}en/", timeout=TIMEOUT).status_code == 404
