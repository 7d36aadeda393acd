"""`shake process` as one call: read, analyse, write products, swap the folder.

The CLI, the demo and the Celery task all call `process_shake`; it takes
explicit paths and the time "now", so it reads no settings itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Callable

from realtime.analysis_data import AnalysisData
from realtime.earthquake.grid import ShakeGrid, read_shake_grid
from realtime.earthquake.impact import ImpactOptions, analyse_shake
from realtime.earthquake.places import load_places
from realtime.earthquake.products import write_products
from realtime.event_folder import IMPACT_JSON, replacing_folder, write_json
from realtime.pipeline.steps import Progress, Stopwatch
from realtime.reporting.map_parts import MapContext
from realtime.reporting.report_parts import default_templates_dir
from realtime.reporting.shake_report import render_shake_reports


@dataclass
class ProcessResult:
    folder: Path
    document: dict
    timings: dict[str, float] = field(default_factory=dict)


class GridSuperseded(RuntimeError):
    """The grid file changed while it was processed: these products are stale and are not kept."""


def process_shake(
    grid_path: Path,
    analysis_data: Path,
    output_root: Path,
    now: datetime,
    source_type: str | None = None,
    options: ImpactOptions | None = None,
    locales: list[str] | None = None,
    templates_dir: Path | None = None,
    progress: Progress | None = None,
    expected_id: str | None = None,
    grid: ShakeGrid | None = None,
    still_current: Callable[[], bool] | None = None,
) -> ProcessResult:
    """Process one grid.xml into ``output_root/<shake_id>/``, replacing any earlier run.

    With `locales` empty or None no report is rendered (analysis only). `expected_id` is the
    event folder's id (a grid naming another event is refused); `grid` is the grid already
    read and checked by the caller; `still_current` is asked just before the swap, and when
    the grid changed meanwhile nothing is kept (`GridSuperseded`).
    """
    clock = Stopwatch(progress)
    clock.step("read grid")
    if grid is None:
        grid = read_shake_grid(grid_path, source_type=source_type, expected_id=expected_id)
    clock.step("analyse impact")
    data = AnalysisData(Path(analysis_data))
    impact = analyse_shake(grid, data, options)
    target = Path(output_root) / grid.event.shake_id
    clock.step("write products")
    with replacing_folder(target) as staging:
        document = write_products(staging, impact, generated_at=now, input_file=Path(grid_path))
        if locales:
            clock.step("render reports")
            context = MapContext(population=data.population, places=load_places(data.places), basemap=data.basemap,
                                 land=data.land)
            reports = render_shake_reports(
                document, staging, locales, context, templates_dir or default_templates_dir(), now
            )
            document["products"]["reports"] = reports
            write_json(staging / IMPACT_JSON, document)
        if still_current is not None and not still_current():
            raise GridSuperseded(f"{grid_path}: the grid changed while it was processed; its new version is processed instead")
    clock.stop()
    return ProcessResult(folder=target, document=document, timings=clock.timings)
