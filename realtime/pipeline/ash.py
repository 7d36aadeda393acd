"""`ash process` as one call: analyse the forecast, write products and reports, swap the folder.

The CLI, the demo and the Celery task all call `process_ash` with a raster
already copied where it is kept (the job copies it out of the hazard drop) and
a checked `AshEvent`; it takes explicit paths and the time "now", so it reads
no settings itself. The folder appears whole or not at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from realtime.analysis_data import AnalysisData
from realtime.ash.event import AshEvent
from realtime.ash.impact import CLASSES_GEOJSON, HAZARD_TIF, analyse_ash
from realtime.ash.products import write_class_polygons, write_hazard_tif
from realtime.event_folder import IMPACT_JSON, replacing_folder, write_json
from realtime.pipeline.steps import Progress, Stopwatch
from realtime.reporting.ash_report import render_ash_reports


@dataclass
class AshResult:
    ash_id: str
    folder: Path
    document: dict
    timings: dict[str, float] = field(default_factory=dict)


def process_ash(hazard_path: Path, event: AshEvent, analysis_data: Path, output_dir: Path,
                locales: list[str] | None, progress: Progress | None = None, *, now: datetime | None = None,
                templates_dir: Path | None = None) -> AshResult:
    """Process one ash-fall raster into ``output_dir/<ash_id>/``, replacing any earlier run.

    With `locales` empty or None no report is rendered (analysis and GIS products only).
    """
    now = now or datetime.now(timezone.utc)
    clock = Stopwatch(progress)
    clock.step("analyse impact")
    data = AnalysisData(Path(analysis_data))
    impact = analyse_ash(Path(hazard_path), event, data, generated_at=now)
    target = Path(output_dir) / event.ash_id
    clock.step("write products")
    with replacing_folder(target) as staging:
        write_hazard_tif(impact.hazard, staging / HAZARD_TIF, tags={"ASH_ID": event.ash_id})
        write_class_polygons(impact.hazard, staging / CLASSES_GEOJSON)
        document = impact.document
        if locales:
            clock.step("render reports")
            document["products"]["reports"] = render_ash_reports(document, staging, locales, data, templates_dir,
                                                                 now)
        write_json(staging / IMPACT_JSON, document)
    clock.stop()
    return AshResult(event.ash_id, target, document, clock.timings)
