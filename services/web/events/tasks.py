"""Web-side Celery tasks: ask the processor whether it is alive, without ever waiting inside a task.

check_processor (beat) records a ProcessorCheck and sends check_broker_connection to the processor's queue
with a link: when a processor runs the check, its worker sends record_processor_answer to our queue. A check
still unanswered after PROCESSOR_CHECK_TIMEOUT means offline (see events.processor_status).
"""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from events.models import ProcessorCheck
from inasafe_web.celery import CHECK_BROKER, app

logger = logging.getLogger(__name__)
KEEP_CHECKS = timedelta(days=2)


@shared_task(name="events.tasks.check_processor", ignore_result=True)
def check_processor() -> int:
    """Send one check with its answer callback; returns the check's id."""
    ProcessorCheck.objects.filter(sent_at__lt=timezone.now() - KEEP_CHECKS).delete()
    check = ProcessorCheck.objects.create()
    answer = record_processor_answer.s(check_id=check.pk).set(queue=settings.WEB_QUEUE)
    # expires: a processor coming back later skips checks nobody waits for any more.
    app.send_task(CHECK_BROKER, queue=settings.PROCESSOR_QUEUE, link=answer,
                  expires=settings.PROCESSOR_CHECK_TIMEOUT)
    return check.pk


@shared_task(name="events.tasks.record_processor_answer", ignore_result=True)
def record_processor_answer(answer, check_id: int) -> None:
    """The processor ran check_broker_connection: record when its answer arrived."""
    if answer is not True:
        logger.warning("processor check %s answered %r, not True; not counted as online", check_id, answer)
        return
    ProcessorCheck.objects.filter(pk=check_id, answered_at__isnull=True).update(answered_at=timezone.now())


# --- notifications (events.dispatch; channels in events.notify_email and events.webhooks) -------------------

SHORT_RETRY = 300  # retries sooner than this are queued with a countdown; later ones wait for the sweep


@shared_task(name="events.tasks.plan_and_send", ignore_result=True)
def plan_and_send(kind: str, pk: int) -> int:
    """Plan a newly published version's deliveries and queue each; returns how many were planned."""
    from events import dispatch

    ids = dispatch.plan(kind, pk)
    for delivery_id in ids:
        send_delivery.apply_async((delivery_id,))
    return len(ids)


@shared_task(name="events.tasks.send_delivery", ignore_result=True)
def send_delivery(delivery_id: int) -> None:
    """One attempt; a failure that wants a quick retry is queued again, a later one is left to the sweep."""
    from events import dispatch

    delivery = dispatch.attempt(delivery_id, due_only=True)
    if delivery is not None and delivery.status == "failed":
        wait = (delivery.next_attempt_at - timezone.now()).total_seconds()
        if wait <= SHORT_RETRY:
            send_delivery.apply_async((delivery_id,), countdown=max(0.0, wait))


@shared_task(name="events.tasks.sweep_notifications", ignore_result=True)
def sweep_notifications() -> None:
    """Beat's backstop: plan what a lost hand-over missed, and send every delivery that is due."""
    from events import dispatch

    for kind, pk in dispatch.recent_versions():
        dispatch.plan(kind, pk)
    for delivery_id in dispatch.due().values_list("pk", flat=True):
        send_delivery.apply_async((delivery_id,))


# --- operators (events.operator_alerts) ---------------------------------------------------------------------


@shared_task(name="events.tasks.watch_processor", ignore_result=True)
def watch_processor() -> None:
    """Beat: email the admins once when the processor falls silent, once when it answers again."""
    from events import operator_alerts

    operator_alerts.watch_processor()
    operator_alerts.resend_unsent()


@shared_task(name="events.tasks.record_event_failure", ignore_result=True)
def record_event_failure(hazard: str, event_id: str, reason: str, source_type: str = "") -> None:
    """Sent by the processor (by name, to this queue) when it gives up on an event: mail the admins once."""
    from events import operator_alerts

    operator_alerts.event_failed(str(hazard), str(event_id), str(reason), str(source_type or ""))
