"""Webhooks end to end: a real HTTP receiver on 127.0.0.1 checks every call with the `standardwebhooks` package.

The web side runs as in production from planning on: dispatch.plan makes the Delivery rows, dispatch.attempt
calls events.webhooks.send and records the outcome; the receiver answers what each test scripts.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import threading
from datetime import datetime, timedelta, timezone as dt_timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
import standardwebhooks
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from events import dispatch
from events.models import Delivery, Earthquake, EarthquakeReport, Flood, FloodReport, Webhook
from events.tasks import sweep_notifications
from inasafe_web.celery import app
from impact_documents import flood_document, quake_document
from servers import WEB, free_port, web_env

pytestmark = pytest.mark.django_db

SITE = "https://realtime.example.org"
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # the Standard Webhooks spec's example secret (24 bytes)
OTHER_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVowMTIzNDU2Nzg5"  # 36 bytes


class Receiver:
    """An HTTP server that verifies each call's signature and answers from a script (then 204)."""

    def __init__(self, secret: str):
        self.verifier = standardwebhooks.Webhook(secret)
        self.calls: list[dict] = []
        self.script: list[tuple[int, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    data = receiver.verifier.verify(body, headers)
                except standardwebhooks.webhooks.WebhookVerificationError as exc:
                    data, headers["verification-error"] = None, str(exc)
                receiver.calls.append({"path": self.path, "body": body, "headers": headers, "data": data})
                status, extra = receiver.script.pop(0) if receiver.script else (204, {})
                if data is None:
                    status = 400
                self.send_response(status)
                for name, value in extra.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/inasafe"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    @property
    def verified(self) -> list[dict]:
        assert all(call["data"] is not None for call in self.calls), [c["headers"].get("verification-error")
                                                                     for c in self.calls]
        return [call["data"] for call in self.calls]


@pytest.fixture
def receiver():
    with Receiver(SECRET) as server:
        yield server


@pytest.fixture(autouse=True)
def site(tmp_path):
    with override_settings(SITE_URL=SITE, MEDIA_ROOT=tmp_path / "media"):
        yield


def impact(alert: str, fatality_range: str = "0 - 100") -> dict:
    """A whole impact.json (tests/web/impact_documents.py): Minahassa's exposure, this alert and range."""
    return quake_document(alert, fatality_range, exposure={"II": 288286.14, "III": 822426.08, "IV": 536.78},
                          location={"place": "Tomohon", "distance_km": 42.8, "direction": "W",
                                    "text": "Located 43 km W of Tomohon"})


def published_quake(alert: str = "green", shake_id: str = "20261129041500", reports: bool = True) -> Earthquake:
    now = timezone.now()
    event = Earthquake.objects.create(
        shake_id=shake_id, source_type="initial", magnitude=5.0, time=now - timedelta(hours=1), depth=202.0,
        longitude=124.42, latitude=1.34, location_description="Minahassa Peninsula, Sulawesi",
        impact=impact(alert), published_at=now)
    for language in ("en", "id") if reports else ():
        stem = f"{shake_id}-initial-{language}"
        EarthquakeReport.objects.create(
            earthquake=event, language=language,
            report_pdf=SimpleUploadedFile(f"{stem}.pdf", b"%PDF-1.4\n%%EOF\n"),
            report_image=SimpleUploadedFile(f"{stem}.png", b"png"),
            report_thumbnail=SimpleUploadedFile(f"{stem}-thumb.png", b"png"))
    return event


def add_webhook(url: str, secret: str = SECRET, **fields) -> Webhook:
    return Webhook.objects.create(url=url, secret=secret, **fields)


def deliver(kind: str, pk: int) -> list[Delivery]:
    """Plan the version and make one attempt per planned delivery, as plan_and_send + send_delivery do."""
    ids = dispatch.plan(kind, pk)
    for delivery_id in ids:
        dispatch.attempt(delivery_id)
    return list(Delivery.objects.filter(pk__in=ids))


def test_the_payload_is_signed_and_says_what_the_version_is(receiver):
    hook = add_webhook(receiver.url)
    event = published_quake("orange")
    [delivery] = deliver("earthquake", event.pk)

    [call] = receiver.calls
    [body] = receiver.verified  # standardwebhooks accepted the signature, id and timestamp
    assert call["path"] == "/hooks/inasafe"
    assert call["headers"]["webhook-id"] == f"msg_{delivery.pk}"
    assert call["headers"]["content-type"] == "application/json"
    assert len(call["body"]) < 20 * 1024
    assert body["type"] == "earthquake.version_published"
    assert body["timestamp"] == event.published_at.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z")
    data = body["data"]
    assert data["id"] == "20261129041500-initial"
    assert (data["magnitude"], data["depth_km"], data["latitude"], data["longitude"]) == (5.0, 202.0, 1.34, 124.42)
    assert data["alert"] == "orange" and data["fatalities_range"] == "0 - 100"
    assert data["mmi"] == "V"  # 5.27 lies in (4.5, 5.5]
    assert data["title"] == {"en": "M 5.0 – 43 km W of Tomohon – ORANGE", "id": "M 5.0 – 43 km Barat Tomohon – ORANYE"}
    assert data["population_exposed"]["III"] == 822426.08
    links = data["links"]
    assert links["detail"] == f"{SITE}/realtime/earthquake/20261129041500/initial/"
    assert links["cap"] == f"{SITE}/realtime/cap/inasafe-realtime-eq-20261129041500-initial.xml"
    assert set(links["pdf"]) == {"en", "id"}
    assert links["pdf"]["id"].startswith(f"{SITE}/") and links["pdf"]["id"].endswith(".pdf")
    assert links["feeds"] == {"atom": f"{SITE}/realtime/feeds/earthquakes.atom",
                              "geojson": f"{SITE}/realtime/feeds/earthquakes.geojson",
                              "cap": f"{SITE}/realtime/feeds/cap.atom"}
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("sent", 1, 204)
    assert delivery.message_id == f"msg_{delivery.pk}" and delivery.webhook == hook


def test_a_flood_payload_names_its_cap_file(receiver):
    add_webhook(receiver.url, earthquakes=False, floods=True)
    flood = Flood.objects.create(event_id="2026112905-6-rw", time=timezone.now() - timedelta(hours=1), interval=6,
                                 impact=flood_document(12340, 0, 158, 3),
                                 published_at=timezone.now())
    FloodReport.objects.create(flood=flood, language="en", impact_map=SimpleUploadedFile("map.pdf", b"%PDF-1.4"))
    published_quake()  # not for this webhook
    deliver("flood", flood.pk)
    [body] = receiver.verified
    assert body["type"] == "flood.published"
    assert body["data"]["id"] == "2026112905-6-rw"
    assert (body["data"]["flooded_rw"], body["data"]["caution_rw"], body["data"]["affected"]) == (158, 3, 12340)
    assert body["data"]["links"]["cap"] == f"{SITE}/realtime/cap/inasafe-realtime-flood-2026112905-6-rw.xml"
    assert body["data"]["links"]["map"]["en"].endswith(".pdf")
    assert body["data"]["links"]["detail"].startswith(f"{SITE}/realtime/flood/")
    assert body["data"]["links"]["feeds"]["atom"] == f"{SITE}/realtime/feeds/floods.atom"


def test_a_server_error_is_retried_on_the_schedule_and_delivered_later(receiver):
    add_webhook(receiver.url)
    receiver.script = [(500, {}), (503, {})]
    event = published_quake()
    before = timezone.now()
    [delivery] = deliver("earthquake", event.pk)
    after = timezone.now()
    assert (delivery.status, delivery.response_code) == ("failed", 500)
    assert delivery.last_error == "HTTP 500 from 127.0.0.1"
    # First retry after 5 s (plus up to 10 % jitter).
    assert before + timedelta(seconds=5) <= delivery.next_attempt_at <= after + timedelta(seconds=5.5)

    before = timezone.now()
    dispatch.attempt(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code) == ("failed", 2, 503)
    assert before + timedelta(minutes=5) <= delivery.next_attempt_at <= timezone.now() + timedelta(minutes=5.5)

    dispatch.attempt(delivery.pk)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.response_code, delivery.last_error) == ("sent", 3, 204, "")
    assert len(receiver.verified) == 3
    assert len({call["headers"]["webhook-id"] for call in receiver.calls}) == 1  # the receiver can dedupe
    assert len({call["body"] for call in receiver.calls}) == 1


def test_the_last_scheduled_retry_gives_up(receiver):
    add_webhook(receiver.url)
    receiver.script = [(500, {})] * 10
    [delivery] = deliver("earthquake", published_quake().pk)
    for _ in range(9):
        dispatch.attempt(delivery.pk)
    delivery.refresh_from_db()
    # now, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h: ten attempts, then no more.
    assert (delivery.status, delivery.attempts) == ("gave_up", 10)
    assert len(receiver.calls) == 10
    assert dispatch.attempt(delivery.pk) is None


def test_410_gone_turns_the_webhook_off_without_retrying(receiver):
    hook = add_webhook(receiver.url)
    receiver.script = [(410, {})]
    [delivery] = deliver("earthquake", published_quake().pk)
    delivery.refresh_from_db()
    hook.refresh_from_db()
    assert (delivery.status, delivery.response_code, hook.active) == ("gave_up", 410, False)
    assert deliver("earthquake", published_quake(shake_id="20261129042000").pk) == []  # no longer planned
    assert len(receiver.calls) == 1


def test_a_pending_delivery_to_a_webhook_turned_off_meanwhile_is_dropped(receiver):
    hook = add_webhook(receiver.url)
    [delivery_id] = dispatch.plan("earthquake", published_quake().pk)
    Webhook.objects.filter(pk=hook.pk).update(active=False)
    dispatch.attempt(delivery_id)
    delivery = Delivery.objects.get(pk=delivery_id)
    assert (delivery.status, delivery.last_error) == ("gave_up", "webhook is turned off")
    assert receiver.calls == []


@pytest.mark.parametrize("status, retry_after, seconds", [
    (429, "120", 120), (502, "30", 30), (504, None, 7200),  # 504 as an HTTP date two hours ahead
])
def test_throttling_answers_wait_as_long_as_retry_after_asks(receiver, status, retry_after, seconds):
    add_webhook(receiver.url)
    header = retry_after or format_datetime(datetime.now(dt_timezone.utc) + timedelta(seconds=seconds), usegmt=True)
    receiver.script = [(status, {"Retry-After": header})]
    before = timezone.now()
    [delivery] = deliver("earthquake", published_quake().pk)
    after = timezone.now()
    assert (delivery.status, delivery.response_code) == ("failed", status)
    slack = timedelta(seconds=1)  # an HTTP date has whole seconds
    assert before + timedelta(seconds=seconds) - slack <= delivery.next_attempt_at <= after + timedelta(seconds=seconds)
    assert "Retry-After" in delivery.last_error


def test_retry_after_on_another_status_is_not_the_schedule(receiver):
    add_webhook(receiver.url)
    receiver.script = [(503, {"Retry-After": "3600"})]
    before = timezone.now()
    [delivery] = deliver("earthquake", published_quake().pk)
    assert delivery.next_attempt_at <= before + timedelta(seconds=60)  # the schedule's 5 s, not an hour


def test_a_redirect_is_a_failure_and_is_not_followed(receiver):
    add_webhook(receiver.url)
    receiver.script = [(302, {"Location": receiver.url + "/elsewhere"})]
    [delivery] = deliver("earthquake", published_quake().pk)
    assert (delivery.status, delivery.response_code) == ("failed", 302)
    assert "redirects are not followed" in delivery.last_error
    assert [call["path"] for call in receiver.calls] == ["/hooks/inasafe"]


def test_one_call_per_webhook_and_version_however_often_it_is_planned(receiver):
    add_webhook(receiver.url)
    event = published_quake()
    assert len(deliver("earthquake", event.pk)) == 1
    assert deliver("earthquake", event.pk) == []
    app.conf.task_always_eager = True  # the beat sweep, run in-process: plans again and sends what is due
    try:
        sweep_notifications()
    finally:
        app.conf.task_always_eager = False
    assert Delivery.objects.count() == 1 and len(receiver.calls) == 1


def test_each_webhook_gets_what_its_minimum_alert_level_allows():
    with Receiver(SECRET) as every, Receiver(OTHER_SECRET) as serious:
        add_webhook(every.url)
        add_webhook(serious.url, secret=OTHER_SECRET, min_alert="orange")
        deliver("earthquake", published_quake("yellow", shake_id="20261129041500").pk)
        deliver("earthquake", published_quake("orange", shake_id="20261129042500").pk)
        deliver("earthquake", published_quake("red", shake_id="20261129043500").pk)
        assert [c["data"]["alert"] for c in every.verified] == ["yellow", "orange", "red"]
        assert [c["data"]["alert"] for c in serious.verified] == ["orange", "red"]  # its own secret verified


def test_an_unreachable_receiver_is_retried_and_nothing_secret_is_logged(caplog):
    url = f"http://127.0.0.1:{free_port()}/hooks/token-in-path"
    add_webhook(url)
    with caplog.at_level(logging.DEBUG):
        [delivery] = deliver("earthquake", published_quake().pk)
    assert delivery.status == "failed" and delivery.response_code is None
    assert delivery.last_error == "ConnectionError calling 127.0.0.1"
    secret_body = SECRET.removeprefix("whsec_")
    for text in (caplog.text, delivery.last_error):
        assert secret_body not in text and "token-in-path" not in text


# --- manage.py addwebhook ----------------------------------------------------------------------------------


def test_addwebhook_stores_a_valid_secret_and_the_thresholds(capsys):
    call_command("addwebhook", "https://hooks.example.org/inasafe", "--secret", SECRET, "--min-alert", "yellow",
                 "--hazards", "earthquake,flood")
    hook = Webhook.objects.get()
    assert (hook.url, hook.secret, hook.min_alert, hook.earthquakes, hook.floods, hook.active) == (
        "https://hooks.example.org/inasafe", SECRET, "yellow", True, True, True)
    assert SECRET not in capsys.readouterr().out

    Webhook.objects.update(active=False)  # turned off by a 410; adding it again turns it on, with the new values
    call_command("addwebhook", "https://hooks.example.org/inasafe", "--secret", OTHER_SECRET, "--hazards", "flood")
    hook = Webhook.objects.get()
    assert (hook.secret, hook.min_alert, hook.earthquakes, hook.floods, hook.active) == (
        OTHER_SECRET, "green", False, True, True)


def test_addwebhook_generates_a_secret_the_receiver_can_use(capsys, receiver):
    call_command("addwebhook", receiver.url, "--generate-secret")
    out = capsys.readouterr().out
    secret = out.split("secret (shown once, give it to the receiver): ")[1].strip()
    assert Webhook.objects.get().secret == secret
    receiver.verifier = standardwebhooks.Webhook(secret)
    deliver("earthquake", published_quake().pk)
    assert len(receiver.verified) == 1


@pytest.mark.parametrize("url, secret, message", [
    ("https://h.example.org/", "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "must start with whsec_"),
    ("https://h.example.org/", "whsec_not base64!", "must be base64"),
    ("https://h.example.org/", "whsec_QUJDREVGR0hJSktMTU5PUA==", "at least 24 bytes (it holds 16)"),
    ("ftp://h.example.org/", SECRET, "not an http or https URL"),
    ("hooks.example.org", SECRET, "not an http or https URL"),
])
def test_addwebhook_refuses_bad_input(url, secret, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        call_command("addwebhook", url, "--secret", secret)
    assert not Webhook.objects.exists()


def test_addwebhook_says_what_is_wrong_in_one_line(tmp_path):
    env = web_env(tmp_path)
    run = subprocess.run([sys.executable, "manage.py", "addwebhook", "https://h.example.org/", "--secret", "whsec_x"],
                         cwd=WEB, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines() == ["CommandError: bad --secret: the secret after whsec_ must be base64"]


# --- the admin ---------------------------------------------------------------------------------------------


def test_the_admin_shows_the_delivery_log_and_never_the_secret(admin_client, receiver):
    hook = add_webhook(receiver.url)
    receiver.script = [(503, {})]
    [delivery] = deliver("earthquake", published_quake().pk)
    secret_body = SECRET.removeprefix("whsec_")
    for path in ("/admin/events/delivery/", f"/admin/events/delivery/{delivery.pk}/change/",
                 "/admin/events/webhook/", f"/admin/events/webhook/{hook.pk}/change/"):
        response = admin_client.get(path)
        assert response.status_code == 200, path
        assert secret_body not in response.content.decode(), path
    listing = admin_client.get("/admin/events/delivery/").content.decode()
    assert "HTTP 503 from 127.0.0.1" in listing and f"webhook {hook.pk} (127.0.0.1)" in listing
    # Saving the form with the secret left blank keeps it; a bad new one is refused.
    form = {"url": receiver.url, "secret": "", "min_alert": "orange", "earthquakes": "on", "active": "on"}
    assert admin_client.post(f"/admin/events/webhook/{hook.pk}/change/", form).status_code == 302
    hook.refresh_from_db()
    assert (hook.secret, hook.min_alert) == (SECRET, "orange")
    response = admin_client.post(f"/admin/events/webhook/{hook.pk}/change/", {**form, "secret": "whsec_short"})
    assert response.status_code == 200 and "must" in response.content.decode()
    assert admin_client.post(f"/admin/events/delivery/{delivery.pk}/change/", {}).status_code == 403  # read-only


# --- as deployed: a push through the API, the web app's Celery worker, the receiver ---------------------------


def test_a_pushed_version_reaches_the_receiver_through_the_web_worker_and_is_retried(tmp_path, receiver):
    """gunicorn + redis + `celery -A inasafe_web worker -Q inasafe-django`: a 500 is retried by the worker."""
    from servers import manage, redis_server, stop, wait_until, web_app

    receiver.script = [(500, {})]
    user = ("push@realtime.example.org", "pu5h-pass")
    with redis_server(tmp_path) as broker:
        extra = {"INASAFE_REALTIME_BROKER_URL": broker, "REALTIME_SITE_URL": SITE}
        with web_app(tmp_path, user=user, **extra) as base:
            env = web_env(tmp_path, **extra)
            out = manage(env, "addwebhook", receiver.url, "--secret", SECRET, "--min-alert", "yellow").stdout
            assert out.startswith("webhook 1 added: ")
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "inasafe_web", "worker", "-Q", "inasafe-django",
                 "--concurrency", "1", "--loglevel", "INFO"],
                env=env, cwd=WEB, stdout=(tmp_path / "web-worker.log").open("w"), stderr=subprocess.STDOUT,
                start_new_session=True)
            try:
                origin = datetime.now(dt_timezone.utc) - timedelta(minutes=10)
                quake = {"shake_id": origin.strftime("%Y%m%d%H%M%S"), "source_type": "initial", "magnitude": 6.1,
                         "time": origin.isoformat(), "depth": 10,
                         "location": {"type": "Point", "coordinates": [124.42, 1.34]},
                         "location_description": "Minahassa Peninsula, Sulawesi", "impact": impact("yellow")}
                response = requests.post(f"{base}/realtime/api/v1/earthquake/", json=quake, auth=user, timeout=30)
                assert response.status_code == 201, response.text
                wait_until(lambda: len(receiver.calls) >= 2, 90, what="the retried call")
                # A push of another version below the webhook's level: no call.
                quiet = {**quake, "shake_id": (origin - timedelta(minutes=1)).strftime("%Y%m%d%H%M%S"),
                         "impact": impact("green")}
                assert requests.post(f"{base}/realtime/api/v1/earthquake/", json=quiet, auth=user,
                                     timeout=30).status_code == 201
                planned = wait_until(lambda: len(found := re.findall(
                    r"Task events\.tasks\.plan_and_send\[[^\]]+\] succeeded in [\d.]+s: (\d+)",
                    (tmp_path / "web-worker.log").read_text())) == 2 and found, 90, what="both versions planned")
                assert planned == ["1", "0"]  # one delivery for the yellow version, none for the green one
            finally:
                stop(worker)
            logs = (tmp_path / "web-worker.log").read_text() + (tmp_path / "gunicorn.log").read_text()
            assert SECRET.removeprefix("whsec_") not in logs
            [first, second] = receiver.verified
            assert first == second and first["data"]["id"] == f"{quake['shake_id']}-initial"
            assert first["data"]["links"]["detail"] == f"{SITE}/realtime/earthquake/{quake['shake_id']}/initial/"
            shell = ("from events.models import Delivery; d = Delivery.objects.get(); "
                     "print(d.status, d.attempts, d.response_code, Delivery.objects.count())")
            assert manage(env, "shell", "-v", "0", "-c", shell).stdout.split() == ["sent", "2", "204", "1"]


def test_a_secret_stored_by_hand_that_is_not_whsec_gives_up_at_once(receiver):
    add_webhook(receiver.url, secret="hunter2-not-a-whsec")
    [delivery] = deliver("earthquake", published_quake().pk)
    assert delivery.status == "gave_up" and receiver.calls == []
    assert delivery.last_error == "the webhook's secret is unusable: the secret must start with whsec_"
    assert "hunter2" not in delivery.last_error
