"""The hazards, as one table: what each one's pipeline, job, task, templates and push are.

A new hazard is one more row here, after its core package (`realtime/<hazard>/`),
its pipeline (`pipeline/<hazard>.py`), its job (`runtime/<hazard>_job.py`), its
task (`tasks/<hazard>.py`), its push (`runtime/push.py`) and its report template
(`templates/<hazard>/report.html`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from realtime.pipeline.ash import process_ash
from realtime.pipeline.flood import process_flood
from realtime.pipeline.shake import process_shake
from realtime.runtime import ash_job, flood_job, shake_job
from realtime.runtime.push import ash_record_path, push_ash, push_earthquake, push_flood
from realtime.runtime.rest import RealtimeRest


@dataclass(frozen=True)
class Hazard:
    kind: str  # the ledger's and the outbox's name for it
    id_key: str  # the event id's key in impact.json
    task: str  # the Celery task the monitor and the web app send, by name (never renamed)
    job: Callable  # runtime: settings and a request in, a ledger outcome out
    pipeline: Callable  # input to products and reports, no settings
    template: str  # under the templates folder
    push: Callable[[RealtimeRest, Path], None]
    endpoints: tuple[str, ...]  # the web app's REST paths it writes to
    # The web app's record of one event, from its impact.json, when it is not `<endpoints[0]><id>/[<source type>/]`.
    record: Callable[[dict], str] | None = None


HAZARDS: dict[str, Hazard] = {
    hazard.kind: hazard
    for hazard in (
        Hazard("earthquake", "shake_id", "realtime.tasks.earthquake.process_shake", shake_job.handle_shake,
               process_shake, "earthquake/report.html", push_earthquake,
               ("earthquake/", "earthquake-report/", "indicator/notify_shakemap_push/")),
        Hazard("flood", "flood_id", "realtime.tasks.flood.process_flood", flood_job.handle_flood,
               process_flood, "flood/report.html", push_flood, ("flood/", "flood-report/")),
        Hazard("ash", "ash_id", "realtime.tasks.ash.process_ash", ash_job.handle_ash, process_ash,
               "ash/report.html", push_ash, ("ash/", "ash-report/"), record=ash_record_path),
    )
}
