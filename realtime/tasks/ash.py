"""`realtime.tasks.ash.process_ash`: the web app's ash upload, with InaSAFE Django's keyword arguments (as JSON)."""
import logging

from realtime.ash.event import AshEventError, ash_id
from realtime.ash.volcanoes import VolcanoError
from realtime.runtime.ash_job import build_event, handle_ash
from realtime.runtime.celery_app import app
from realtime.runtime.jobs import BadInput
from realtime.settings import get_settings
from realtime.tasks.common import retry_later, schedule_flush

log = logging.getLogger(__name__)


@app.task(name="realtime.tasks.ash.process_ash", bind=True)
def process_ash(self, ash_file_path=None, volcano_name=None, region=None, latitude=None, longitude=None,
                alert_level=None, event_time=None, eruption_height=None, vent_height=None, forecast_duration=1) -> dict:
    """Copy the forecast raster from the hazard drop, analyse and report it, then push it.

    `event_time` is ISO-8601 with its UTC offset; `vent_height` is the summit's elevation (m a.s.l.);
    `eruption_height` the column above the vent (m). Bad metadata is refused at once, never retried.
    """
    settings = get_settings()
    try:
        event = build_event(volcano_name, event_time, eruption_height, alert_level, forecast_duration,
                            latitude=latitude, longitude=longitude, elevation=vent_height, region=region)
        outcome = handle_ash(settings, ash_file_path, event)
    except (BadInput, AshEventError, VolcanoError) as exc:  # not an event at all: not retried
        log.error("process_ash refused: %s", exc)
        return {"success": False, "status": "failed", "ash_id": None, "error": str(exc)}
    retry_later(self, settings, outcome)
    if outcome.status == "done":
        schedule_flush(settings)
    copied = settings.ashmaps_dir / ash_id(event)
    return {"success": outcome.status in ("done", "already-done", "adopted"), "status": outcome.status,
            "ash_id": ash_id(event), "hazard_path": str(copied), "message": outcome.message}
