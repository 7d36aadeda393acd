"""What every hazard's task does after its job: retry what may pass, then deliver."""

from __future__ import annotations

import logging

from realtime.runtime.jobs import Outcome
from realtime.runtime.outbox import flush_outbox
from realtime.runtime.web_notice import report_failure

log = logging.getLogger(__name__)


def retry_later(task, settings, outcome: Outcome) -> None:
    """A failure that may pass (disk full, an API down) is tried again, later each time, while attempts remain;
    one given up for good is reported to the web app (best effort), which emails the admins."""
    if outcome.retry:
        countdown = settings.retry_delay * 2 ** task.request.retries
        log.warning("%s: retry in %.0f s", outcome.key.event_id if outcome.key else "task", countdown)
        raise task.retry(countdown=countdown, max_retries=settings.max_attempts)
    report_failure(task.app, outcome)  # given up for good: the web app emails the admins


def schedule_flush(settings) -> None:
    """Deliver now; when the web app is down, try again later from the queue (backoff in the outbox)."""
    from realtime.tasks.push import flush_outbox_task

    delivered, pending = flush_outbox(settings)
    if pending and settings.push_configured:
        flush_outbox_task.apply_async(countdown=5)
