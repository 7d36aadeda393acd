"""The web app's side of Celery: schedule flood requests and check the processor.

Processor tasks are sent by name (send_task) with JSON arguments; this project
imports no processor code, so the web image can be deployed on its own.
"""

from __future__ import annotations

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "inasafe_web.settings")

PROCESS_FLOOD = "realtime.tasks.flood.process_flood"
CHECK_BROKER = "realtime.tasks.generic.check_broker_connection"

app = Celery("inasafe_web")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.update(
    task_serializer="json",
    result_serializer="json",
    accept_content=["json"],
    task_default_queue="inasafe-django",
    broker_connection_retry_on_startup=True,
    beat_schedule={
        "process-hourly-flood-report": {
            "task": PROCESS_FLOOD,
            "schedule": crontab(minute=os.environ.get("REALTIME_FLOOD_SCHEDULE_MINUTE", "0")),
            "options": {"queue": "inasafe-realtime"},
            "kwargs": {},
        },
        "check-processor": {
            "task": "events.tasks.check_processor",
            "schedule": float(os.environ.get("REALTIME_PROCESSOR_CHECK_SECONDS", "120")),
            "options": {"queue": "inasafe-django"},
        },
    },
)
app.autodiscover_tasks()
