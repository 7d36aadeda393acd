"""Web-side Celery tasks: ask the processor whether it is alive."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from events.models import ProcessorStatus
from inasafe_web.celery import CHECK_BROKER, app


@shared_task(name="events.tasks.check_processor")
def check_processor(timeout: float = 60.0) -> bool:
    """Send check_broker_connection to the processor queue and record whether it answered."""
    try:
        answer = app.send_task(CHECK_BROKER, queue=settings.PROCESSOR_QUEUE).get(timeout=timeout)
        online, detail = bool(answer), ""
    except Exception as exc:  # any failure means offline; the page says why
        online, detail = False, f"{type(exc).__name__}: {exc}"[:255]
    ProcessorStatus.objects.create(online=online, detail=detail)
    return online
