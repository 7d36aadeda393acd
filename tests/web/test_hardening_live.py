"""Hardening that only a real server shows: body limits from Content-Length under gunicorn, the secret key at start."""

from __future__ import annotations

import base64
import http.client
import json
import socket
import subprocess
import sys

import pytest
import requests

from servers import WEB, free_port, web_app, web_env

PUSHER = ("test@realtime.inasafe.org", "t3st-pass")
SHAKE_ID = "20180220163351"
ANSWER_WITHIN = 30  # seconds: a bound for a server that answers at once, far below gunicorn's 60 s worker timeout


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> str:
    with web_app(tmp_path_factory.mktemp("web-hardening"), PUSHER) as url:
        quake = {"shake_id": SHAKE_ID, "source_type": "initial", "magnitude": 5.0, "depth": 10.0,
                 "time": "2018-02-20T16:33:51Z", "location": {"type": "Point", "coordinates": [124.45, 1.4]}}
        created = requests.post(f"{url}/realtime/api/v1/earthquake/", json=quake, auth=PUSHER, timeout=30)
        assert created.status_code == 201
        yield url


def raw_request(base: str, head: str, body: bytes = b"") -> tuple[int, dict]:
    """Send a request whose Content-Length promises far more than the body; read the whole answer.

    The socket times out (and the test fails) if the server waits for the promised body instead.
    """
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=ANSWER_WITHIN) as sock:
        sock.sendall(head.encode() + b"\r\n" + body)
        answer = http.client.HTTPResponse(sock)
        answer.begin()
        return answer.status, json.loads(answer.read())


def headers(path: str, length: int, content_type: str) -> str:
    token = base64.b64encode(f"{PUSHER[0]}:{PUSHER[1]}".encode()).decode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Basic {token}\r\n"
            f"Content-Type: {content_type}\r\nContent-Length: {length}\r\nConnection: close\r\n")


@pytest.mark.parametrize("path", [f"/realtime/api/v1/earthquake-report/{SHAKE_ID}/initial/", "/realtime/api/v1/flood/",
                                  "/realtime/api-auth/login/"])
def test_a_huge_content_length_is_refused_before_the_body_is_read(base, path):
    promised = 220 * 1024 * 1024  # under the old 250 MB cap of the views, over today's request limit
    status, error = raw_request(base, headers(path, promised, "multipart/form-data; boundary=xyz"), b"--xyz\r\n")
    assert status == 413
    assert error["detail"].startswith(f"the request body is {promised} bytes; the limit is ")
    assert "\n" not in error["detail"]


def test_a_json_body_over_the_form_limit_is_refused_from_its_header(base):
    promised = 60 * 1024 * 1024
    status, error = raw_request(base, headers("/realtime/api/v1/earthquake/", promised, "application/json"), b"{")
    assert status == 413 and "REALTIME_WEB_MAX_UPLOAD_MB" in error["detail"]


def test_a_chunked_upload_without_length_is_refused(base):
    head = headers("/realtime/api/v1/flood/", 0, "multipart/form-data; boundary=xyz")
    head = head.replace("Content-Length: 0\r\n", "Transfer-Encoding: chunked\r\n")
    status, error = raw_request(base, head, b"5\r\n--xyz\r\n")
    assert status == 411 and "Content-Length" in error["detail"]


def test_a_normal_upload_still_works(base):
    from test_api import PDF, png_bytes

    files = {"report_pdf": ("r.pdf", PDF), "report_image": ("r.png", png_bytes()),
             "report_thumbnail": ("t.png", png_bytes())}
    created = requests.post(f"{base}/realtime/api/v1/earthquake-report/{SHAKE_ID}/initial/", data={"language": "en"},
                            files=files, auth=PUSHER, timeout=30)
    assert created.status_code == 201, created.text


def clean_env(tmp_path, **extra: str) -> dict[str, str]:
    """The web app's environment as a deployment gives it: no secret key, and no pytest run around it."""
    env = web_env(tmp_path, **extra)
    for name in ("DJANGO_SECRET_KEY", "PYTEST_VERSION", "PYTEST_CURRENT_TEST"):
        if name not in extra:
            env.pop(name, None)
    return env


def test_the_app_refuses_to_start_without_a_secret_key(tmp_path):
    gunicorn = subprocess.run([sys.executable, "-m", "gunicorn", "inasafe_web.wsgi:application", "--bind",
                               f"127.0.0.1:{free_port()}", "--workers", "1"], env=clean_env(tmp_path), cwd=WEB,
                              capture_output=True, text=True, timeout=120)
    assert gunicorn.returncode != 0
    assert "DJANGO_SECRET_KEY is not set" in gunicorn.stderr
    manage = subprocess.run([sys.executable, "manage.py", "check"], env=clean_env(tmp_path), cwd=WEB,
                            capture_output=True, text=True, timeout=120)
    assert manage.returncode != 0 and "DJANGO_SECRET_KEY is not set" in manage.stderr
    assert "dev-only-insecure-key" not in (WEB / "inasafe_web" / "settings.py").read_text()


def test_debug_runs_without_a_secret_key_and_a_set_key_runs_without_debug(tmp_path):
    for env in (clean_env(tmp_path, DJANGO_DEBUG="1"), clean_env(tmp_path, DJANGO_SECRET_KEY="a-real-secret")):
        check = subprocess.run([sys.executable, "manage.py", "check"], env=env, cwd=WEB, capture_output=True,
                               text=True, timeout=120)
        assert check.returncode == 0, check.stderr
