"""`flood process` as one call: analyse, keep the snapshot, write products and reports.

Fetching is done by the caller (CLI or Celery task), which passes the raw
bytes as received and already parsed (so checked); this module reads no
settings and touches no network. The snapshot is kept only once the analysis
has succeeded (or found no impact): a snapshot the analysis cannot use must not
hold the flood id against a later, valid one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from realtime.analysis_data import AnalysisData
from realtime.event_folder import IMPACT_JSON, write_json
from realtime.event_folder import replacing_folder
from realtime.flood.history import check_snapshot, save_snapshot
from realtime.flood.impact import NoFloodImpact, analyse_flood
from realtime.flood.products import write_flood_products
from realtime.flood.snapshot import FloodSnapshot
from realtime.pipeline.steps import Progress, Stopwatch
from realtime.reporting.flood_report import render_flood_reports
from realtime.reporting.map_parts import MapContext
from realtime.reporting.report_parts import default_templates_dir


@dataclass
class FloodResult:
    flood_id: str
    snapshot_path: Path
    status: str  # "done", or "no_impact" when no area has state 2 or more
    message: str = ""
    folder: Path | None = None
    document: dict | None = None
    timings: dict[str, float] = field(default_factory=dict)


def process_flood(
    raw: bytes,
    snapshot: FloodSnapshot,
    flood_id: str,
    source_name: str,
    floodmaps_dir: Path,
    analysis_data: Path,
    output_root: Path,
    now: datetime,
    locales: list[str] | None = None,
    templates_dir: Path | None = None,
    progress: Progress | None = None,
) -> FloodResult:
    clock = Stopwatch(progress)
    check_snapshot(floodmaps_dir, flood_id, raw)  # a conflict is refused before any work
    clock.step("analyse impact")
    data = AnalysisData(Path(analysis_data))
    try:
        impact = analyse_flood(snapshot, flood_id, data, source_name, generated_at=now)
    except NoFloodImpact as nothing:
        stored = save_snapshot(floodmaps_dir, flood_id, raw)
        clock.stop()
        return FloodResult(flood_id, stored, "no_impact", str(nothing), timings=clock.timings)
    clock.step("keep snapshot")
    stored = save_snapshot(floodmaps_dir, flood_id, raw)
    target = Path(output_root) / flood_id
    clock.step("write products")
    with replacing_folder(target) as staging:
        document = write_flood_products(staging, impact, raw)
        if locales:
            clock.step("render reports")
            context = MapContext(population=data.population if data.population.exists() else None, places=None,
                                 basemap=data.basemap, land=data.land, boundaries=data.kelurahan)
            document["products"]["reports"] = render_flood_reports(
                document, staging, locales, context, templates_dir or default_templates_dir(), now
            )
            write_json(staging / IMPACT_JSON, document)
    clock.stop()
    return FloodResult(flood_id, stored, "done", folder=target, document=document, timings=clock.timings)
