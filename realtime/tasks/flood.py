import logging

from realtime.celery_app import app
from realtime.flood.flood_id import FloodIdError
from realtime.flood.history import SnapshotConflict, snapshot_path
from realtime.flood.snapshot import FloodSourceError
from realtime.services import BadInput, handle_flood
from realtime.settings import get_settings
from realtime.tasks.earthquake import schedule_flush

log = logging.getLogger(__name__)


@app.task(name="realtime.tasks.flood.process_flood", bind=True, max_retries=3)
def process_flood(self, flood_id=None, time_zone="Asia/Jakarta", data_source="petabencana", data_source_args=None) -> dict:
    """Fetch or read the flood state, keep it, analyse it and push the reports (the web app calls this by name)."""
    settings = get_settings()
    try:
        outcome = handle_flood(settings, flood_id, data_source, data_source_args)
    except FloodSourceError as exc:
        if data_source == "petabencana" and self.request.retries < self.max_retries:
            raise self.retry(exc=exc, countdown=60 * 2 ** self.request.retries)
        log.error("process_flood: %s", exc)
        return {"success": False, "error": str(exc)}
    except (BadInput, FloodIdError, SnapshotConflict) as exc:  # bad input is not retried
        log.error("process_flood refused: %s", exc)
        return {"success": False, "error": str(exc)}
    if outcome.status == "done":
        schedule_flush(settings)
    hazard = snapshot_path(settings.floodmaps_dir, outcome.key.event_id) if outcome.key else None
    return {"success": outcome.status in ("done", "already-done", "no-impact"), "status": outcome.status,
            "flood_id": outcome.key.event_id if outcome.key else flood_id, "hazard_path": str(hazard) if hazard else None,
            "message": outcome.message}
