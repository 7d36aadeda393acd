"""`realtime flood process`: one flood snapshot, through the same job as the worker's."""

from __future__ import annotations

from datetime import datetime, timezone
from enum import Enum
from pathlib import Path
from typing import Optional

import typer

from realtime.cli.common import console, fail, print_timings, stop_cleanly_on_sigterm, unexpected
from realtime.settings import get_settings

app = typer.Typer(help="Jakarta floods: PetaBencana.id snapshots to affected people and needs.", no_args_is_help=True)


class FloodSource(str, Enum):
    petabencana = "petabencana"
    file = "file"


class Duration(str, Enum):
    one = "1"
    three = "3"
    six = "6"


class Level(str, Enum):
    subdistrict = "subdistrict"
    village = "village"
    rw = "rw"


@app.command("process")
def flood_process(
    source: FloodSource = typer.Option(FloodSource.petabencana, help="Live PetaBencana.id API, or a GeoJSON file."),
    file: Optional[Path] = typer.Option(None, exists=True, dir_okay=False, help="Snapshot file for --source file."),
    flood_id: Optional[str] = typer.Option(
        None, help="YYYYMMDDHH-<1|3|6>-<subdistrict|village|rw> (UTC hour). Default: this hour, --duration, --level."
    ),
    duration: Duration = typer.Option(Duration.six, help="Hours the flood state covers, for the default flood id."),
    level: Level = typer.Option(Level.rw, help="Administrative level of the areas, for the default flood id."),
    analysis_data: Optional[Path] = typer.Option(None, help="Analysis-data folder. Default: ANALYSIS_DATA_DIR."),
    output: Optional[Path] = typer.Option(None, help="Where <flood_id>/ is written. Default: REALTIME_FLOOD_EXTRACT_DIR."),
) -> None:
    """Fetch (or read) the flood state, keep it in FLOODMAPS_DIR, and compute who is affected."""
    from realtime.flood.snapshot import FloodSourceError
    from realtime.ids import FloodIdError
    from realtime.runtime.flood_job import load_flood, resolve_flood_id  # light: the pipeline comes after the checks

    settings = get_settings()
    now = datetime.now(timezone.utc)
    stop_cleanly_on_sigterm()
    try:
        flood_id = resolve_flood_id(now, flood_id, int(duration.value), level.value)
        with console.status("fetching the flood state"):
            raw, snapshot = load_flood(settings, source.value, file)
    except (FloodIdError, FloodSourceError) as exc:
        fail(str(exc))
    from realtime.cli.summary import print_flood_summary
    from realtime.runtime.flood_job import INPUT_ERRORS, run_flood

    try:
        with console.status("analysing") as status:
            result = run_flood(settings, raw, snapshot, flood_id, source.value, file, now=now, analysis_data=analysis_data,
                               output=output, progress=lambda step: status.update(f"{flood_id}: {step}"))
    except (FloodIdError, *INPUT_ERRORS) as exc:
        fail(str(exc))
    except Exception as exc:
        unexpected(file or source.value, exc)
    console.print(f"snapshot kept in {result.snapshot_path}")
    if result.status == "no_impact":
        console.print(f"[bold]No flood impact:[/] {result.message}. No report made, nothing to push.")
        return
    print_flood_summary(console, result.document, result.folder)
    print_timings(result.timings)
