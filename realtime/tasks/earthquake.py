"""Celery tasks, called by name by the monitor and the web app. Thin: they call the job."""
import logging

from realtime.runtime.celery_app import app
from realtime.runtime.jobs import BadInput, Outcome
from realtime.runtime.shake_job import handle_shake
from realtime.settings import get_settings
from realtime.tasks.common import retry_later, schedule_flush

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
