"""`realtime demo`: the whole earthquake and ash pipelines on embedded scenarios, offline."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer

from realtime.cli.common import console, print_timings
from realtime.cli.shake import process_grid
from realtime.settings import get_settings

# The 2006 Yogyakarta (Bantul) earthquake, USGS origin 2006-05-26 22:53:58 UTC.
DEMO_EVENT = {
    "magnitude": 6.3,
    "lat": -7.961,
    "lon": 110.446,
    "depth_km": 12.5,
    "time": datetime(2006, 5, 26, 22, 53, 58, tzinfo=timezone.utc),
    "description": "Yogyakarta (scenario of the 2006 Bantul earthquake)",
}
# Merapi's paroxysm of 5 November 2010 (local time), as a simplified Tephra2 scenario: a 10 km column above the
# vent, 0.01 km3 DRE, an east wind of 10 m/s (the ash drifts west, over Magelang).
DEMO_ASH = {"volcano": "Merapi", "time": "2010-11-05T00:05:00+07:00", "column_height_km": 10.0, "volume_km3": 0.01,
            "wind_speed_ms": 10.0, "wind_direction_deg": 90.0, "alert_level": "awas", "forecast_duration_days": 1}


def demo(
    workdir: Path = typer.Option(Path("var/demo"), help="Folder for the demo's scenario grid and products."),
) -> None:
    """Run the whole earthquake pipeline on a scenario of the 2006 Yogyakarta M6.3 quake, then the ash pipeline on
    a scenario of Merapi's 2010 eruption, offline."""
    from realtime.demo_data import init_demo_analysis_data
    from realtime.earthquake.scenario import write_scenario

    settings = get_settings()
    with console.status("preparing demo analysis data"):
        data = init_demo_analysis_data(settings.analysis_data_dir)
    grid = write_scenario(workdir / "shakemaps", **DEMO_EVENT)
    console.print(f"scenario ShakeMap: {grid}")
    process_grid(grid, data.root, workdir / "shakemaps-extracted", None)
    ash_demo(workdir, data.root)


def ash_demo(workdir: Path, analysis_data: Path) -> None:
    """Scenario raster (`realtime ash scenario`), then `realtime ash process` on it."""
    from realtime.ash.scenario import write_scenario
    from realtime.cli.ash_process import print_ash_summary
    from realtime.runtime.ash_job import build_event, run_ash

    event = build_event(DEMO_ASH["volcano"], DEMO_ASH["time"], DEMO_ASH["column_height_km"] * 1000.0,
                        DEMO_ASH["alert_level"], DEMO_ASH["forecast_duration_days"])
    with console.status("writing the ash scenario"):
        raster = write_scenario(workdir / "ashmaps", event.ash_id, event.volcano, DEMO_ASH["column_height_km"],
                                DEMO_ASH["volume_km3"], DEMO_ASH["wind_speed_ms"], DEMO_ASH["wind_direction_deg"])
    console.print(f"scenario ash fall: {raster}", markup=False)
    with console.status("processing the ash fall") as status:
        result = run_ash(get_settings(), raster, event, analysis_data=analysis_data,
                         output=workdir / "ashmaps-extracted", progress=lambda step: status.update(f"ash: {step}"))
    print_ash_summary(console, result.document, result.folder)
    print_timings(result.timings)
