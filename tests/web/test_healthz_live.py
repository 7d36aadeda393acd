"""/healthz answers health checks that send no Host header (Rancher's HAProxy: `GET /healthz HTTP/1.0`) or ask
127.0.0.1 (the image's HEALTHCHECK), whatever DJANGO_ALLOWED_HOSTS says; every other path still checks the host."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest

from servers import web_app

ALLOWED = "realtime.example.org"  # 127.0.0.1 deliberately missing, as with the catalog's WEB_HOSTNAMES


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    with web_app(tmp_path_factory.mktemp("web-healthz"), DJANGO_ALLOWED_HOSTS=ALLOWED) as url:
        yield urlsplit(url).port


def raw(port: int, request: bytes) -> tuple[int, bytes]:
    """Send `request` byte for byte; the status code and body of the answer (HTTP/1.0: the server closes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


def test_healthz_without_a_host_header_answers_200(web):
    status, body = raw(web, b"GET /healthz HTTP/1.0\r\n\r\n")
    assert status == 200 and json.loads(body) == {"healthy": True}


def test_healthz_asked_as_127_0_0_1_answers_200(web):
    status, body = raw(web, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    assert status == 200 and json.loads(body) == {"healthy": True}


@pytest.mark.parametrize("path", [b"/realtime/", b"/realtime/api/v1/earthquake/", b"/healthz/", b"/healthzx"])
def test_any_other_path_without_an_allowed_host_is_still_refused(web, path):
    assert raw(web, b"GET " + path + b" HTTP/1.0\r\n\r\n")[0] == 400
    assert raw(web, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")[0] == 400


def test_an_allowed_host_still_reaches_the_app(web):
    request = f"GET /realtime/api/v1/earthquake/ HTTP/1.1\r\nHost: {ALLOWED}\r\nConnection: close\r\n\r\n"
    assert raw(web, request.encode())[0] == 200
