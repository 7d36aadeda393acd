import logging

from realtime.celery_app import app
from realtime.services import BadInput, Outcome, flush_outbox, handle_shake
from realtime.settings import get_settings

log = logging.getLogger(__name__)


@app.task(name="realtime.tasks.earthquake.process_shake", bind=True, max_retries=3)
def process_shake(self, event_id=None, grid_file=None, source_type="initial", force=False) -> dict:
    """Analyse and report one ShakeMap version, then push it (pushes retry on their own)."""
    settings = get_settings()
    try:
        outcome = handle_shake(settings, event_id, grid_file, source_type, force=force)
    except BadInput as exc:  # bad input is not retried
        log.error("process_shake refused: %s", exc)
        return Outcome("failed", message=str(exc)).as_dict()
    if outcome.status == "done":
        schedule_flush(settings)
    return outcome.as_dict()


def schedule_flush(settings) -> None:
    """Deliver now; when the web app is down, try again later from the queue (backoff in the outbox)."""
    from realtime.tasks.push import flush_outbox_task

    delivered, pending = flush_outbox(settings)
    if pending and settings.push_configured:
        flush_outbox_task.apply_async(countdown=5)
