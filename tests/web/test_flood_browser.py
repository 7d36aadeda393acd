"""The flood pages in a real headless Chromium, offline but for the app: the processor's own flood pipeline
analyses the PetaBencana fixture and renders its reports, the processor's push sends them to the app under
gunicorn, and the browser reads the list and the detail page in English and Indonesian, desktop and phone.

Screenshots go to the test's folder (and to $REALTIME_SCREENSHOTS when set): look at them.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime, timezone

import pytest
import requests

from conftest import FLOOD_SNAPSHOT
from servers import ensure_web_catalog, web_app
from test_browser import USER, chromium_context
from test_map_browser import OFFLINE_ARGS

ensure_web_catalog()

FLOOD_ID = "2017022105-6-rw"
PHONE = {"width": 360, "height": 780}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def flood_folder(jakarta_data, tmp_path_factory):
    """The processor's products for the fixture: impact.json, the snapshot, impact.geojson, a PDF per language."""
    from realtime.flood.snapshot import parse_snapshot
    from realtime.pipeline.flood import process_flood

    root = tmp_path_factory.mktemp("flood-run")
    raw = FLOOD_SNAPSHOT.read_bytes()
    result = process_flood(raw, parse_snapshot(raw, "PetaBencana.id"), FLOOD_ID, "PetaBencana.id", root / "floodmaps",
                           jakarta_data, root / "output", datetime(2017, 2, 21, 6, tzinfo=timezone.utc),
                           locales=["en", "id"])
    assert result.status == "done", result.message
    return result.folder


def report_text(pdf: bytes) -> str:
    """The words of a one-page report PDF, as pdfium reads them."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    try:
        return " ".join(document[0].get_textpage().get_text_range().split())
    finally:
        document.close()


def no_sideways_scroll(page) -> bool:
    """Neither the page nor any of its tables needs scrolling sideways (a phone's 360 px included)."""
    return page.evaluate("""() => document.documentElement.scrollWidth <= document.documentElement.clientWidth
        && [...document.querySelectorAll('.table-wrap')].every(wrap => wrap.scrollWidth <= wrap.clientWidth)""")


def test_flood_pages_in_chromium_both_languages_desktop_and_phone(tmp_path, flood_folder):
    from playwright.sync_api import expect

    from realtime.runtime.push import push_flood
    from realtime.runtime.rest import RealtimeRest

    expect.set_options(timeout=20_000)
    document = json.loads((flood_folder / "impact.json").read_text())
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with web_app(tmp_path, user=USER) as base, chromium_context(OFFLINE_ARGS) as browser:
        push_flood(RealtimeRest(f"{base}/realtime/api/v1/", *USER, timeout=60), flood_folder)
        page = browser.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))

        page.goto(f"{base}/realtime/flood/")
        row = page.locator("table.floods tbody tr").first
        expect(row.locator("td").nth(4)).to_have_text("158 + 3 to watch")
        page.screenshot(path=str(shots / "flood-list-en.png"), full_page=True)
        row.locator("a.event-link").click()
        page.wait_for_url(f"{base}/realtime/flood/{FLOOD_ID}/")
        expect(page.locator("h1")).to_have_text("Jakarta flood, 21 Feb 2017 12:00 WIB")
        expect(page.locator(".rw-count")).to_contain_text("158")
        expect(page.locator(".rw-count .note")).to_have_text("plus 3 RWs to watch (use caution)")
        assert page.locator("svg.flood-map path.rw-area").count() == 161
        assert page.locator("table.villages tbody tr").count() == len(document["villages"]) == 90
        box = page.locator("svg.flood-map").bounding_box()
        assert box["width"] > 500 and box["height"] > 400  # a readable map beside its legend
        for link in page.locator(".downloads a.pdf").all():
            answer = requests.get(base + link.get_attribute("href"), timeout=30)
            assert answer.status_code == 200, link.get_attribute("href")
        links = [a.get_attribute("href") for a in page.locator(".downloads a").all()]
        assert len(links) == 3  # the report PDF in EN and ID, and the snapshot
        assert requests.get(base + links[-1], timeout=30).content == FLOOD_SNAPSHOT.read_bytes()
        report = requests.get(base + links[0], timeout=30).content
        assert report_text(report).count("plus 3 RWs to watch (use caution)") == 1  # the report's own words
        assert "158" in report_text(report).split("Flooded RWs")[0].split()[-3:]  # the figure above its label
        page.screenshot(path=str(shots / "flood-detail-en.png"), full_page=True)

        page.set_viewport_size(PHONE)
        page.reload()
        assert no_sideways_scroll(page)
        page.screenshot(path=str(shots / "flood-detail-en-phone.png"), full_page=True)

        page.get_by_role("button", name="Bahasa Indonesia").click()
        page.wait_for_url(f"{base}/realtime/flood/{FLOOD_ID}/")
        expect(page.locator("h1")).to_have_text("Banjir Jakarta, 21 Feb 2017 12:00 WIB")
        expect(page.locator(".rw-count .note")).to_have_text("ditambah 3 RW berstatus waspada")
        assert no_sideways_scroll(page)
        page.screenshot(path=str(shots / "flood-detail-id-phone.png"), full_page=True)
        page.set_viewport_size(DESKTOP)
        page.reload()
        page.screenshot(path=str(shots / "flood-detail-id.png"), full_page=True)

        page.get_by_role("link", name="Semua banjir").click()
        page.wait_for_url(f"{base}/realtime/flood/")
        expect(page.locator("table.floods tbody tr").first.locator("td").nth(4)).to_have_text("158 + 3 waspada")
        page.screenshot(path=str(shots / "flood-list-id.png"), full_page=True)
        page.set_viewport_size(PHONE)
        page.reload()
        assert no_sideways_scroll(page)
        page.screenshot(path=str(shots / "flood-list-id-phone.png"), full_page=True)
        assert problems == []
    for shot in shots.iterdir():
        assert shot.stat().st_size > 10_000, shot.name
    if os.environ.get("REALTIME_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["REALTIME_SCREENSHOTS"], dirs_exist_ok=True)
