"""The processor's Celery app: reliable delivery, JSON only.

Tasks are acknowledged after they finish (acks_late) and requeued when a
worker dies, so a crash never loses an event; every task is idempotent, so a
redelivery is harmless. Redis is the production broker; `sqla+sqlite:///…`
works for one machine with no Redis.
"""

from __future__ import annotations

from celery import Celery

from realtime.settings import get_settings

QUEUE = "inasafe-realtime"


def result_backend_for(broker_url: str) -> str:
    if broker_url.startswith("sqla+"):
        return "db+" + broker_url[len("sqla+"):]
    return broker_url


def transport_options(broker_url: str, visibility: int) -> dict:
    """Redis redelivers an unacknowledged task after `visibility` seconds; it must exceed the longest task."""
    if not broker_url.startswith(("redis://", "rediss://")):
        return {}  # the SQLAlchemy transport passes its options to create_engine
    return {"visibility_timeout": visibility, "unacked_restore_interval": max(1, min(10, visibility // 10)),
            "unacked_restore_throttle": 1}


def make_app() -> Celery:
    settings = get_settings()
    visibility = settings.visibility_timeout or max(3600, 2 * settings.task_time_limit)
    app = Celery("realtime", fixups=[], include=["realtime.tasks.earthquake", "realtime.tasks.flood", "realtime.tasks.ash", "realtime.tasks.generic", "realtime.tasks.push"])
    app.conf.update(
        broker_url=settings.broker_url,
        result_backend=settings.result_backend or result_backend_for(settings.broker_url),
        result_expires=7 * 24 * 3600,
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],  # pickle is refused
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        worker_concurrency=1,
        task_soft_time_limit=settings.task_soft_time_limit,
        task_time_limit=settings.task_time_limit,
        # Redis redelivers an unacknowledged task after this; it must exceed the longest task.
        broker_transport_options=transport_options(settings.broker_url, visibility),
        worker_cancel_long_running_tasks_on_connection_loss=True,
        broker_connection_retry_on_startup=True,
        task_default_queue=QUEUE,
        task_routes={"realtime.tasks.*": {"queue": QUEUE}},
        worker_hijack_root_logger=False,
    )
    return app


app = make_app()
