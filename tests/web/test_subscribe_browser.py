"""The subscription pages in a real headless Chromium, against the app under gunicorn and a real SMTP server.

A visitor subscribes (errors first), gets the confirmation mail, confirms on the page, and unsubscribes, in
English and then in Indonesian through the site's language toggle; every page is screenshotted.
"""

from __future__ import annotations

import re

import pytest

from servers import ensure_web_catalog, free_port, web_app
from smtp_inbox import smtp_server
from test_browser import chromium_context

ensure_web_catalog()

SITE = "https://realtime.example.org"


@pytest.fixture
def chromium():
    with chromium_context() as context:
        yield context


def confirm_path(inbox, address: str) -> str:
    [message] = inbox.to(address)
    text = message.get_body(preferencelist=("plain",)).get_content()
    return re.search(re.escape(SITE) + r"(/realtime/subscribe/confirm/\S+)", text)[1]


def walk_through(page, base: str, inbox, shots, language: str, address: str, words: dict) -> None:
    page.goto(f"{base}/realtime/subscribe/")
    assert page.locator("h1").inner_text() == words["title"]
    page.screenshot(path=str(shots / f"subscribe-{language}.png"), full_page=True)

    page.fill("#id_email", "not-an-address")
    page.uncheck("input[name=hazards][value=earthquake]")
    page.fill("#id_bbox_west", "95")
    page.click("button[type=submit].button")
    errors = page.locator(".field-error, .form-errors").all_inner_texts()
    assert words["no_hazard"] in errors and words["bbox"] in " ".join(errors) and len(errors) == 3, errors
    page.screenshot(path=str(shots / f"subscribe-errors-{language}.png"), full_page=True)

    page.fill("#id_email", address)
    page.check("input[name=hazards][value=earthquake]")
    page.check("input[name=hazards][value=flood]")
    page.fill("#id_bbox_west", "")
    page.select_option("#id_min_alert", "orange")
    page.click("button[type=submit].button")
    assert page.url == f"{base}/realtime/subscribe/sent/"
    assert page.locator("h1").inner_text() == words["sent"]
    page.screenshot(path=str(shots / f"subscribe-sent-{language}.png"), full_page=True)

    path = confirm_path(inbox, address)
    page.goto(base + path)
    assert page.locator("h1").inner_text() == words["confirm"]
    page.screenshot(path=str(shots / f"subscribe-confirm-{language}.png"), full_page=True)
    page.click("button[type=submit].button")
    assert page.locator("h1").inner_text() == words["confirmed"]
    page.screenshot(path=str(shots / f"subscribe-confirmed-{language}.png"), full_page=True)

    token = path.split("/")[4]
    page.goto(f"{base}/realtime/subscribe/unsubscribe/{token}/")
    assert page.locator("h1").inner_text() == words["unsubscribe"]
    page.screenshot(path=str(shots / f"unsubscribe-{language}.png"), full_page=True)
    page.click("button[type=submit].button")
    assert page.locator("h1").inner_text() == words["unsubscribed"]
    page.screenshot(path=str(shots / f"unsubscribed-{language}.png"), full_page=True)


ENGLISH = {"title": "Email alerts", "no_hazard": "Choose at least one hazard.",
           "bbox": "Give all four edges of the area", "sent": "Check your inbox",
           "confirm": "Confirm your subscription", "confirmed": "Subscription confirmed", "unsubscribe": "Unsubscribe", "unsubscribed": "You are unsubscribed"}
INDONESIAN = {"title": "Peringatan lewat email", "no_hazard": "Pilih setidaknya satu bahaya.",
              "bbox": "Isi keempat batas wilayah", "sent": "Periksa kotak masuk Anda",
              "confirm": "Konfirmasi langganan Anda", "confirmed": "Langganan dikonfirmasi",
              "unsubscribe": "Berhenti berlangganan", "unsubscribed": "Anda telah berhenti berlangganan"}


def test_subscribe_confirm_unsubscribe_in_chromium_in_both_languages(tmp_path, chromium):
    shots = tmp_path / "screenshots"
    shots.mkdir()
    smtp_port = free_port()
    extra = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port), "REALTIME_SITE_URL": SITE}
    with smtp_server(smtp_port) as inbox, web_app(tmp_path, **extra) as base:
        page = chromium.new_page()
        page.set_default_timeout(30_000)
        problems: list[str] = []
        page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.status} {r.url}"))
        page.on("console", lambda m: m.type == "error" and "400" not in m.text and problems.append(m.text))
        walk_through(page, base, inbox, shots, "en", "reader@example.org", ENGLISH)

        page.goto(f"{base}/realtime/subscribe/")
        page.click("button[lang=id]")  # the site's language toggle
        walk_through(page, base, inbox, shots, "id", "pembaca@example.org", INDONESIAN)
        [message] = inbox.to("pembaca@example.org")
        assert message["Subject"].strip() == "Konfirmasi peringatan InaSAFE Realtime Anda"
        assert problems == []
