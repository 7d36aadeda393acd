"""The pages in a real headless Chromium, against the real app under gunicorn, holding the processor's real
products of the Minahassa grid (the quake_initial fixture) pushed by the processor's own push code."""

from __future__ import annotations

import io
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from servers import ensure_web_catalog, web_app


ensure_web_catalog()

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
USER = ("test@realtime.inasafe.org", "t3st-pass")
SHAKE_ID = "20180220163351"

# Hand-written, trimmed to what the pages read, for the browser tests of other modules that need particular
# cases (alerts, several events); this module renders the real product.
IMPACT = {  # the processor's impact.json for this event (ShakeImpact.as_dict)
    "schema_version": 1,
    "shake_id": SHAKE_ID,
    "source_type": "initial",
    "event": {"magnitude": 5.0, "depth_km": 202.0, "latitude": 1.34, "longitude": 124.42,
              "time": "2018-02-20T16:29:28+07:00", "timezone": "Asia/Jakarta",
              "description": "Minahassa Peninsula, Sulawesi"},
    "grid": {"lon_min": 122.42, "lat_min": -0.66, "lon_max": 126.42, "lat_max": 3.34, "nlon": 161, "nlat": 161,
             "max_mmi": 5.27},
    "exposure": {"I": 0.0, "II": 288286.14, "III": 822426.08, "IV": 536.78, "V": 0.0, "VI": 0.0, "VII": 0.0,
                 "VIII": 0.0, "IX": 0.0, "X": 0.0},
    "exposure_total": 1111249.0,
    "fatalities": {"model": "itb_bayesian", "name": "ITB Bayesian", "total": 0.0, "rounded": 0,
                   "range": "0 - 100", "alert": "green"},
    "places": [
        {"name": "Manado", "population": 458582, "mmi": 3.13, "distance_km": 50.3, "bearing_deg": 71.8,
         "direction": "ENE", "longitude": 124.84892, "latitude": 1.48218},
        {"name": "Bitung", "population": 225134, "mmi": 2.57, "distance_km": 79.6, "bearing_deg": 82.0,
         "direction": "E", "longitude": 125.12824, "latitude": 1.44059},
        {"name": "Kotamobagu", "population": 121756, "mmi": 2.76, "distance_km": 67.2, "bearing_deg": 190.3,
         "direction": "S", "longitude": 124.31208, "latitude": 0.74194},
    ],
    "location": {"place": "Tomohon", "distance_km": 42.8, "bearing_deg": 273.4, "direction": "W",
                 "text": "Located 43 km W of Tomohon"},
}


def report_files() -> dict[str, tuple[str, bytes, str]]:
    """A real PNG map image, its thumbnail and a one-page PDF, drawn with Pillow."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (800, 560), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, 800, 60), fill="#0b4f6c")
    draw.text((20, 22), "Earthquake impact report - M 5.0 Minahassa Peninsula, Sulawesi", fill="white")
    for k, colour in enumerate(("#209fff", "#00cfff", "#55ffff", "#aaffff")):
        radius = 220 - 50 * k
        draw.ellipse((400 - radius, 310 - radius, 400 + radius, 310 + radius), fill=colour)
    draw.regular_polygon((400, 310, 12), 5, fill="red")
    png, thumb, pdf = io.BytesIO(), io.BytesIO(), io.BytesIO()
    image.save(png, "PNG")
    image.resize((160, 112)).save(thumb, "PNG")
    image.save(pdf, "PDF")
    stem = f"{SHAKE_ID}-initial-en"
    return {
        "report_pdf": (f"{stem}.pdf", pdf.getvalue(), "application/pdf"),
        "report_image": (f"{stem}.png", png.getvalue(), "image/png"),
        "report_thumbnail": (f"{stem}-thumbnail.png", thumb.getvalue(), "image/png"),
    }


def seed_through_the_api(base: str) -> None:
    """The hand-written IMPACT and one English report, for the other modules' browser tests."""
    session = requests.Session()
    session.auth = USER
    quake = {
        "shake_id": SHAKE_ID, "source_type": "initial", "magnitude": 5.0, "time": "2018-02-20T16:29:28+07:00",
        "depth": 202, "location": {"type": "Point", "coordinates": [124.42, 1.34]},
        "location_description": "Minahassa Peninsula, Sulawesi", "impact": IMPACT,
    }
    response = session.post(f"{base}/realtime/api/v1/earthquake/", json=quake, timeout=30)
    assert response.status_code == 201, response.text
    response = session.post(f"{base}/realtime/api/v1/earthquake-report/{SHAKE_ID}/initial/",
                            data={"language": "en"}, files=report_files(), timeout=30)
    assert response.status_code == 201, response.text


def push_products(base: str, products) -> None:
    """The processor's products, pushed by its own push code (event, layers zip, grid, reports, impact last)."""
    from realtime.runtime.push import push_earthquake
    from realtime.runtime.rest import RealtimeRest

    push_earthquake(RealtimeRest(f"{base}/realtime/api/v1/", *USER, timeout=60), products.folder)


def png_width(path: Path) -> int:
    from PIL import Image

    with Image.open(path) as image:
        return image.width


@contextmanager
def chromium_context(args: list[str] = CHROMIUM_ARGS):
    """A desktop-sized browser context in a headless Chromium launched with args; skips without one."""
    if not CHROMIUM.exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (make test installs the Debian chromium package)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install '.[test]')")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=args)
        try:
            yield browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
        finally:
            browser.close()


@pytest.fixture
def chromium():
    with chromium_context() as context:
        yield context


# An image that is visible may still be loading (lazy images start late on a loaded machine):
# wait for its load or error event, then read the decoded width (0 when it failed to decode).
WAIT_FOR_IMAGE = """img => img.complete ? img.naturalWidth : new Promise(done => {
    img.addEventListener("load", () => done(img.naturalWidth));
    img.addEventListener("error", () => done(0));
})"""


def loaded_width(image) -> int:
    """The decoded width of an <img>, once the browser has finished with it."""
    return image.evaluate(WAIT_FOR_IMAGE)


def test_pages_in_chromium_with_the_language_toggle(tmp_path, chromium, quake_initial):
    from playwright.sync_api import expect

    expect.set_options(timeout=20_000)  # a loaded CI machine: waits are bounds, not measurements
    shots = tmp_path / "screenshots"
    shots.mkdir()
    with web_app(tmp_path) as base:
        push_products(base, quake_initial)
        page = chromium.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("response", lambda r: r.status >= 400 and problems.append(f"{r.status} {r.url}"))
        # The Content-Security-Policy allows no inline script or style: a violation is a console error.
        page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))

        # The list, in English.
        page.goto(f"{base}/realtime/")
        table = page.locator("table.earthquakes")
        expect(table).to_be_visible()
        row = table.locator("tbody tr").first
        expect(row.locator("td.magnitude")).to_have_text("5.0")
        expect(row).to_contain_text("20 Feb 2018 17:29 WITA")  # 124.42° E: WITA
        expect(row).to_contain_text("Minahassa Peninsula, Sulawesi")
        expect(row).to_contain_text("Located 43 km W of Tomohon")
        expect(row.locator(".alert")).to_have_text("Green")
        assert row.locator(".alert").inner_text() == "GREEN"  # as shown: site.css upper-cases the badge
        expect(row.locator(".alert")).to_have_css("background-color", "rgb(23, 130, 59)")  # site.css is served (#17823b)
        expect(row.locator(".mmi")).to_have_text("V")
        expect(row.locator("a.pdf")).to_have_text(["PDF EN", "PDF ID"])
        expect(page.locator(".processor-status")).to_contain_text("Processor status unknown")  # no check ran
        thumbnail = row.locator("img.thumb")
        expect(thumbnail).to_be_visible()
        assert loaded_width(thumbnail) == png_width(quake_initial.folder / f"{SHAKE_ID}-thumb-en.png")
        page.screenshot(path=str(shots / "earthquake-list-en.png"), full_page=True)

        # The detail page, reached by its link.
        row.locator("td.location a").click()
        page.wait_for_url(f"{base}/realtime/earthquake/{SHAKE_ID}/initial/")
        expect(page.locator("h1")).to_have_text("M 5.0 earthquake – Minahassa Peninsula, Sulawesi")
        expect(page.locator(".fatality-range")).to_have_text("0 - 100")
        expect(page.locator(".fatalities .alert")).to_have_text("Green")
        expect(page.locator("table.exposure tr.mmi-III td.num")).to_have_text("823,000")
        expect(page.locator("table.places")).to_contain_text("Manado")
        image = page.locator(".report-image img")
        expect(image).to_be_visible()
        assert loaded_width(image) == png_width(quake_initial.report("en", "png"))
        pdf_link = page.locator('.downloads a.pdf[hreflang="en"]')
        expect(pdf_link).to_have_text("Report PDF (EN)")
        pdf = requests.get(base + pdf_link.get_attribute("href"), timeout=10)
        assert pdf.status_code == 200 and pdf.content == quake_initial.report("en").read_bytes()
        page.screenshot(path=str(shots / "earthquake-detail-en.png"), full_page=True)

        # Toggle to Indonesian: set_language posts back to the same page.
        page.get_by_role("button", name="Bahasa Indonesia").click()
        page.wait_for_url(f"{base}/realtime/earthquake/{SHAKE_ID}/initial/")
        expect(page.locator("html")).to_have_attribute("lang", "id")
        expect(page.locator("h1")).to_have_text("Gempabumi M 5,0 – Minahassa Peninsula, Sulawesi")
        expect(page.locator(".main-nav")).to_contain_text("Gempabumi")
        expect(page.locator(".main-nav")).to_contain_text("Banjir")
        expect(page.locator(".fatalities h2")).to_have_text("Perkiraan korban jiwa")
        expect(page.locator(".fatalities .alert")).to_have_text("Hijau")
        expect(page.locator("table.exposure tr.mmi-III td.num")).to_have_text("823.000")
        expect(page.locator(".processor-status")).to_contain_text("Status prosesor belum diketahui")
        page.screenshot(path=str(shots / "earthquake-detail-id.png"), full_page=True)

        page.get_by_role("link", name="Gempabumi", exact=True).click()
        expect(page.locator("table.earthquakes thead")).to_contain_text("Magnitudo")
        expect(page.locator("table.earthquakes thead")).to_contain_text("Kedalaman")
        expect(page.locator("table.earthquakes thead")).to_contain_text("Lokasi")
        expect(page.locator("table.earthquakes tbody tr").first).to_contain_text("Terletak 43 km arah B dari Tomohon")
        # The longer Indonesian headers still fit a desktop window: no sideways scrolling to reach the reports.
        assert page.locator(".table-wrap").evaluate("wrap => wrap.scrollWidth <= wrap.clientWidth")
        # The list's filters sit above the map now: scroll down (only down) to the table, then the row's last
        # cell is in the window without scrolling sideways.
        page.evaluate("window.scrollTo(0, document.querySelector('table.earthquakes').getBoundingClientRect().top)")
        expect(page.locator("table.earthquakes a.pdf").last).to_be_in_viewport()
        page.screenshot(path=str(shots / "earthquake-list-id.png"), full_page=True)

        # A phone: the table becomes labelled cards.
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()
        expect(page.locator("table.earthquakes tbody td.magnitude")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.screenshot(path=str(shots / "earthquake-list-id-phone.png"), full_page=True)

        page.get_by_role("link", name="Banjir", exact=True).click()
        page.wait_for_url(f"{base}/realtime/flood/")
        expect(page.locator("h1")).to_have_text("Banjir")
        expect(page.locator("main")).to_contain_text("Belum ada banjir.")

        page.get_by_role("button", name="English").click()
        page.wait_for_url(f"{base}/realtime/flood/")
        expect(page.locator("main")).to_contain_text("No floods yet.")
        expect(page.locator(".main-nav")).to_contain_text("Earthquakes")
        assert problems == []
    for name in ("earthquake-list-en", "earthquake-detail-en", "earthquake-detail-id", "earthquake-list-id",
                 "earthquake-list-id-phone"):
        assert (shots / f"{name}.png").stat().st_size > 10_000
    if os.environ.get("REALTIME_SCREENSHOTS"):
        shutil.copytree(shots, os.environ["REALTIME_SCREENSHOTS"], dirs_exist_ok=True)
