"""The `realtime` command: a thin layer over the same functions the services call."""

from __future__ import annotations

import os
import signal
import sys
import threading
from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import typer
from rich.console import Console
from rich.markup import escape

from realtime.settings import get_settings

app = typer.Typer(
    help="InaSAFE Realtime: turn BMKG ShakeMaps and flood data into impact reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
shake_app = typer.Typer(help="Earthquakes: process BMKG grid.xml ShakeMaps, make scenario grids.", no_args_is_help=True)
data_app = typer.Typer(help="The analysis-data folder (population raster and places).", no_args_is_help=True)
flood_app = typer.Typer(help="Jakarta floods: PetaBencana.id snapshots to affected people and needs.", no_args_is_help=True)
app.add_typer(shake_app, name="shake")
app.add_typer(flood_app, name="flood")
app.add_typer(data_app, name="data")

console = Console()
err_console = Console(stderr=True, soft_wrap=True)

# The 2006 Yogyakarta (Bantul) earthquake, USGS origin 2006-05-26 22:53:58 UTC.
DEMO_EVENT = {
    "magnitude": 6.3,
    "lat": -7.961,
    "lon": 110.446,
    "depth_km": 12.5,
    "time": datetime(2006, 5, 26, 22, 53, 58, tzinfo=timezone.utc),
    "description": "Yogyakarta (scenario of the 2006 Bantul earthquake)",
}


class FloodSource(str, Enum):
    petabencana = "petabencana"
    file = "file"


class SourceType(str, Enum):
    initial = "initial"
    corrected = "corrected"


def _fail(message: str) -> None:
    err_console.print("[bold red]error:[/]", escape(message), highlight=False)
    raise typer.Exit(code=2)


def _options():
    from realtime.earthquake.impact import ImpactOptions

    settings = get_settings()
    return ImpactOptions(
        fatality_model=settings.fatality_model,
        places_limit=settings.places_limit,
        location_min_population=settings.location_min_population,
    )


def _run_process(grid: Path, analysis_data: Path, output: Optional[Path], source_type: Optional[str]):
    """Check the grid first, with light imports, so a refusal is quick; then load the pipeline and run it."""
    from realtime.earthquake.grid import ShakeGridError, read_shake_grid
    from realtime.earthquake.shake_id import folder_event_id

    settings = get_settings()
    _stop_cleanly_on_sigterm()
    try:  # inside an event folder, the folder names the event
        checked = read_shake_grid(grid, source_type=source_type, expected_id=folder_event_id(grid))
    except ShakeGridError as exc:
        _fail(str(exc))
    from realtime.pipeline import process_shake
    from realtime.services import INPUT_ERRORS
    from realtime.summary import print_shake_summary

    output = output or settings.extract_dir_for(checked.event.source_type)
    try:
        with console.status("processing") as status:
            result = process_shake(
                grid,
                analysis_data,
                output,
                now=datetime.now(timezone.utc),
                source_type=source_type,
                options=_options(),
                locales=settings.locales,
                templates_dir=settings.templates_dir,
                progress=lambda step: status.update(f"{grid.name}: {step}"),
                grid=checked,
            )
    except INPUT_ERRORS as exc:
        _fail(str(exc))
    except Exception as exc:
        _unexpected(grid, exc)
    print_shake_summary(console, result.document, result.folder)
    timings = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in result.timings.items())
    console.print(f"[dim]{timings}[/]")
    return result


def _unexpected(subject: Path | str, exc: Exception) -> None:
    """Not the input's fault (a full disk, a bug): still one line naming the file, exit 1; REALTIME_DEBUG=1 shows more."""
    if os.environ.get("REALTIME_DEBUG"):
        raise exc
    detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
    err_console.print("[bold red]error:[/]", escape(f"{subject}: {type(exc).__name__}: {detail}"), highlight=False)
    raise typer.Exit(code=1)


def _stop_cleanly_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so the half-written staging folder is removed on the way out."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))


@shake_app.command("process")
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
    settings = get_settings()
    _run_process(grid_xml, analysis_data or settings.analysis_data_dir, output, source_type.value if source_type else None)


@shake_app.command("scenario")
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
        _fail(str(exc))
    console.print(f"wrote {path}")


@flood_app.command("process")
def flood_process(
    source: FloodSource = typer.Option(FloodSource.petabencana, help="Live PetaBencana.id API, or a GeoJSON file."),
    file: Optional[Path] = typer.Option(None, exists=True, dir_okay=False, help="Snapshot file for --source file."),
    flood_id: Optional[str] = typer.Option(
        None, help="YYYYMMDDHH-<1|3|6>-<subdistrict|village|rw> (UTC hour). Default: this hour, 6, rw."
    ),
    analysis_data: Optional[Path] = typer.Option(None, help="Analysis-data folder. Default: ANALYSIS_DATA_DIR."),
    output: Optional[Path] = typer.Option(None, help="Where <flood_id>/ is written. Default: REALTIME_FLOOD_EXTRACT_DIR."),
) -> None:
    """Fetch (or read) the flood state, keep it in FLOODMAPS_DIR, and compute who is affected."""
    from realtime.analysis_data import AnalysisDataError
    from realtime.flood.flood_id import FloodIdError, flood_id_for
    from realtime.flood.history import SnapshotConflict
    from realtime.flood.snapshot import FloodSourceError
    from realtime.flood_sources import load_snapshot, source_name

    settings = get_settings()
    now = datetime.now(timezone.utc)
    _stop_cleanly_on_sigterm()
    try:
        flood_id = flood_id or flood_id_for(now)
        with console.status("fetching the flood state") as status:
            raw, snapshot = load_snapshot(
                source.value, file=file, url=settings.petabencana_url, params=settings.petabencana_params,
                timeout=settings.petabencana_timeout,
            )
            from realtime.flood_pipeline import process_flood  # after the checks: a refusal stays quick

            result = process_flood(
                raw, snapshot, flood_id, source_name(source.value, file),
                settings.floodmaps_dir, analysis_data or settings.analysis_data_dir, output or settings.flood_extract_dir,
                now=now, locales=settings.locales, templates_dir=settings.templates_dir,
                progress=lambda step: status.update(f"{flood_id}: {step}"),
            )
    except (FloodIdError, FloodSourceError, SnapshotConflict, AnalysisDataError) as exc:
        _fail(str(exc))
    except Exception as exc:
        _unexpected(file or source.value, exc)
    from realtime.summary import print_flood_summary

    console.print(f"snapshot kept in {result.snapshot_path}")
    if result.status == "no_impact":
        console.print(f"[bold]No flood impact:[/] {result.message}. No report made, nothing to push.")
        return
    print_flood_summary(console, result.document, result.folder)


@data_app.command("init")
def data_init(
    directory: Optional[Path] = typer.Argument(None, help="Target folder. Default: ANALYSIS_DATA_DIR."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the folder is complete."),
) -> None:
    """Build a demo analysis-data folder (GeoNames towns and an approximate population raster)."""
    from realtime.demo_data import init_demo_analysis_data

    target = directory or get_settings().analysis_data_dir
    with console.status(f"building demo analysis data in {target}"):
        data = init_demo_analysis_data(target, overwrite=force)
    console.print(f"analysis data ready in {data.root} (see {data.root / 'README.md'})")


@app.command("demo")
def demo(
    workdir: Path = typer.Option(Path("var/demo"), help="Folder for the demo's scenario grid and products."),
) -> None:
    """Run the whole earthquake pipeline on a scenario of the 2006 Yogyakarta M6.3 quake, offline."""
    from realtime.demo_data import init_demo_analysis_data
    from realtime.earthquake.scenario import write_scenario

    settings = get_settings()
    with console.status("preparing demo analysis data"):
        data = init_demo_analysis_data(settings.analysis_data_dir)
    grid = write_scenario(workdir / "shakemaps", **DEMO_EVENT)
    console.print(f"scenario ShakeMap: {grid}")
    _run_process(grid, data.root, workdir / "shakemaps-extracted", None)


import realtime.cli_services  # noqa: E402,F401  (registers the service commands)


def main() -> None:
    app()


if __name__ == "__main__":
    from realtime.cli import main as importable_main  # the module the service commands register on

    importable_main()
