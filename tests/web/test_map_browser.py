"""The maps in a real headless Chromium with the network off: only 127.0.0.1 (the app under gunicorn) answers.

Every request to any other host is refused and recorded, and the browser's resolver finds no other host,
so a tile server, CDN or web font would show up as an attempt (asserted none) or a broken map.
"""

from __future__ import annotations

import os
import shutil
from urllib.parse import urlsplit

import pytest
import requests

from conftest import GRID_INITIAL
from servers import ensure_web_catalog, web_app
from shake_products import mmi_output_zip, real_contours, whole_level_lines
from test_browser import CHROMIUM_ARGS, IMPACT, SHAKE_ID, USER, chromium_context

ensure_web_catalog()

OFFLINE_ARGS = [*CHROMIUM_ARGS, "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
SEA = {"shake_id": "20190102030405", "magnitude": 6.8, "time": "2019-01-02T10:04:05+07:00", "depth": 30,
       "location": {"type": "Point", "coordinates": [128.0, -6.5]}, "location_description": "Banda Sea",
       "impact": {**IMPACT, "fatalities": {**IMPACT["fatalities"], "alert": "orange", "range": "100 - 1000"},
                  "grid": {"lon_min": 126.0, "lat_min": -8.5, "lon_max": 130.0, "lat_max": -4.5, "max_mmi": 7.1}}}
NO_IMPACT = {"shake_id": "20170303030303", "magnitude": 5.6, "time": "2017-03-03T10:03:03+07:00", "depth": 50,
             "location": {"type": "Point", "coordinates": [100.1, -1.2]}, "location_description": "West Sumatra"}
OUTSIDE = {"shake_id": "20160404040404", "magnitude": 6.0, "time": "2016-04-04T11:04:04+07:00", "depth": 20,
           "location": {"type": "Point", "coordinates": [150.0, -5.0]}, "location_description": "New Britain"}


def detail(shake_id: str) -> str:
    return f"/realtime/earthquake/{shake_id}/initial/"


def seed_events(base: str, contours: dict) -> None:
    """Four events through the REST API, the Sulawesi one with its mmi_output zip, as the processor pushes them."""
    session = requests.Session()
    session.auth = USER
    sulawesi = {"shake_id": SHAKE_ID, "magnitude": 5.0, "time": "2018-02-20T16:29:28+07:00", "depth": 202,
                "location": {"type": "Point", "coordinates": [124.42, 1.34]},
                "location_description": "Minahassa Peninsula, Sulawesi"}
    for event in (sulawesi, SEA, NO_IMPACT, OUTSIDE):
        response = session.post(f"{base}/realtime/api/v1/earthquake/", json={"source_type": "initial", **event},
                                timeout=30)
        assert response.status_code == 201, response.text
    archive = mmi_output_zip({"impact.json": IMPACT, "contours.geojson": contours})
    response = session.put(f"{base}/realtime/api/v1/earthquake/{SHAKE_ID}/initial/", timeout=30,
                           files={"mmi_output": (f"{SHAKE_ID}-mmi-output.zip", archive)})
    assert response.status_code == 200, response.text
    response = session.put(f"{base}/realtime/api/v1/earthquake/{SHAKE_ID}/initial/", json={"impact": IMPACT},
                           timeout=30)
    assert response.status_code == 200, response.text


@pytest.fixture
def offline_browser():
    """A Chromium context that reaches 127.0.0.1 only; yields it and the list of other URLs it tried."""
    attempts: list[str] = []

    def only_local(route):
        url = urlsplit(route.request.url)
        if url.scheme in ("http", "https", "ws", "wss") and url.hostname != "127.0.0.1":
            attempts.append(route.request.url)
            route.abort("internetdisconnected")
        else:
            route.continue_()

    with chromium_context(OFFLINE_ARGS) as context:
        context.route("**/*", only_local)
        yield context, attempts


def centre(box: dict) -> tuple[float, float]:
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def test_maps_offline_markers_link_to_events_and_the_detail_map_draws_the_contours(tmp_path, fixtures, offline_browser):
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    context, attempts = offline_browser
    contours = real_contours(GRID_INITIAL)
    lines = whole_level_lines(contours)
    assert sum(lines.values()) >= 4  # the grid's MMI I to IV, at least one line each
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with web_app(tmp_path) as base:
        seed_events(base, contours)
        page = context.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))  # CSP too

        page.goto(f"{base}/realtime/")
        svg = page.locator("svg.overview-map")
        expect(svg).to_be_visible()
        markers = svg.locator("a.event-marker")
        expect(markers).to_have_count(3)  # New Britain (150 E) lies beyond the map
        hrefs = {markers.nth(k).get_attribute("href") for k in range(3)}
        assert hrefs == {detail(SHAKE_ID), detail(SEA["shake_id"]), detail(NO_IMPACT["shake_id"])}
        expect(page.locator(".map-legend")).to_contain_text("1 event on this page lies outside the map.")
        sea = svg.locator(f'a[href="{detail(SEA["shake_id"])}"]')
        expect(sea).to_have_class("event-marker marker-orange latest")  # the newest, PAGER orange
        expect(svg.locator(f'a[href="{detail(NO_IMPACT["shake_id"])}"]')).to_have_class("event-marker marker-none")
        sulawesi = svg.locator(f'a[href="{detail(SHAKE_ID)}"]')
        expect(sulawesi).to_have_class("event-marker marker-green")
        expect(sulawesi.locator("title")).to_have_text(
            "M 5.0 earthquake – Minahassa Peninsula, Sulawesi – 20 Feb 2018 17:29 WITA – PAGER alert: Green")
        # Where the browser drew it: 124.42 E is (124.42 - 94) / 48 of the way across 94-142 E,
        # 1.34 N is (7 - 1.34) / 19 of the way down from 7 N.
        frame = svg.bounding_box()
        x, y = centre(sulawesi.locator("circle").bounding_box())
        assert abs(x - (frame["x"] + frame["width"] * 30.42 / 48)) < 1.5
        assert abs(y - (frame["y"] + frame["height"] * 5.66 / 19)) < 1.5
        assert abs(frame["width"] / frame["height"] - 48 / 19) < 0.01
        land = svg.locator("path.land").get_attribute("d")
        assert land.count("M") > 100 and len(land) > 20_000  # the archipelago, hundreds of islands
        page.screenshot(path=str(shots / "map-list-en.png"), full_page=True)

        sulawesi.click()
        page.wait_for_url(f"{base}{detail(SHAKE_ID)}")
        event_map = page.locator("svg.event-map")
        expect(event_map).to_be_visible()
        expect(event_map.locator("path.contour")).to_have_count(sum(lines.values()))
        for roman, count in lines.items():
            expect(event_map.locator(f"path.contour.mmi-colour-{roman}")).to_have_count(count)
        expect(event_map.locator("polygon.epicentre")).to_be_visible()
        expect(event_map.locator("text.place-label").first).to_have_text("Manado")
        assert len(event_map.locator("path.land").get_attribute("d")) > 500  # Sulawesi's north arm
        expect(page.locator(".map-notes .mmi-legend li")).to_have_count(len(lines))
        page.screenshot(path=str(shots / "map-detail-en.png"), full_page=True)

        page.get_by_role("button", name="Bahasa Indonesia").click()
        page.wait_for_url(f"{base}{detail(SHAKE_ID)}")
        expect(page.locator("#event-map-title")).to_have_text("Peta guncangan")
        expect(page.locator(".map-notes")).to_contain_text("Garis guncangan yang sama (MMI), dari ShakeMap:")
        expect(event_map.locator("path.contour")).to_have_count(sum(lines.values()))
        page.screenshot(path=str(shots / "map-detail-id.png"), full_page=True)
        page.get_by_role("link", name="Gempabumi", exact=True).click()
        expect(page.locator(".map-legend")).to_contain_text("1 gempabumi di halaman ini berada di luar peta.")
        expect(page.locator(".map-legend")).to_contain_text("Belum diperkirakan")
        expect(sulawesi.locator("title")).to_have_text(
            "Gempabumi M 5,0 – Minahassa Peninsula, Sulawesi – 20 Feb 2018 17:29 WITA – Peringatan PAGER: Hijau")
        page.screenshot(path=str(shots / "map-list-id.png"), full_page=True)

        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(markers).to_have_count(3)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390  # the map scrolls, not the page
        page.screenshot(path=str(shots / "map-list-id-phone.png"), full_page=True)
        assert problems == []
        assert attempts == []  # the pages asked nothing of any other host
        # ... and the guard is live: a request elsewhere is caught and fails, as it would with no network.
        with pytest.raises(Exception, match="ERR_INTERNET_DISCONNECTED"):
            page.goto("https://tile.openstreetmap.org/5/26/16.png")
        assert attempts == ["https://tile.openstreetmap.org/5/26/16.png"]
    if os.environ.get("REALTIME_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["REALTIME_SCREENSHOTS"], dirs_exist_ok=True)
