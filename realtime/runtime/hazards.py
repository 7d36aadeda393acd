"""The hazards, as one table: what each one's pipeline, job, task, templates and push are.

A new hazard is one more row here, after its core package (`realtime/<hazard>/`),
its pipeline (`pipeline/<hazard>.py`), its job (`runtime/<hazard>_job.py`), its
task (`tasks/<hazard>.py`), its push (`runtime/push.py`) and its report template
(`templates/<hazard>/report.html`).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from realtime.runtime.push import ash_record_path, push_ash, push_earthquake, push_flood
from realtime.runtime.rest import RealtimeRest


@dataclass(frozen=True)
class Deferred:
    """A function named by module and attribute, imported on first call: the pipelines pull in the whole geo stack
    (seconds), which `realtime push`, `status` and the outbox never need."""

    module: str
    name: str

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return getattr(importlib.import_module(self.module), self.name)(*args, **kwargs)


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
        Hazard("earthquake", "shake_id", "realtime.tasks.earthquake.process_shake",
               Deferred("realtime.runtime.shake_job", "handle_shake"),
               Deferred("realtime.pipeline.shake", "process_shake"), "earthquake/report.html", push_earthquake,
               ("earthquake/", "earthquake-report/", "indicator/notify_shakemap_push/")),
        Hazard("flood", "flood_id", "realtime.tasks.flood.process_flood",
               Deferred("realtime.runtime.flood_job", "handle_flood"), Deferred("realtime.pipeline.flood", "process_flood"),
               "flood/report.html", push_flood, ("flood/", "flood-report/")),
        Hazard("ash", "ash_id", "realtime.tasks.ash.process_ash", Deferred("realtime.runtime.ash_job", "handle_ash"),
               Deferred("realtime.pipeline.ash", "process_ash"), "ash/report.html", push_ash, ("ash/", "ash-report/"),
               record=ash_record_path),
    )
}
