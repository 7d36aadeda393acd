"""The web app's side of Celery: schedule flood requests and check the processor.

Processor tasks are sent by name (send_task) with JSON arguments; this project
imports no processor code, so the web image can be deployed on its own.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab
from django.conf import settings

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inasafe_web.settings")

PROCESS_FLOOD = "realtime.tasks.flood.process_flood"
PROCESS_ASH = "realtime.tasks.ash.process_ash"  # sent by the ash upload page (events.ash_upload)
CHECK_BROKER = "realtime.tasks.generic.check_broker_connection"

app = Celery("inasafe_web")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_default_queue=settings.WEB_QUEUE,
    broker_connection_retry_on_startup=True,
    beat_schedule={
        "process-hourly-flood-report": {
            "task": PROCESS_FLOOD,
            "schedule": crontab(minute=settings.FLOOD_SCHEDULE_MINUTE),
            "options": {"queue": settings.PROCESSOR_QUEUE},
            "kwargs": {},
        },
        "check-processor": {  # sends the check and returns at once; the answer comes back as a task
            "task": "events.tasks.check_processor",
            "schedule": settings.PROCESSOR_CHECK_SECONDS,
            "options": {"queue": settings.WEB_QUEUE, "expires": settings.PROCESSOR_CHECK_SECONDS},
        },
        "sweep-notifications": {  # plans what a lost hand-over missed and sends due retries
            "task": "events.tasks.sweep_notifications",
            "schedule": settings.NOTIFY_SWEEP_SECONDS,
            "options": {"queue": settings.WEB_QUEUE, "expires": settings.NOTIFY_SWEEP_SECONDS},
        },
        "watch-processor": {  # emails the admins once per outage (PROCESSOR_SILENT_MINUTES) and when it ends
            "task": "events.tasks.watch_processor",
            "schedule": settings.PROCESSOR_CHECK_SECONDS,
            "options": {"queue": settings.WEB_QUEUE, "expires": settings.PROCESSOR_CHECK_SECONDS},
        },
    },
)
app.autodiscover_tasks()
