"""`realtime shake process|scenario|reprocess`: one ShakeMap, a scenario grid, or events again."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import typer

from realtime.cli.common import console, err_console, fail, print_timings, stop_cleanly_on_sigterm, unexpected
from realtime.settings import get_settings

app = typer.Typer(help="Earthquakes: process BMKG grid.xml ShakeMaps, make scenario grids.", no_args_is_help=True)


class SourceType(str, Enum):
    initial = "initial"
    corrected = "corrected"


def process_grid(grid: Path, analysis_data: Optional[Path], output: Optional[Path], source_type: Optional[str]):
    """Check the grid first, with light imports, so that a refusal is quick; then run the earthquake job."""
    from realtime.earthquake.grid import ShakeGridError, read_shake_grid
    from realtime.ids import folder_event_id

    settings = get_settings()
    stop_cleanly_on_sigterm()
    try:  # inside an event folder, the folder names the event
        checked = read_shake_grid(grid, source_type=source_type, expected_id=folder_event_id(grid))
    except ShakeGridError as exc:
        fail(str(exc))
    from realtime.cli.summary import print_shake_summary
    from realtime.event_folder import holds_earlier_products, set_aside_path
    from realtime.runtime.shake_job import INPUT_ERRORS, run_shake

    target = (output or settings.extract_dir_for(checked.event.source_type)) / checked.event.shake_id
    aside = set_aside_path(target) if holds_earlier_products(target) else None  # where the earlier system's go
    try:
        with console.status("processing") as status:
            result = run_shake(settings, grid, checked, analysis_data=analysis_data, output=output,
                               progress=lambda step: status.update(f"{grid.name}: {step}"))
    except INPUT_ERRORS as exc:
        fail(str(exc))
    except Exception as exc:
        unexpected(grid, exc)
    print_shake_summary(console, result.document, result.folder)
    if aside is not None and aside.is_dir():
        console.print(f"the earlier system's products were set aside, unchanged, in {aside}", markup=False)
    print_timings(result.timings)
    return result


@app.command("process")
def shake_process(
    grid_xml: Path = typer.Argument(..., exists=True, dir_okay=False, help="A grid.xml, or a legacy <id>.out.zip."),
    analysis_data: Optional[Path] = typer.Option(
        None, help="Analysis-data folder (population and places). Default: ANALYSIS_DATA_DIR."
    ),
    output: Optional[Path] = typer.Option(
        None, help="Where <shake_id>/ is written. Default: SHAKEMAPS_EXTRACT_DIR (or the corrected one)."
    ),
    source_type: Optional[SourceType] = typer.Option(
        None, help="Override the source type; by default the long corrected id form means corrected."
    ),
) -> None:
    """Compute exposure, fatalities, places and contours for one ShakeMap, and write the products."""
    process_grid(grid_xml, analysis_data, output, source_type.value if source_type else None)


@app.command("scenario")
def shake_scenario(
    out_dir: Path = typer.Argument(..., help="Folder that receives <shake_id>/grid.xml."),
    magnitude: float = typer.Option(..., help="Moment magnitude."),
    lat: float = typer.Option(..., help="Epicentre latitude, decimal degrees."),
    lon: float = typer.Option(..., help="Epicentre longitude, decimal degrees."),
    depth: float = typer.Option(10.0, help="Hypocentre depth in km."),
    time: Optional[datetime] = typer.Option(
        None, formats=["%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"], help="Origin time in WIB. Default: now."
    ),
    description: str = typer.Option("Scenario", help="Region name, as BMKG's event_description."),
    spacing: float = typer.Option(0.025, help="Node spacing in degrees (BMKG uses 0.025)."),
    half_width: float = typer.Option(2.0, help="Half the grid's width in degrees (BMKG uses 2)."),
) -> None:
    """Write a BMKG-format scenario grid.xml from an intensity prediction equation (AWW 2012)."""
    from realtime.earthquake.scenario import write_scenario

    wib = ZoneInfo("Asia/Jakarta")
    origin = time.replace(tzinfo=wib) if time else datetime.now(wib).replace(microsecond=0)
    try:
        path = write_scenario(out_dir, magnitude, depth, lat, lon, origin, description, spacing, half_width)
    except ValueError as exc:
        fail(str(exc))
    console.print(f"wrote {path}")


@app.command("reprocess")
def reprocess(
    event_id: Optional[str] = typer.Argument(None, help="Shake id to process again."),
    all_events: bool = typer.Option(False, "--all", help="Every event in the watched folders."),
    since: Optional[datetime] = typer.Option(None, formats=["%Y-%m-%d"], help="Events whose folder changed since DATE."),
    source_type: SourceType = typer.Option(SourceType.initial, help="initial or corrected."),
) -> None:
    """Process events again now (same path as the worker), then push them. Exit code 1 when one was not processed."""
    if not (event_id or all_events or since):
        err_console.print("[bold red]error:[/] give a shake id, --all or --since DATE")
        raise typer.Exit(code=2)
    from realtime.runtime.jobs import BadInput
    from realtime.runtime.outbox import flush_outbox
    from realtime.runtime.shake_job import handle_shake, watched_root

    settings = get_settings()
    try:
        root = watched_root(settings, source_type.value)
    except BadInput as exc:
        fail(str(exc))
    if event_id:
        ids = [event_id]
    elif not root.is_dir():
        fail(f"{root}: no such folder (SHAKEMAPS_DIR or SHAKEMAPS_CORRECTED_DIR)")
    else:
        horizon = since.replace(tzinfo=timezone.utc).timestamp() if since else 0
        ids = sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.stat().st_mtime >= horizon)
    not_processed = 0
    for shake_id in ids:
        try:
            outcome = handle_shake(settings, shake_id, None, source_type.value, force=True)
        except BadInput as exc:
            console.print(f"{shake_id}: skipped ({exc})", markup=False)
            not_processed += 1
            continue
        console.print(f"{shake_id}: {outcome.status} {outcome.message}", markup=False)
        not_processed += outcome.status != "done"
    delivered, pending = flush_outbox(settings)
    console.print(f"pushed {delivered}, {pending} waiting in the outbox")
    if not_processed:
        raise typer.Exit(code=1)
