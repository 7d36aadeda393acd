import logging

from realtime.flood.history import snapshot_path
from realtime.ids import FloodIdError
from realtime.runtime.celery_app import app
from realtime.runtime.flood_job import handle_flood
from realtime.runtime.jobs import BadInput
from realtime.settings import get_settings
from realtime.tasks.common import retry_later, schedule_flush

log = logging.getLogger(__name__)


@app.task(name="realtime.tasks.flood.process_flood", bind=True)
def process_flood(self, flood_id=None, time_zone="Asia/Jakarta", data_source="petabencana", data_source_args=None) -> dict:
    """Fetch or read the flood state, keep it, analyse it and push the reports (the web app calls this by name)."""
    settings = get_settings()
    try:
        outcome = handle_flood(settings, flood_id, data_source, data_source_args)
    except (BadInput, FloodIdError, ValueError) as exc:  # not an event at all (bad id or arguments): not retried
        log.error("process_flood refused: %s", exc)
        return {"success": False, "status": "failed", "flood_id": flood_id, "error": str(exc)}
    retry_later(self, settings, outcome)
    if outcome.status == "done":
        schedule_flush(settings)
    hazard = snapshot_path(settings.floodmaps_dir, outcome.key.event_id) if outcome.key else None
    return {"success": outcome.status in ("done", "already-done", "adopted", "no-impact"), "status": outcome.status,
            "flood_id": outcome.key.event_id if outcome.key else flood_id, "hazard_path": str(hazard) if hazard else None,
            "message": outcome.message}
