"""`realtime ash process`: one ash-fall forecast raster to impact.json, GIS products and reports."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from realtime.cli.common import console, fail, print_timings, stop_cleanly_on_sigterm, unexpected
from realtime.settings import get_settings


def print_ash_summary(out: Console, document: dict, folder: Path) -> None:
    """What a duty officer wants first: the event, people per class, the worst-hit places, where the files are."""
    volcano, event = document["volcano"], document["event"]
    out.print(f"[bold]{document['ash_id']}[/]: {volcano['name']} ({volcano['latitude']:.3f}, {volcano['longitude']:.3f}, "
              f"{volcano['elevation_m']:.0f} m), {event['time']} {event['timezone']}, alert {event['alert_level']}, "
              f"column {event['column_height_asl_m']:.0f} m a.s.l., {event['forecast_duration_days']} day forecast")
    for ash_class in document["classes"]:
        out.print(f"  {ash_class['label']['en']:<10} {ash_class['people']:>12,.0f} people", markup=False)
    summary = document["summary"]
    out.print(f"  affected {summary['affected']:,.0f}, displaced {summary['displaced']:,.0f}", markup=False)
    for place in document["places"][:5]:
        out.print(f"  {place['name']}: {place['thickness_cm']:.2f} cm ({place['class_key']}), "
                  f"{place['distance_km']:.0f} km {place['direction']}", markup=False)
    out.print(f"products in {folder}: " + ", ".join(
        [document["products"]["hazard"], document["products"]["classes"],
         *(name for names in document["products"].get("reports", {}).values() for name in names.values())]),
        markup=False)


def ash_process(
    hazard_tif: Path = typer.Argument(..., exists=True, dir_okay=False,
                                      help="Ash-fall forecast raster: GeoTIFF of thickness in cm, any CRS."),
    volcano: str = typer.Option(..., help="Volcano name (e.g. Merapi); its position, summit and province come from "
                                          "the packaged table unless --lat/--lon/--elevation are given."),
    lat: Optional[float] = typer.Option(None, help="Summit latitude (needed, with --lon and --elevation, for a "
                                                   "volcano not in the table)."),
    lon: Optional[float] = typer.Option(None, help="Summit longitude."),
    elevation: Optional[float] = typer.Option(None, help="Summit elevation, m above sea level."),
    event_time: str = typer.Option(..., help="Eruption time, ISO-8601 with its UTC offset, "
                                             "e.g. 2017-02-21T19:04:00+07:00."),
    eruption_height: float = typer.Option(..., help="Eruption column height above the vent, m."),
    alert_level: str = typer.Option(..., help="Badan Geologi alert level: normal, waspada, siaga or awas."),
    forecast_duration: int = typer.Option(..., help="Days the forecast covers (1 to 7)."),
    region: Optional[str] = typer.Option(None, help="Province for the report. Default: the volcano's."),
    analysis_data: Optional[Path] = typer.Option(None, help="Analysis-data folder. Default: ANALYSIS_DATA_DIR."),
    output: Optional[Path] = typer.Option(None, help="Where <ash_id>/ is written. Default: REALTIME_ASH_EXTRACT_DIR, else ASHMAPS_DIR/extracted."),
) -> None:
    """Count people under each ash class, find places, airports and land cover under ash, write the hazard as a
    tiled GeoTIFF, the classes as GeoJSON, impact.json and a report per language into OUTPUT/<ash_id>/."""
    from realtime.ash.event import AshEventError
    from realtime.ash.volcanoes import VolcanoError
    from realtime.runtime.ash_job import INPUT_ERRORS, build_event, run_ash

    settings = get_settings()
    stop_cleanly_on_sigterm()
    try:
        event = build_event(volcano, event_time, eruption_height, alert_level, forecast_duration,
                            latitude=lat, longitude=lon, elevation=elevation, region=region)
    except (AshEventError, VolcanoError) as exc:
        fail(str(exc))
    try:
        with console.status("processing") as status:
            result = run_ash(settings, hazard_tif, event, analysis_data=analysis_data, output=output,
                             progress=lambda step: status.update(f"{event.ash_id}: {step}"))
    except INPUT_ERRORS as exc:
        fail(str(exc))
    except Exception as exc:
        unexpected(hazard_tif, exc)
    print_ash_summary(console, result.document, result.folder)
    print_timings(result.timings)
