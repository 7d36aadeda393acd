"""The earthquake list in headless Chromium against the real app under gunicorn, seeded through the REST API:
filters and shortcuts in the URL (back button), one row per event, local times, a 50-character shake id at a
360 px phone width, the stable links; screenshots in English and Indonesian, desktop and phone."""

from __future__ import annotations

import os
import re
import shutil
from datetime import datetime, timedelta, timezone

import requests

from servers import ensure_web_catalog, web_app
from test_browser import (IMPACT, USER, chromium, loaded_width, report_files,  # noqa: F401 (chromium: fixture)
                          seed_through_the_api)

ensure_web_catalog()

LONG_ID = "20180220162928_999_-123456_-1234567_20180220162928"  # 50 characters, a valid corrected id
PHONE = {"width": 360, "height": 780}


def post_quake(session: requests.Session, base: str, place: tuple[str, float, str], **fields) -> None:
    impact = {**IMPACT, "fatalities": {**IMPACT["fatalities"], "alert": fields.pop("alert"),
                                       "range": fields.pop("range")},
              "location": {"place": place[0], "distance_km": place[1], "direction": place[2]}}
    quake = {"source_type": "initial", "depth": 10, "impact": impact, "location_description": "", **fields}
    response = session.post(f"{base}/realtime/api/v1/earthquake/", json=quake, timeout=30)
    assert response.status_code == 201, response.text


def seed(base: str) -> None:
    """Minahassa 2018 (initial, then a corrected version with a 50-char id), Padang and Papua last week."""
    seed_through_the_api(base)
    session = requests.Session()
    session.auth = USER
    now = datetime.now(timezone.utc).replace(microsecond=0)
    post_quake(session, base, ("Tomohon", 41.6, "W"), shake_id=LONG_ID, source_type="corrected", magnitude=5.1,
               alert="yellow", range="1 - 100", time="2018-02-20T16:29:28+07:00",
               location_description="Minahassa Peninsula, Sulawesi",
               location={"type": "Point", "coordinates": [124.42, 1.34]})
    post_quake(session, base, ("Padang", 62.0, "SW"), shake_id="20240101000001", magnitude=6.2, alert="orange",
               range="100 - 1,000", felt=True, time=(now - timedelta(days=2)).isoformat(),
               location_description="Southern Sumatra",
               location={"type": "Point", "coordinates": [100.35, -0.95]})
    post_quake(session, base, ("Jayapura", 35.2, "SE"), shake_id="20240101000002", magnitude=5.4, alert="red",
               range="1,000 - 10,000", time=(now - timedelta(days=3)).isoformat(),
               location_description="Papua, Indonesia",
               location={"type": "Point", "coordinates": [140.7, -2.5]})
    files = report_files()
    response = session.post(f"{base}/realtime/api/v1/earthquake-report/20240101000001/initial/",
                            data={"language": "en"}, files=files, timeout=30)
    assert response.status_code == 201, response.text


def no_sideways_scroll(page, width: int) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= width


def test_list_filters_times_long_ids_and_screenshots(tmp_path, chromium):
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)
    shots = tmp_path / "screenshots"
    shots.mkdir()
    print(f"\nscreenshots: {shots}")
    with web_app(tmp_path) as base:
        seed(base)
        page = chromium.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        # The one failure expected is the bad filter's 400 (and Chromium's console line about it).
        page.on("response", lambda r: r.status >= 400 and "days=0" not in r.url
                and problems.append(f"{r.status} {r.url}"))
        page.on("console", lambda m: m.type == "error" and "status of 400" not in m.text
                and problems.append(f"console: {m.text}"))

        page.goto(f"{base}/realtime/")
        rows = page.locator("table.earthquakes tbody tr")
        expect(rows).to_have_count(3)  # four versions, three events
        expect(rows.nth(0)).to_contain_text("Southern Sumatra")
        expect(rows.nth(0).locator("td.when")).to_contain_text(" WIB")  # 100.35° E
        expect(rows.nth(1).locator("td.when")).to_contain_text(" WIT")  # 140.7° E
        minahassa = rows.nth(2)
        expect(minahassa.locator("td.when")).to_contain_text("20 Feb 2018 17:29 WITA")
        expect(minahassa.locator("td.when")).to_contain_text("20 Feb 2018 09:29 UTC")
        expect(minahassa.locator("td.when .processed")).to_contain_text("processed")
        expect(minahassa.locator(".source")).to_have_text("Corrected")
        expect(minahassa.locator(".alert")).to_have_text("Yellow")
        expect(minahassa.locator("a.other-version")).to_have_text("initial report: M 5.0")
        # The contrast fix is what the browser applies: the orange badge has dark text.
        expect(rows.nth(0).locator(".alert")).to_have_css("color", "rgb(17, 17, 17)")
        assert loaded_width(rows.nth(0).locator("img.thumb")) == 160  # lazy: loaded before the screenshot
        page.screenshot(path=str(shots / "list-en-desktop.png"), full_page=True)

        # "Recent large" puts its filter in the URL; the back button returns to everything.
        page.get_by_role("link", name="Recent large (M ≥ 5, last 7 days)").click()
        page.wait_for_url(f"{base}/realtime/?min_magnitude=5&days=7")
        expect(rows).to_have_count(2)
        expect(page.locator(".shortcuts a.current")).to_have_text("Recent large (M ≥ 5, last 7 days)")
        page.go_back()
        page.wait_for_url(f"{base}/realtime/")
        expect(rows).to_have_count(3)

        # The form: at least red, felt unticked; the URL carries it and a reload keeps it.
        page.locator("select[name=min_alert]").select_option("red")
        page.get_by_role("button", name="Apply").click()
        page.wait_for_url(re.compile(r"/realtime/\?.*min_alert=red"))
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Papua, Indonesia")
        page.reload()
        expect(page.locator("select[name=min_alert]")).to_have_value("red")

        # A bad value: the reason, not an empty list.
        response = page.goto(f"{base}/realtime/?days=0")
        assert response.status == 400
        expect(page.locator(".filter-errors")).to_contain_text("Period: “0” is not a number of days above 0.")

        # A phone: the 50-character id wraps inside the card instead of widening the page.
        page.set_viewport_size(PHONE)
        page.goto(f"{base}/realtime/")
        code = page.locator(f"td.location code:text-is('{LONG_ID}')")
        expect(code).to_be_visible()
        box = code.bounding_box()
        line = page.evaluate("c => parseFloat(getComputedStyle(c).lineHeight) || 20", code.element_handle())
        assert box["x"] + box["width"] <= PHONE["width"] and box["height"] > 1.5 * line  # inside, on several lines
        assert no_sideways_scroll(page, PHONE["width"])
        thumbnail = rows.nth(0).locator("img.thumb")
        thumbnail.scroll_into_view_if_needed()
        assert loaded_width(thumbnail) == 160
        page.screenshot(path=str(shots / "list-en-phone.png"), full_page=True)

        # Indonesian, phone then desktop.
        page.get_by_role("button", name="Bahasa Indonesia").click()
        page.wait_for_url(f"{base}/realtime/")
        expect(page.locator("html")).to_have_attribute("lang", "id")
        expect(page.locator(".shortcuts")).to_contain_text("Besar terkini (M ≥ 5, 7 hari terakhir)")
        expect(rows.nth(2).locator("a.other-version")).to_have_text("laporan awal: M 5,0")
        expect(rows.nth(2).locator("td.when")).to_contain_text("20 Feb 2018 17:29 WITA")
        assert no_sideways_scroll(page, PHONE["width"])
        thumbnail = rows.nth(0).locator("img.thumb")
        thumbnail.scroll_into_view_if_needed()
        assert loaded_width(thumbnail) == 160
        page.screenshot(path=str(shots / "list-id-phone.png"), full_page=True)
        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()
        assert page.locator(".table-wrap").evaluate("wrap => wrap.scrollWidth <= wrap.clientWidth")
        assert loaded_width(rows.nth(0).locator("img.thumb")) == 160
        page.screenshot(path=str(shots / "list-id-desktop.png"), full_page=True)
        assert problems == []

        # The stable links, as an embedding page would fetch them.
        image = requests.get(f"{base}/realtime/latest/earthquake/en.png", timeout=10)
        assert image.history[0].status_code == 302 and "no-cache" in image.history[0].headers["Cache-Control"]
        assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
        report = requests.get(f"{base}/realtime/api/v1/earthquake-report/20240101000001/initial/en/", timeout=10)
        assert report.json()["report_image"].endswith(image.history[0].headers["Location"])  # the newest event's
        missing = requests.get(f"{base}/realtime/latest/earthquake/id.pdf", timeout=10)
        assert missing.status_code == 404 and "No earthquake report" in missing.text
    for name in ("list-en-desktop", "list-en-phone", "list-id-phone", "list-id-desktop"):
        assert (shots / f"{name}.png").stat().st_size > 10_000
    if os.environ.get("REALTIME_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["REALTIME_SCREENSHOTS"], dirs_exist_ok=True)
