"""Operators hear by email (a real SMTP server, aiosmtpd on 127.0.0.1) when the processor falls silent and when
it gives up on an event, once each.

The silence is read from ProcessorCheck rows as the beat check writes them. A failure travels as the processor
sends it: a Celery message by name on the web app's queue in redis, run by the web app's own worker.
"""

from __future__ import annotations

import base64
import json
import sys
from contextlib import contextmanager
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from celery import Celery
from django.test import override_settings
from django.utils import timezone

from events import operator_alerts
from events.models import OperatorAlert, ProcessorCheck
from events.tasks import record_event_failure
from servers import WEB, free_port, manage, redis_server, wait_until
from stack import Stack

ADMIN = "duty@bnpb.example.org"


class Inbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=default_policy)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"

    def subjects(self) -> list[str]:
        return [str(message["Subject"]) for message in self.messages]


@contextmanager
def smtp_server(port: int | None = None):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


def mail_settings(port: int):
    return override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                             EMAIL_PORT=port, EMAIL_USE_TLS=False, EMAIL_USE_SSL=False, EMAIL_TIMEOUT=10,
                             ADMINS=[("Duty officer", ADMIN)], PROCESSOR_SILENT_MINUTES=15,
                             PROCESSOR_CHECK_TIMEOUT=60)


@pytest.fixture
def inbox():
    with smtp_server() as (inbox, port), mail_settings(port):
        yield inbox


def checks(now, answered_minutes_ago: list[float], unanswered_minutes_ago: list[float]) -> None:
    """ProcessorCheck rows as the beat writes them: each answered one got its answer a second later."""
    for minutes in answered_minutes_ago:
        sent = now - timedelta(minutes=minutes)
        ProcessorCheck.objects.create(sent_at=sent, answered_at=sent + timedelta(seconds=1))
    for minutes in unanswered_minutes_ago:
        ProcessorCheck.objects.create(sent_at=now - timedelta(minutes=minutes))


@pytest.mark.django_db
def test_one_email_per_outage_and_one_when_the_processor_answers_again(inbox):
    now = timezone.now()
    checks(now, answered_minutes_ago=[44, 42, 40], unanswered_minutes_ago=[38, 36, 34, 32, 30])
    assert operator_alerts.watch_processor(now) == operator_alerts.SILENT
    [message] = inbox.messages
    assert message["X-Envelope-To"] == ADMIN and ADMIN in message["To"]
    assert "Processor silent for 38 minutes" in message["Subject"]  # since the first unanswered check
    body = message.get_content()
    assert "has not answered" in body and "WIB" in body and "UTC" in body

    # The beat runs again and again while the outage lasts: no more email.
    checks(now, [], [28, 26, 24])
    for later in (1, 5, 60, 600):
        assert operator_alerts.watch_processor(now + timedelta(minutes=later)) is None
    assert len(inbox.messages) == 1

    # An answer: one "back online" email, once.
    back = now + timedelta(minutes=601)
    ProcessorCheck.objects.create(sent_at=back - timedelta(seconds=2), answered_at=back)
    assert operator_alerts.watch_processor(back) == operator_alerts.BACK
    assert operator_alerts.watch_processor(back + timedelta(minutes=1)) is None
    assert len(inbox.messages) == 2 and "Processor back online" in inbox.messages[1]["Subject"]

    # A second outage is a new subject: one more email.
    later = back + timedelta(hours=1)
    ProcessorCheck.objects.create(sent_at=later - timedelta(minutes=20))
    assert operator_alerts.watch_processor(later) == operator_alerts.SILENT
    assert operator_alerts.watch_processor(later + timedelta(minutes=5)) is None
    assert len(inbox.messages) == 3 and "silent for 20 minutes" in inbox.messages[2]["Subject"]
    assert OperatorAlert.objects.filter(sent_at__isnull=False).count() == 3


@pytest.mark.django_db
def test_a_short_silence_or_a_check_still_within_its_timeout_mails_nobody(inbox):
    now = timezone.now()
    checks(now, answered_minutes_ago=[20], unanswered_minutes_ago=[14, 12])  # silent for 14 of the 15 minutes
    assert operator_alerts.watch_processor(now) is None
    ProcessorCheck.objects.all().delete()
    checks(now, [], [0.5])  # the only check was sent 30 s ago: its timeout has not passed
    assert operator_alerts.watch_processor(now) is None
    assert inbox.messages == [] and not OperatorAlert.objects.exists()


@pytest.mark.django_db
def test_an_alert_whose_email_failed_is_sent_when_smtp_is_back():
    port = free_port()  # nothing listens yet
    with mail_settings(port):
        now = timezone.now()
        checks(now, [60], [50, 40])
        assert operator_alerts.watch_processor(now) == operator_alerts.SILENT
        alert = OperatorAlert.objects.get()
        assert alert.sent_at is None
        assert operator_alerts.watch_processor(now + timedelta(minutes=2)) is None  # the outage is raised already
        with smtp_server(port) as (inbox, _):
            assert operator_alerts.resend_unsent(now + timedelta(minutes=3)) == 1
            assert operator_alerts.resend_unsent(now + timedelta(minutes=4)) == 0
        assert len(inbox.messages) == 1 and "Processor silent" in inbox.messages[0]["Subject"]
        assert OperatorAlert.objects.get().sent_at is not None


@pytest.mark.django_db
def test_the_failure_task_mails_once_per_event_and_refuses_bad_ids(inbox):
    reason = "grid.xml: not a ShakeMap grid (attempt 1 of 3; not retried)"
    record_event_failure("earthquake", "20180220163351", reason, "initial")
    record_event_failure("earthquake", "20180220163351", "again", "initial")  # redelivered or reprocessed
    record_event_failure("flood", "2026112905-6-rw", "PetaBencana unreachable\nsecond line")
    record_event_failure("ash", "201702211904+0700_Merapi", "ash_fall.tif: no CRS")
    for hazard, event_id in (("earthquake", "../../etc/passwd"), ("volcano", "20180220163351"),
                             ("flood", "2026-11-29"), ("ash", "../201702211904+0700_Merapi")):
        record_event_failure(hazard, event_id, "x")
    assert inbox.subjects() == ["[InaSAFE Realtime] Processing failed: earthquake 20180220163351-initial",
                                "[InaSAFE Realtime] Processing failed: flood 2026112905-6-rw",
                                "[InaSAFE Realtime] Processing failed: ash 201702211904+0700_Merapi"]
    assert reason in inbox.messages[0].get_content()
    assert "PetaBencana unreachable second line" in inbox.messages[1].get_content()  # one line
    assert sorted(OperatorAlert.objects.values_list("key", flat=True)) == [
        "ash:201702211904+0700_Merapi", "earthquake:20180220163351-initial", "flood:2026112905-6-rw"]


# --- the processor's side ------------------------------------------------------------------------------------


def failed_outcome(message: str = "bad grid (attempt 3 of 3; not retried)", retry: bool = False):
    from realtime.runtime.jobs import Outcome
    from realtime.runtime.ledger import EventKey

    return Outcome("failed", EventKey("earthquake", "20180220163351", "initial", "ab" * 32), None, message, retry)


def test_the_processor_puts_the_failure_on_the_web_queue(tmp_path):
    import redis
    from realtime.runtime.web_notice import report_failure

    with redis_server(tmp_path) as url:
        app = Celery("processor-probe", broker=url)
        app.conf.update(task_serializer="json", accept_content=["json"])
        assert report_failure(app, failed_outcome(retry=True)) is False  # will be retried: no notice yet
        assert report_failure(app, failed_outcome("https://user:s3cret@data.example.org/floods refused\n(x)"))
        raw = redis.Redis.from_url(url).lrange("inasafe-django", 0, -1)
    [message] = [json.loads(item) for item in raw]
    assert message["headers"]["task"] == "events.tasks.record_event_failure"
    args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
    assert args == [] and kwargs == {"hazard": "earthquake", "event_id": "20180220163351", "source_type": "initial",
                                     "reason": "https://***@data.example.org/floods refused (x)"}


def test_a_dead_broker_never_breaks_the_processor(caplog):
    from realtime.runtime.web_notice import report_failure

    app = Celery("processor-probe", broker=f"redis://127.0.0.1:{free_port()}/0")
    assert report_failure(app, failed_outcome()) is False
    assert "could not tell the web app that earthquake 20180220163351 failed" in caplog.text


def test_a_refused_grid_reaches_the_admins_through_both_workers(tmp_path):
    """Processor worker → redis → `celery -A inasafe_web worker -Q inasafe-django` → SMTP, as deployed."""
    stack = Stack(tmp_path, tmp_path / "analysis-data")
    folder = stack.shakemaps / "20180220163351"
    folder.mkdir(parents=True)
    (folder / "grid.xml").write_text("<shakemap_grid>not a grid</shakemap_grid>")
    with smtp_server() as (inbox, smtp_port):
        stack.start_redis()
        try:
            env = {**stack.web_env(), "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port),
                   "REALTIME_ADMINS": f"Duty officer <{ADMIN}>"}
            manage(env, "migrate", "-v0")
            stack._spawn("web-worker", [sys.executable, "-m", "celery", "-A", "inasafe_web", "worker", "-Q",
                                        "inasafe-django", "--concurrency", "1", "--loglevel", "INFO"], env, cwd=WEB)
            stack.start_worker()
            stack.send_task("realtime.tasks.earthquake.process_shake", event_id="20180220163351")
            wait_until(lambda: inbox.messages, 120, what="the failure email")
            [message] = inbox.messages
            assert message["Subject"] == "[InaSAFE Realtime] Processing failed: earthquake 20180220163351-initial"
            assert message["X-Envelope-To"] == ADMIN
            assert "not retried" in message.get_content()
            [row] = stack.ledger_rows("20180220163351")
            assert row["state"] == "failed"

            # The same notice again (a redelivery), then another event's: only the other one is mailed.
            client = Celery(broker=stack.redis_url)
            client.conf.update(task_serializer="json", accept_content=["json"])
            for event_id in ("20180220163351", "20180221000000"):
                client.send_task("events.tasks.record_event_failure", queue="inasafe-django",
                                 kwargs={"hazard": "earthquake", "event_id": event_id, "reason": "r",
                                         "source_type": "initial"})
            client.close()
            wait_until(lambda: len(inbox.messages) >= 2, 60, what="the second event's email")
            # One worker runs one task at a time, in queue order: the duplicate was handled before the other.
            assert [m["Subject"] for m in inbox.messages][1].endswith("20180221000000-initial")
            assert len(inbox.messages) == 2
        finally:
            stack.stop_all()
