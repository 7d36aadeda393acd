"""The 404 and 500 pages: the site's look, in the reader's language, never needing the database; the API keeps
its JSON errors. DEBUG is off here (pytest-django and the live app both run with DEBUG=False), else Django
would show its debug pages instead."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest
import requests
from django.conf import settings

from servers import WEB, ensure_web_catalog, free_port, stop, wait_for_port, web_env

ensure_web_catalog()

API = "/realtime/api/v1/"
EN_404 = "Page not found"
ID_404 = "Halaman tidak ditemukan"
EN_500 = "Something went wrong on our side"
ID_500 = "Terjadi kesalahan di pihak kami"


def test_debug_is_off():
    assert settings.DEBUG is False


# --- 404, in process ----------------------------------------------------------------------------------------
# No `db` fixture: pytest-django refuses any query, so these pages are shown to need no database.

def test_404_page_in_english_by_default(client):
    response = client.get("/realtime/no-such-page/")
    assert response.status_code == 404
    html = response.content.decode()
    assert f"<h1>{EN_404}</h1>" in html and '<html lang="en">' in html
    assert "/static/events/site.css" in html  # the site's stylesheet, header and links home
    assert 'href="/realtime/"' in html and 'href="/realtime/flood/"' in html
    assert ID_404 not in html


@pytest.mark.parametrize("how", ["accept-language", "cookie"])
def test_404_page_in_indonesian(client, how):
    if how == "cookie":
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "id"
        response = client.get("/realtime/earthquake/nope/")
    else:
        response = client.get("/realtime/earthquake/nope/", headers={"accept-language": "id-ID,id;q=0.9"})
    assert response.status_code == 404
    html = response.content.decode()
    assert f"<h1>{ID_404}</h1>" in html and '<html lang="id">' in html
    assert "Galat 404" in html and "Gempabumi terbaru" in html and "Banjir terbaru" in html
    assert EN_404 not in html


def test_404_page_has_no_inline_script_or_style(client):
    html = client.get("/realtime/nope/").content.decode()
    assert "<script" not in html and "style=" not in html and "<style" not in html


def test_an_unknown_api_path_is_a_json_404(client):
    for path in (f"{API}no-such-endpoint/", f"{API}earthquake/not-an-id/initial/",
                 f"{API}earthquake/20180220163351/neither/"):
        response = client.get(path, headers={"accept-language": "id"})
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert response.json() == {"detail": f"no such API path: {path}"}


@pytest.mark.django_db
def test_a_missing_event_in_the_api_stays_drf_json(client):
    response = client.get(f"{API}earthquake/20180220163351/initial/")
    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


# --- 500, in a live app whose database cannot be opened -----------------------------------------------------

@contextmanager
def web_without_database(workdir: Path) -> Iterator[str]:
    """The web app under gunicorn with its SQLite file in a folder that does not exist: every query fails."""
    env = web_env(workdir, REALTIME_WEB_SQLITE=str(workdir / "missing" / "web.sqlite3"))
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "inasafe_web.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--log-level", "warning"],
        env=env, cwd=WEB, stdout=subprocess.DEVNULL, stderr=(workdir / "gunicorn.log").open("w"),
    )
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(process)


@pytest.fixture(scope="module")
def broken(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("web-no-db")
    with web_without_database(workdir) as base:
        yield base, workdir


def test_500_page_without_a_database_in_english_and_indonesian(broken):
    base, workdir = broken
    english = requests.get(f"{base}/realtime/", timeout=30)
    assert english.status_code == 500
    assert f"<h1>{EN_500}</h1>" in english.text and '<html lang="en">' in english.text
    assert "/static/events/site.css" in english.text
    assert requests.get(f"{base}/static/events/site.css", timeout=30).status_code == 200
    for language in ({"Accept-Language": "id"}, {"Cookie": f"{settings.LANGUAGE_COOKIE_NAME}=id"}):
        indonesian = requests.get(f"{base}/realtime/flood/", headers=language, timeout=30)
        assert indonesian.status_code == 500
        assert f"<h1>{ID_500}</h1>" in indonesian.text and '<html lang="id">' in indonesian.text
        assert "Galat 500" in indonesian.text and EN_500 not in indonesian.text
    assert "unable to open database file" in (workdir / "gunicorn.log").read_text()  # logged, never shown
    assert "unable to open database" not in english.text and "Traceback" not in english.text


def test_api_500_without_a_database_stays_one_json_line(broken):
    base, _ = broken
    response = requests.get(f"{base}{API}earthquake/", headers={"Accept-Language": "id"}, timeout=30)
    assert response.status_code == 500
    assert response.headers["Content-Type"] == "application/json"
    assert response.json() == {"detail": "internal error; it has been logged"}


# --- what a reader sees ---------------------------------------------------------------------------------------

def test_error_pages_in_chromium(broken, tmp_path):
    """Screenshots of the 404 (a real app) and the 500 (the app without its database) in both languages."""
    from servers import web_app
    from test_browser import chromium_context

    base_500, _ = broken
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with web_app(tmp_path) as base_404:
        for language in ("en", "id"):
            with chromium_context() as context:  # an en-US browser; Indonesian as the language toggle sets it
                if language == "id":  # cookies ignore the port: one for both apps
                    context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": "id", "domain": "127.0.0.1",
                                          "path": "/"}])
                page = context.new_page()
                problems: list[str] = []
                page.on("console", lambda m: m.type == "error" and problems.append(m.text))
                failed: list[str] = []
                page.on("requestfailed", lambda r: failed.append(r.url))
                for code, base, heading in (("404", base_404, {"en": EN_404, "id": ID_404}),
                                            ("500", base_500, {"en": EN_500, "id": ID_500})):
                    response = page.goto(f"{base}/realtime/{'gone/' if code == '404' else ''}")
                    assert response.status == int(code)
                    assert page.locator("h1").inner_text() == heading[language]
                    assert page.locator("html").get_attribute("lang") == language
                    # site.css applied: the header has the brand colour (#0b4f6c)
                    colour = page.locator(".site-header").evaluate("e => getComputedStyle(e).backgroundColor")
                    assert colour == "rgb(11, 79, 108)"
                    page.screenshot(path=str(shots / f"error-{code}-{language}.png"), full_page=True)
                # 404s of the pages themselves are expected; anything else reported is a problem
                assert [p for p in problems if "404" not in p and "500" not in p] == [] and failed == []
    for name in ("error-404-en", "error-404-id", "error-500-en", "error-500-id"):
        assert (shots / f"{name}.png").stat().st_size > 5_000
    if os.environ.get("REALTIME_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["REALTIME_SCREENSHOTS"], dirs_exist_ok=True)
