"""The ash pages in a real headless Chromium, offline but for the app: the processor's ash report renders the
PDFs and PNGs of a Merapi forecast (test_ash_report's impact.json), the processor's push_ash sends the version
to the app under gunicorn over its REST API, and the browser reads the list and the detail page in English and
Indonesian, desktop and phone.

Screenshots go to the test's folder (and to $REALTIME_SCREENSHOTS when set): look at them.
"""

from __future__ import annotations

import json
import os
import shutil

import pytest
import requests

from servers import ensure_web_catalog, web_app
from test_browser import USER, chromium_context
from test_flood_browser import DESKTOP, PHONE, no_sideways_scroll
from test_map_browser import OFFLINE_ARGS

ensure_web_catalog()

@pytest.fixture(scope="module")
def ash_folder(tmp_path_factory):
    """The event folder as the processor leaves it: impact.json, class polygons, hazard GeoTIFF, reports."""
    from ash_rasters import lonlat_hazard
    from realtime.reporting.ash_report import render_ash_reports
    from test_ash_report import ASH_ID, NOW, TEMPLATES, analysis_data, ash_document, write_event_folder

    document = ash_document()
    folder = write_event_folder(tmp_path_factory.mktemp("ash-run") / ASH_ID, document)
    lonlat_hazard(folder / document["products"]["hazard"])
    data = analysis_data(tmp_path_factory.mktemp("analysis-data"))
    document["products"]["reports"] = render_ash_reports(document, folder, ["en", "id"], data,
                                                         templates_dir=TEMPLATES, now=NOW)
    (folder / "impact.json").write_text(json.dumps(document), encoding="utf-8")
    return folder


def test_ash_pages_in_chromium_both_languages_desktop_and_phone(tmp_path, ash_folder):
    from playwright.sync_api import expect

    from realtime.runtime.push import push_ash
    from realtime.runtime.rest import RealtimeRest

    expect.set_options(timeout=20_000)
    ash_id = ash_folder.name
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with web_app(tmp_path, user=USER) as base, chromium_context(OFFLINE_ARGS) as browser:
        push_ash(RealtimeRest(f"{base}/realtime/api/v1/", *USER, timeout=60), ash_folder)
        page = browser.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))

        page.goto(f"{base}/realtime/")
        page.get_by_role("link", name="Volcanic ash", exact=True).first.click()
        page.wait_for_url(f"{base}/realtime/ash/")
        row = page.locator("table.ash-events tbody tr").first
        # 123.4 + 4,567 + 150,001 + 0 + 999.5 = 155,690.9 people, rounded up to 156,000; 999.5 displaced: 1,000
        expect(row.locator("td").nth(0)).to_contain_text("21 Feb 2017 19:04 WIB")
        expect(row.locator("td").nth(0)).to_contain_text("21 Feb 2017 12:04 UTC")
        expect(row.locator("td").nth(2)).to_have_text("Siaga")
        expect(row.locator("td").nth(3)).to_have_text("156,000")
        expect(row.locator("td").nth(4)).to_have_text("1,000")
        expect(row.locator("td").nth(5)).to_have_text("31.4 cm")
        page.screenshot(path=str(shots / "ash-list-en.png"), full_page=True)

        row.locator("a.event-link").click()
        page.wait_for_url(f"{base}/realtime/ash/{ash_id}/")
        expect(page.locator("h1")).to_have_text("Volcanic ash fall from Merapi")
        assert page.locator("svg.ash-map .ash-dot").count() == 3  # two places and the airport
        assert page.locator("svg.ash-map polygon.volcano").count() == 1
        expect(page.locator("table.ash-classes tfoot")).to_contain_text("156,000")
        expect(page.locator("table.ash-places").first).to_contain_text("<b>Kota</b> & $\\frac$ Dukuh")
        box = page.locator("svg.ash-map").bounding_box()
        assert box["width"] > 500 and box["height"] > 300
        links = [a.get_attribute("href") for a in page.locator(".downloads a.pdf").all()]
        assert len(links) == 4  # the report PDF and PNG in EN and ID
        for link in links:
            assert requests.get(base + link, timeout=30).status_code == 200, link
        assert requests.get(base + links[0], timeout=30).content == \
            (ash_folder / json.loads((ash_folder / "impact.json").read_text())["products"]["reports"]["en"]["pdf"]
             ).read_bytes()
        page.screenshot(path=str(shots / "ash-detail-en.png"), full_page=True)

        page.set_viewport_size(PHONE)
        page.reload()
        page.screenshot(path=str(shots / "ash-detail-en-phone.png"), full_page=True)
        assert no_sideways_scroll(page), "ash-detail-en-phone"

        page.get_by_role("button", name="Bahasa Indonesia").click()
        page.wait_for_url(f"{base}/realtime/ash/{ash_id}/")
        expect(page.locator("h1")).to_have_text("Hujan abu vulkanik dari Merapi")
        expect(page.locator("table.ash-classes tfoot")).to_contain_text("156.000")
        page.screenshot(path=str(shots / "ash-detail-id-phone.png"), full_page=True)
        assert no_sideways_scroll(page), "ash-detail-id-phone"
        page.set_viewport_size(DESKTOP)
        page.reload()
        page.screenshot(path=str(shots / "ash-detail-id.png"), full_page=True)

        page.get_by_role("link", name="Semua prakiraan hujan abu").click()
        page.wait_for_url(f"{base}/realtime/ash/")
        expect(page.locator("table.ash-events tbody tr").first.locator("td").nth(3)).to_have_text("156.000")
        page.screenshot(path=str(shots / "ash-list-id.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.reload()
        page.screenshot(path=str(shots / "ash-list-id-phone.png"), full_page=True)
        assert no_sideways_scroll(page), "ash-list-id-phone"
        assert problems == []
    for shot in shots.iterdir():
        assert shot.stat().st_size > 10_000, shot.name
    if os.environ.get("REALTIME_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["REALTIME_SCREENSHOTS"], dirs_exist_ok=True)
