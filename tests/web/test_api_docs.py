"""The API explains itself: a root page listing every endpoint, the OpenAPI schema with descriptions written for
API users, and Swagger UI served from our own /static/ (drf-spectacular-sidecar), nothing from a CDN."""

from __future__ import annotations

import os
import re
import shutil
from urllib.parse import urlsplit

import pytest
import requests

from servers import web_app

API = "/realtime/api/v1/"
# The endpoints of docs/reference earthquake.md §4, flood.md §5 and ash.md §2, written out here, not read from the code.
ENDPOINTS = {
    "is_logged_in/": ["GET"],
    "indicator/notify_shakemap_push/": ["POST"],
    "earthquake/": ["GET", "POST"],
    "earthquake/{shake_id}/": ["GET"],
    "earthquake/{shake_id}/{source_type}/": ["GET", "PUT", "PATCH", "DELETE"],
    "earthquake-report/{shake_id}/{source_type}/": ["GET", "POST"],
    "earthquake-report/{shake_id}/{source_type}/{language}/": ["GET", "PUT", "PATCH", "DELETE"],
    "flood/": ["GET", "POST"],
    "flood-events/": ["GET"],
    "flood/{event_id}/": ["GET", "PUT", "PATCH", "DELETE"],
    "flood/{event_id}/flood-data/": ["GET"],
    "flood-report/{event_id}/": ["GET", "POST"],
    "flood-report/{event_id}/{language}/": ["GET", "PUT", "PATCH", "DELETE"],
    # ash.md §2
    "ash/": ["GET", "POST"],
    "ash/{volcano_name}/{event_time}/": ["GET", "PUT", "PATCH", "DELETE"],
    "ash-report/{volcano_name}/{event_time}/": ["GET", "POST"],
    "ash-report/{volcano_name}/{event_time}/{language}/": ["GET", "PUT", "PATCH", "DELETE"],
    "ash-feature/": ["GET"],
    "volcano-list/": ["GET"],
}


# --- the root ---------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_root_lists_every_endpoint_with_a_description_and_links_the_docs(client):
    response = client.get(API, headers={"accept": "application/json"})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    root = response.json()
    assert root["name"] == "InaSAFE Realtime API" and root["version"] == "1"
    assert root["docs"] == "http://testserver/realtime/api/v1/docs/"
    assert root["schema"] == "http://testserver/realtime/api/v1/schema/"
    assert root["login"] == "http://testserver/realtime/api/v1/auth/login/"
    listed = {row["path"]: row for row in root["endpoints"]}
    assert {path: row["methods"] for path, row in listed.items()} == {API + p: m for p, m in ENDPOINTS.items()}
    for path, row in listed.items():
        assert 20 <= len(row["description"]) <= 200 and "\n" not in row["description"], path
        assert row["url"] == (None if "{" in path else f"http://testserver{path}")
    assert "magnitude" in listed[API + "earthquake/"]["description"]
    assert "downloads" in listed[API + "earthquake/{shake_id}/{source_type}/"]["description"]
    for link in (root["docs"], root["schema"], listed[API + "earthquake/"]["url"], listed[API + "flood/"]["url"]):
        assert client.get(link.removeprefix("http://testserver")).status_code == 200, link


@pytest.mark.django_db
def test_root_in_a_browser_is_the_browsable_api(client):
    response = client.get(API, headers={"accept": "text/html"})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "<title>InaSAFE Realtime API" in html
    assert "http://testserver/realtime/api/v1/docs/" in html and "earthquake-report/{shake_id}" in html


# --- the schema -------------------------------------------------------------------------------------------

@pytest.fixture
def schema(client, db) -> dict:
    response = client.get(f"{API}schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_description_tells_an_api_user_what_they_need(schema):
    description = " ".join(schema["info"]["description"].split())  # Markdown wraps its lines
    for needed in ("shake id", "`initial`", "`corrected`", "in_bbox=min_lon,min_lat,max_lon,max_lat",
                   "min_magnitude", "since_last_days", "Realtime REST User", "HTTP Basic", "X-CSRFToken",
                   "`impact`", "longitude, latitude", "100 items per page", "`shake_grid`", "grid.xml"):
        assert needed in description, needed
    order = [description.index(step) for step in ("1. `GET earthquake/", "2. `PUT earthquake/", "3. For each language",
                                                  "4. Last, `PUT")]
    assert order == sorted(order)  # the push order, impact last


def test_every_operation_has_a_summary_and_a_description(schema):
    operations = [(path, method, operation) for path, item in schema["paths"].items()
                  for method, operation in item.items()]
    assert len(operations) == sum(len(methods) for methods in ENDPOINTS.values())
    for path, method, operation in operations:
        assert operation.get("summary"), (path, method)
        assert len(operation.get("description", "")) >= 20, (path, method)
    summaries = {(path, method): operation["summary"] for path, method, operation in operations}
    assert summaries[(API + "earthquake/", "get")] == "List earthquakes, newest first"
    assert "processor" in summaries[(API + "earthquake/", "post")]
    filters = {parameter["name"]: parameter.get("description", "")
               for parameter in schema["paths"][API + "earthquake/"]["get"]["parameters"]}
    assert {"min_magnitude", "max_magnitude", "min_depth", "max_depth", "min_time", "max_time", "since_last_days",
            "since_last_hours", "location_description", "in_bbox", "page"} <= set(filters)
    for name, description in filters.items():
        assert len(description) >= 10, name  # each filter says what it takes
    assert "km" in filters["min_depth"] and "min_lon,min_lat,max_lon,max_lat" in filters["in_bbox"]


def test_schema_shows_shake_grid_as_an_upload_and_its_url_in_answers(schema):
    components = schema["components"]["schemas"]
    put = schema["paths"][API + "earthquake/{shake_id}/{source_type}/"]["put"]
    request_ref = put["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
    request = components[request_ref.rsplit("/", 1)[-1]]
    assert request["properties"]["shake_grid"]["format"] == "binary"
    answer = components["Earthquake"]["properties"]
    assert answer["shake_grid"]["format"] == "uri" and answer["shake_grid_download_url"]["format"] == "uri"
    assert "grid.xml" in answer["shake_grid"]["description"]


# --- Swagger UI -------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_swagger_page_loads_its_assets_from_our_static_and_runs_no_inline_script(client):
    response = client.get(f"{API}docs/")
    assert response.status_code == 200
    html = response.content.decode()
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "http" not in policy
    sources = re.findall(r'<script src="([^"]+)"', html) + re.findall(r'<link[^>]+href="([^"]+)"', html)
    assert "<script>" not in html  # an inline script would be blocked by script-src 'self'
    assert len(sources) == 5  # bundle, standalone preset, the start-up script, the CSS and the favicon
    for source in sources:
        assert not urlsplit(source).netloc, source  # no other host: no CDN
        assert source.startswith("/static/drf_spectacular_sidecar/swagger-ui-dist/") or source == f"{API}docs/?script="
        asset = client.get(source)
        assert asset.status_code == 200, source
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert len(body) > 100, source
    script = client.get(f"{API}docs/?script=").content.decode()
    assert 'url: "/realtime/api/v1/schema/"' in script and '"validatorUrl": null' in script


def test_swagger_page_in_an_offline_chromium(tmp_path):
    """The real page in headless Chromium with every request off 127.0.0.1 refused: it renders every operation."""
    from playwright.sync_api import expect

    from test_browser import chromium_context

    shots = tmp_path / "screenshots"
    shots.mkdir()
    with web_app(tmp_path) as base, chromium_context() as context:
        schema = requests.get(f"{base}{API}schema/?format=json", timeout=30).json()
        operations = sum(len(item) for item in schema["paths"].values())
        outside: list[str] = []

        def only_ours(route):
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", only_ours)
        page = context.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("console", lambda m: m.type == "error" and problems.append(m.text))
        page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
        loaded: list[str] = []
        page.on("requestfinished", lambda r: loaded.append(urlsplit(r.url).path))
        page.goto(f"{base}{API}docs/")
        expect(page.locator(".opblock")).to_have_count(operations, timeout=30_000)
        expect(page.locator(".info .title")).to_contain_text("InaSAFE Realtime API")
        expect(page.locator(".info")).to_contain_text("Ids and versions")
        expect(page.locator(".opblock-summary-description").first).not_to_be_empty()
        expect(page.get_by_text("List earthquakes, newest first")).to_be_visible()
        page.screenshot(path=str(shots / "api-docs.png"), full_page=False)
        page.locator(".opblock-summary", has_text="List earthquakes, newest first").click()
        expect(page.locator(".parameters")).to_contain_text("in_bbox")
        page.screenshot(path=str(shots / "api-docs-earthquake-list.png"), full_page=False)
        page.goto(f"{base}{API}")
        expect(page.locator("body")).to_contain_text("earthquake-report/{shake_id}/{source_type}/")
        page.screenshot(path=str(shots / "api-root.png"), full_page=False)
    assert outside == [] and problems == []
    assert f"{API}schema/" in loaded
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in loaded
    if os.environ.get("REALTIME_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["REALTIME_SCREENSHOTS"], dirs_exist_ok=True)
