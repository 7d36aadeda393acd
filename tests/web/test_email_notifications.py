"""Email to subscribers through a real SMTP server (aiosmtpd on 127.0.0.1), and the subscription pages.

Versions are seeded as the push leaves them (published_at stamped) and handed to the dispatch code the worker
runs (events.dispatch, events.tasks); what arrives at the SMTP server is parsed back with the standard library.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import threading
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from events import dispatch, notify_email
from events.models import Delivery, Earthquake, EarthquakeReport, Flood, FloodReport, Subscriber
from events.tasks import plan_and_send, send_delivery, sweep_notifications
from inasafe_web.celery import app
from impact_documents import flood_document, quake_document
from servers import WEB, ensure_web_catalog, free_port, web_env
from aiosmtpd.controller import Controller
from smtp_inbox import Inbox, attachments, smtp_server, subject

ensure_web_catalog()

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
       b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def smtp_port(settings, tmp_path):
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://realtime.example.org"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.DEFAULT_FROM_EMAIL = "InaSAFE Realtime <realtime@example.org>"
    cache.clear()  # the confirmation cool-down lives in the cache
    return port


@pytest.fixture
def inbox(smtp_port):
    with smtp_server(smtp_port) as handler:
        yield handler


@pytest.fixture
def eager():
    """Tasks run in this process (no broker): plan_and_send and sweep call send_delivery in line."""
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False




def origin(hours_ago: float = 1.0) -> datetime:
    now = timezone.now().replace(second=0, microsecond=0)
    return now - timedelta(hours=hours_ago)


def impact(alert: str = "red", fatalities: str = "1,000 - 10,000", zone: str = "Asia/Jakarta") -> dict:
    """A whole impact.json (tests/web/impact_documents.py) for a Padang earthquake with this alert and range."""
    document = quake_document(
        alert, fatalities, exposure={"VI": 1500000.0, "VII": 250000.0, "VIII": 12345.0},
        event={"magnitude": 7.6, "depth_km": 10.0, "latitude": -0.95, "longitude": 99.68, "timezone": zone},
        grid={"max_mmi": 8.3},
        location={"place": "Padang", "distance_km": 91.3, "direction": "W", "text": "Located 91 km W of Padang"})
    document["fatalities"]["total"] = 2500.0
    return document


def pdf(language: str, version: str) -> bytes:
    return f"%PDF-1.4\n% report {version} {language}\n%%EOF\n".encode()


def quake(source_type: str = "initial", when: datetime | None = None, magnitude: float = 7.6,
          latitude: float = -0.95, longitude: float = 99.68, **impact_args) -> Earthquake:
    """A published version with en and id reports, as the push leaves it."""
    when = when or origin()
    stamp = when.strftime("%Y%m%d%H%M%S")  # a corrected ShakeMap's id as BMKG names it: stamp_mag_lat_lon_stamp
    shake_id = stamp if source_type == "initial" else f"{stamp}_76_-00950_0099680_{stamp}"
    event = Earthquake.objects.create(
        shake_id=shake_id, source_type=source_type, magnitude=magnitude, time=when, depth=10.0,
        latitude=latitude, longitude=longitude, location_description="Southern Sumatra",
        impact=impact(**impact_args), published_at=timezone.now())
    for language in ("en", "id"):
        stem = f"{shake_id}-{source_type}-{language}"
        EarthquakeReport.objects.create(
            earthquake=event, language=language,
            report_pdf=SimpleUploadedFile(f"{stem}.pdf", pdf(language, stem), content_type="application/pdf"),
            report_image=SimpleUploadedFile(f"{stem}.png", PNG, content_type="image/png"),
            report_thumbnail=SimpleUploadedFile(f"{stem}-t.png", PNG, content_type="image/png"))
    return event


def subscriber(address: str, language: str = "en", **fields) -> Subscriber:
    return Subscriber.objects.create(email=address, language=language, token=f"tok-{address}-{language}",
                                     confirmed_at=timezone.now(), **fields)


def deliver(kind: str, pk: int) -> list[int]:
    """What the worker does for a freshly published version: plan, then one attempt per delivery."""
    ids = dispatch.plan(kind, pk)
    for delivery_id in ids:
        dispatch.attempt(delivery_id)
    return ids


def body(message, subtype: str) -> str:
    return message.get_body(preferencelist=(subtype,)).get_content()


# --- the message ----------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_initial_version_mail_in_each_subscribers_language(inbox):
    when = origin()
    english, indonesian = subscriber("en@example.org", "en"), subscriber("id@example.org", "id")
    event = quake(when=when)
    assert len(deliver("earthquake", event.pk)) == 2

    [message] = inbox.to("en@example.org")
    assert subject(message) == "RED alert – M 7.6 – 91 km W of Padang"
    assert message["From"] == "InaSAFE Realtime <realtime@example.org>"
    assert message.get_content_type() == "multipart/mixed"
    text, html = body(message, "plain"), body(message, "html")
    wib, utc = when + timedelta(hours=7), when
    assert f"{wib:%H:%M} WIB" in text and f"{utc:%H:%M} UTC" in text
    for expected in ("Magnitude: 7.6", "Depth: 10 km", "91 km W of Padang", "Alert level: RED",
                     "Estimated fatalities: 1,000 - 10,000", "Maximum shaking: MMI VIII",
                     # people rounded as the report rounds them: up to 1,000 above 100,000, else to 100
                     "1,500,000", "250,000", "12,400",
                     f"https://realtime.example.org/realtime/earthquake/{event.shake_id}/initial/",
                     "https://realtime.example.org/realtime/feeds/earthquakes.atom",
                     f"https://realtime.example.org/realtime/subscribe/unsubscribe/{english.token}/"):
        assert expected in text, expected
    assert "MMI VI " in text and "Strong" in text
    assert '<html lang="en">' in html and "RED alert – M 7.6 – 91 km W of Padang" in html
    assert "12,400" in html and f"/realtime/subscribe/unsubscribe/{english.token}/" in html
    [(name, mime, content)] = attachments(message)
    assert (name, mime) == (f"{event.shake_id}-initial-en.pdf", "application/pdf")
    assert content == event.reports.get(language="en").report_pdf.read()

    [message] = inbox.to("id@example.org")
    assert subject(message) == "Peringatan MERAH – M 7.6 – 91 km Barat Padang"
    text, html = body(message, "plain"), body(message, "html")
    assert f"{wib:%H:%M} WIB" in text and "Magnitudo: 7,6" in text and "Kedalaman: 10 km" in text
    assert "1.500.000" in text and "12.400" in text and "Tingkat peringatan: MERAH" in text
    assert "Perkiraan korban jiwa: 1.000 - 10.000" in text  # the processor's range in Indonesian separators
    assert "Berhenti berlangganan" in text and '<html lang="id">' in html
    [(name, mime, content)] = attachments(message)
    assert name == f"{event.shake_id}-initial-id.pdf"
    assert content == event.reports.get(language="id").report_pdf.read() == pdf("id", f"{event.shake_id}-initial-id")

    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert all(row.message_id.startswith("<") for row in Delivery.objects.all())


@pytest.mark.django_db
def test_unsubscribe_headers_and_the_one_click_post(inbox):
    reader = subscriber("reader@example.org")
    deliver("earthquake", quake().pk)
    [message] = inbox.to("reader@example.org")
    link = f"https://realtime.example.org/realtime/subscribe/unsubscribe/{reader.token}/"
    assert message["List-Unsubscribe"].strip() == f"<{link}>"  # folded before "<" (RFC 2369 allows it)
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # A mail scanner's GET changes nothing.
    client = Client(enforce_csrf_checks=True)
    assert client.get(urlsplit(link).path).status_code == 200
    reader.refresh_from_db()
    assert reader.unsubscribed_at is None
    # RFC 8058: the client POSTs the body with no cookie and no CSRF token; no redirect.
    answer = Client(enforce_csrf_checks=True).post(urlsplit(link).path, "List-Unsubscribe=One-Click",
                                                   content_type="application/x-www-form-urlencoded")
    assert answer.status_code == 200
    reader.refresh_from_db()
    assert reader.unsubscribed_at is not None
    # The multipart form RFC 8058 recommends works too (for another subscriber).
    other = subscriber("other@example.org")
    answer = Client(enforce_csrf_checks=True).post(f"/realtime/subscribe/unsubscribe/{other.token}/",
                                                   {"List-Unsubscribe": "One-Click"})
    assert answer.status_code == 200
    other.refresh_from_db()
    assert other.unsubscribed_at is not None

    deliver("earthquake", quake(when=origin(0.5)).pk)
    assert len(inbox.to("reader@example.org")) == 1  # nothing after unsubscribing
    assert Client().post("/realtime/subscribe/unsubscribe/not-a-token/").status_code == 404


@pytest.mark.django_db
def test_corrected_map_mails_only_when_alert_or_fatalities_change(inbox):
    subscriber("en@example.org", "en")
    subscriber("id@example.org", "id")
    when = origin()
    initial = quake(when=when, alert="orange", fatalities="100 - 1,000")
    deliver("earthquake", initial.pk)
    same = quake("corrected", when=when, alert="orange", fatalities="100 - 1,000")
    assert deliver("earthquake", same.pk) == []
    assert len(inbox.messages) == 2  # the initial ones only

    Earthquake.objects.filter(pk=same.pk).delete()
    changed = quake("corrected", when=when, alert="red", fatalities="1,000 - 10,000")
    assert len(deliver("earthquake", changed.pk)) == 2
    assert [subject(m) for m in inbox.to("en@example.org")] == [
        "ORANGE alert – M 7.6 – 91 km W of Padang", "UPDATE: RED alert – M 7.6 – 91 km W of Padang"]
    assert [subject(m) for m in inbox.to("id@example.org")] == [
        "Peringatan ORANYE – M 7.6 – 91 km Barat Padang",
        "PEMBARUAN: Peringatan MERAH – M 7.6 – 91 km Barat Padang"]
    update = inbox.to("en@example.org")[1]
    assert "corrected map" in body(update, "plain")
    [(name, _mime, content)] = attachments(update)
    assert name == f"{changed.shake_id}-corrected-en.pdf" and content == pdf("en", f"{changed.shake_id}-corrected-en")


@pytest.mark.django_db
def test_at_most_one_message_per_subscriber_and_version(inbox, eager):
    subscriber("en@example.org")
    event = quake()
    plan_and_send("earthquake", event.pk)
    plan_and_send.apply_async(("earthquake", event.pk))
    sweep_notifications()
    sweep_notifications.apply_async()
    assert len(inbox.messages) == 1
    assert Delivery.objects.count() == 1


@pytest.mark.django_db
def test_no_mail_for_versions_older_than_eight_hours(inbox, eager):
    subscriber("en@example.org")
    old = quake(when=origin(8.5))
    plan_and_send("earthquake", old.pk)
    sweep_notifications()
    assert inbox.messages == [] and Delivery.objects.count() == 0
    fresh = quake(when=origin(7.5))
    plan_and_send("earthquake", fresh.pk)
    assert len(inbox.messages) == 1


@pytest.mark.django_db
def test_thresholds_alert_magnitude_box_and_hazard(inbox):
    # An ORANGE M 7.6 off Padang (-0.95, 99.68).
    subscriber("green@example.org", min_alert="green")
    subscriber("orange@example.org", min_alert="orange")
    subscriber("red@example.org", min_alert="red")  # orange < red: no
    subscriber("m7@example.org", min_magnitude=7.5)
    subscriber("m8@example.org", min_magnitude=8.0)  # 7.6 < 8: no
    subscriber("sumatra@example.org", bbox_west=95.0, bbox_south=-6.0, bbox_east=106.0, bbox_north=6.0)
    subscriber("papua@example.org", bbox_west=130.0, bbox_south=-9.0, bbox_east=141.0, bbox_north=0.0)  # no
    subscriber("floods@example.org", earthquakes=False, floods=True)  # no
    Subscriber.objects.create(email="unconfirmed@example.org", token="t-unconfirmed")  # no
    deliver("earthquake", quake(alert="orange", fatalities="100 - 1,000").pk)
    received = sorted(address for recipients, _ in inbox.messages for address in recipients)
    assert received == ["green@example.org", "m7@example.org", "orange@example.org", "sumatra@example.org"]


@pytest.mark.django_db
def test_smtp_down_is_retried_later_and_delivered_once_it_is_up(smtp_port):
    subscriber("en@example.org")
    [delivery_id] = dispatch.plan("earthquake", quake().pk)
    dispatch.attempt(delivery_id)  # nothing listens on the port: connection refused
    row = Delivery.objects.get(pk=delivery_id)
    assert (row.status, row.attempts) == ("failed", 1)
    assert "ConnectionRefusedError" in row.last_error
    wait = (row.next_attempt_at - timezone.now()).total_seconds()
    assert 50 < wait <= 60  # the first retry a minute later
    assert list(dispatch.due()) == []  # not before then

    with smtp_server(smtp_port) as handler:
        [due] = dispatch.due(now=timezone.now() + timedelta(seconds=61))
        dispatch.attempt(due.pk)
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(handler.to("en@example.org")) == 1


class HeldInbox(Inbox):
    """Holds the first message's DATA until released: a send still in progress."""

    def __init__(self):
        super().__init__()
        self.arrived, self.release = threading.Event(), threading.Event()

    async def handle_DATA(self, server, session, envelope):
        if not self.arrived.is_set():
            self.arrived.set()
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 30)
        return await super().handle_DATA(server, session, envelope)


@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_sent_is_not_sent_again_by_a_second_task(smtp_port):
    """plan_and_send and a sweep can both queue the same due delivery; a worker with several processes runs
    both at once. The second attempt must leave a row another attempt has claimed."""
    subscriber("en@example.org")
    [delivery_id] = dispatch.plan("earthquake", quake().pk)
    handler = HeldInbox()
    controller = Controller(handler, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        first = threading.Thread(target=send_delivery, args=(delivery_id,))  # the task's body, in a thread
        first.start()
        assert handler.arrived.wait(30)  # the first attempt is inside SMTP DATA
        send_delivery(delivery_id)  # the same task queued again (by the sweep) runs meanwhile
        handler.release.set()
        first.join(30)
    finally:
        handler.release.set()
        controller.stop()
    assert len(handler.messages) == 1
    row = Delivery.objects.get(pk=delivery_id)
    assert (row.status, row.attempts) == ("sent", 1)


@pytest.mark.django_db
def test_a_5xx_refusal_is_final_a_4xx_is_retried(inbox):
    inbox.refuse = {"gone@example.org": "550 5.1.1 No such user", "full@example.org": "452 4.2.2 Mailbox full"}
    subscriber("gone@example.org")
    subscriber("full@example.org")
    deliver("earthquake", quake().pk)
    gone = Delivery.objects.get(subscriber__email="gone@example.org")
    full = Delivery.objects.get(subscriber__email="full@example.org")
    assert (gone.status, gone.response_code) == ("gave_up", 550) and "No such user" in gone.last_error
    assert (full.status, full.response_code) == ("failed", 452)


def test_retry_schedule_widens_then_gives_up():
    refused = ConnectionRefusedError(111, "Connection refused")
    waits = [notify_email.failure(refused, attempt).retry_in for attempt in range(1, 7)]
    assert waits == [60, 300, 1800, 7200, 7200, None]


def test_the_error_never_carries_the_password(settings):
    import smtplib

    settings.EMAIL_HOST_PASSWORD = "s3cret-pass"
    outcome = notify_email.failure(smtplib.SMTPAuthenticationError(535, b"5.7.8 bad credentials"), 1)
    assert outcome.retry_in == 60 and "s3cret-pass" not in outcome.error and "535" in outcome.error


@pytest.mark.django_db
def test_the_time_is_on_the_epicentres_clock(inbox):
    """BMKG stamps every grid in WIB; a reader in Papua reads WIT (UTC+9), one in Sulawesi WITA (UTC+8)."""
    subscriber("en@example.org")
    when = origin()
    deliver("earthquake", quake(when=when, latitude=-2.53, longitude=140.72).pk)  # off Jayapura
    deliver("earthquake", quake(when=when - timedelta(minutes=5), latitude=1.34, longitude=124.42).pk)  # Minahasa
    papua, sulawesi = (body(message, "plain") for message in inbox.to("en@example.org"))
    assert f"{when + timedelta(hours=9):%H:%M} WIT (" in papua and f"{when:%H:%M} UTC" in papua
    assert f"{when - timedelta(minutes=5) + timedelta(hours=8):%H:%M} WITA (" in sulawesi


@pytest.mark.django_db
def test_flood_mail_in_indonesian_with_its_report(inbox):
    subscriber("banjir@example.org", "id", earthquakes=False, floods=True)
    subscriber("quakes@example.org", "en")  # earthquakes only: no flood mail
    when = origin()
    flood = Flood.objects.create(
        event_id=when.strftime("%Y%m%d%H") + "-6-rw", time=when, interval=6, published_at=timezone.now(),
        impact=flood_document(12340.0, 2100.0, 158, 3, [f"village {n}" for n in range(41)]))
    FloodReport.objects.create(flood=flood, language="id", impact_map=SimpleUploadedFile(
        "map-id.pdf", pdf("id", "flood"), content_type="application/pdf"))
    deliver("flood", flood.pk)
    assert inbox.to("quakes@example.org") == []
    [message] = inbox.to("banjir@example.org")
    assert subject(message) == f"Banjir Jakarta {when:%Y-%m-%d %H:%M} UTC – 158 RW tergenang – 12.340 terdampak"
    text = body(message, "plain")
    assert "158" in text and "3 dipantau" in text and "12.340" in text and "2.100" in text and "41" in text
    assert f"{when + timedelta(hours=7):%H:%M} WIB" in text
    assert f"https://realtime.example.org/realtime/flood/{flood.event_id}/" in text
    [(name, _mime, content)] = attachments(message)
    assert name == f"{flood.event_id}-id.pdf" and content == pdf("id", "flood")


# --- the subscription pages -----------------------------------------------------------------------------

FORM = {"email": "new@example.org", "language": "id", "hazards": ["earthquake", "flood"], "min_alert": "yellow",
        "min_magnitude": "5.5", "bbox_west": "", "bbox_south": "", "bbox_east": "", "bbox_north": ""}


def confirm_link(message) -> str:
    return re.search(r"https://realtime\.example\.org(/realtime/subscribe/confirm/\S+)", body(message, "plain"))[1]


@pytest.mark.django_db
def test_double_opt_in(inbox):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/realtime/subscribe/")
    assert page.status_code == 200 and 'name="csrfmiddlewaretoken"' in page.content.decode()
    token = client.cookies["csrftoken"].value
    answer = client.post("/realtime/subscribe/", {**FORM, "csrfmiddlewaretoken": token})
    assert answer.status_code == 302 and answer["Location"] == "/realtime/subscribe/sent/"
    row = Subscriber.objects.get(email="new@example.org")
    assert row.confirmed_at is None and len(row.token) >= 40
    assert (row.language, row.min_alert, row.min_magnitude, row.earthquakes, row.floods) == ("id", "yellow", 5.5,
                                                                                             True, True)
    deliver("earthquake", quake().pk)  # unconfirmed: nothing
    [message] = inbox.to("new@example.org")
    assert subject(message) == "Konfirmasi peringatan InaSAFE Realtime Anda"
    link = confirm_link(message)

    scanner = Client(enforce_csrf_checks=True)
    page = scanner.get(link)  # a scanner's prefetch only shows the button
    assert page.status_code == 200 and "Konfirmasi langganan" in page.content.decode()
    row.refresh_from_db()
    assert row.confirmed_at is None
    assert scanner.post(link.split("?")[0], {}).status_code == 403  # a POST needs the page's CSRF token
    token = scanner.cookies["csrftoken"].value
    blob = re.search(r'name="p" value="([^"]+)"', page.content.decode())[1]
    done = scanner.post(link.split("?")[0], {"p": blob, "csrfmiddlewaretoken": token})
    assert done.status_code == 200 and "Langganan dikonfirmasi" in done.content.decode()
    row.refresh_from_db()
    assert row.active


@pytest.mark.django_db
def test_subscribing_again_reveals_nothing_and_changes_nothing_until_confirmed(inbox):
    known = subscriber("known@example.org", "en", min_alert="red")
    answers = []
    for address in ("known@example.org", "unknown@example.org"):
        answer = Client().post("/realtime/subscribe/", {**FORM, "email": address, "language": "en"})
        answers.append((answer.status_code, answer["Location"]))
    assert answers[0] == answers[1] == (302, "/realtime/subscribe/sent/")
    known.refresh_from_db()
    assert known.active and known.min_alert == "red"  # untouched until the mailbox owner confirms
    [message] = inbox.to("known@example.org")
    link = confirm_link(message)
    client = Client()
    client.get(link)
    client.post(link)  # the test client skips CSRF checks by default; the signed preferences come in the URL
    known.refresh_from_db()
    assert known.active and known.min_alert == "yellow" and known.floods

    tampered = link.replace("p=", "p=x")
    assert Client().get(tampered).status_code == 404


@pytest.mark.django_db
def test_one_confirmation_mail_per_address_in_ten_minutes(inbox):
    answers = [Client().post("/realtime/subscribe/", {**FORM, "email": "twice@example.org"}) for _ in range(3)]
    assert {(answer.status_code, answer["Location"]) for answer in answers} == {(302, "/realtime/subscribe/sent/")}
    assert len(inbox.to("twice@example.org")) == 1


@pytest.mark.django_db
def test_form_validation_messages(inbox):
    cases = [
        ({"email": "not-an-address"}, "Enter a valid email address."),
        ({"hazards": []}, "Choose at least one hazard."),
        ({"min_magnitude": "11"}, "Ensure this value is less than or equal to 10."),
        ({"bbox_west": "95"}, "Give all four edges of the area, or none for all of Indonesia."),
        ({"bbox_west": "95", "bbox_south": "6", "bbox_east": "141", "bbox_north": "-11"},
         "South must be less than north."),
    ]
    for change, message in cases:
        answer = Client().post("/realtime/subscribe/", {**FORM, "language": "en", **change})
        assert answer.status_code == 400 and message in answer.content.decode(), message
    answer = Client(HTTP_ACCEPT_LANGUAGE="id").post("/realtime/subscribe/", {**FORM, "hazards": []})
    assert "Pilih setidaknya satu bahaya." in answer.content.decode()
    assert Subscriber.objects.count() == 0 and inbox.messages == []


@pytest.mark.django_db
def test_subscribe_page_says_so_when_the_mail_server_is_down(smtp_port):
    answer = Client().post("/realtime/subscribe/", {**FORM, "language": "en"})
    assert answer.status_code == 503
    assert "could not send the confirmation email" in answer.content.decode()


# --- manage.py addsubscriber ----------------------------------------------------------------------------

@pytest.mark.django_db
def test_addsubscriber_creates_confirmed_and_updates(inbox):
    call_command("addsubscriber", "duty@example.org", "--min-alert", "orange", "--min-magnitude", "6",
                 "--language", "id", "--bbox=95,-11,141,6", "--hazards", "earthquake,flood")
    row = Subscriber.objects.get(email="duty@example.org")
    assert row.active and (row.min_alert, row.min_magnitude, row.language, row.floods) == ("orange", 6.0, "id", True)
    assert (row.bbox_west, row.bbox_south, row.bbox_east, row.bbox_north) == (95, -11, 141, 6)
    row.unsubscribed_at = timezone.now()
    row.save()
    call_command("addsubscriber", "DUTY@example.org", "--min-alert", "red", "--bbox", "none")
    row.refresh_from_db()
    assert row.active and row.min_alert == "red" and row.language == "id" and row.bbox_west is None
    assert Subscriber.objects.count() == 1
    for args in (["--min-alert", "purple"], ["--min-magnitude", "big"], ["--language", "fr"],
                 ["--bbox", "1,2,3"], ["--bbox=95,6,141,-11"], ["--hazards", "tsunami"]):
        with pytest.raises(CommandError):
            call_command("addsubscriber", "x@example.org", *args)
    assert Subscriber.objects.count() == 1


def test_addsubscriber_from_the_shell_negative_bbox_and_one_line_errors(tmp_path):
    env = web_env(tmp_path)
    manage = [sys.executable, str(WEB / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], env=env, cwd=WEB, check=True, timeout=120)
    ok = subprocess.run([*manage, "addsubscriber", "duty@example.org", "--bbox", "-11,-6,-5,6"], env=env, cwd=WEB,
                        capture_output=True, text=True, timeout=60)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == ("added duty@example.org: confirmed, language en, hazards earthquake, "
                                 "min alert green, min magnitude 0, bbox -11,-6,-5,6")
    bad = subprocess.run([*manage, "addsubscriber", "duty@example.org", "--min-magnitude", "-1"], env=env, cwd=WEB,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 1
    assert bad.stderr.strip() == ("CommandError: --min-magnitude -1: "
                                  "The minimum magnitude must be between 0 and 10.")
