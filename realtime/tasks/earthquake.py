"""Celery tasks, called by name by the monitor and the web app. Thin: they call the core."""
import logging

from realtime.celery_app import app
from realtime.services import BadInput, Outcome, flush_outbox, handle_shake
from realtime.settings import get_settings

log = logging.getLogger(__name__)


@app.task(name="realtime.tasks.earthquake.process_shake", bind=True)
def process_shake(self, event_id=None, grid_file=None, source_type="initial", force=False) -> dict:
    """Analyse and report one ShakeMap version, then push it (pushes retry on their own)."""
    settings = get_settings()
    try:
        outcome = handle_shake(settings, event_id, grid_file, source_type, force=force)
    except BadInput as exc:  # bad input is not retried
        log.error("process_shake refused: %s", exc)
        return Outcome("failed", message=str(exc)).as_dict()
    retry_later(self, settings, outcome)
    if outcome.status == "done":
        schedule_flush(settings)
    return outcome.as_dict()


def retry_later(task, settings, outcome: Outcome) -> None:
    """A failure that may pass (disk full, an API down) is tried again, later each time, while attempts remain."""
    if outcome.retry:
        countdown = settings.retry_delay * 2 ** task.request.retries
        log.warning("%s: retry in %.0f s", outcome.key.event_id if outcome.key else "task", countdown)
        raise task.retry(countdown=countdown, max_retries=settings.max_attempts)


def schedule_flush(settings) -> None:
    """Deliver now; when the web app is down, try again later from the queue (backoff in the outbox)."""
    from realtime.tasks.push import flush_outbox_task

    delivered, pending = flush_outbox(settings)
    if pending and settings.push_configured:
        flush_outbox_task.apply_async(countdown=5)
