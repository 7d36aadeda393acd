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
