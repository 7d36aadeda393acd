"""`realtime demo`: the whole earthquake pipeline on an embedded scenario, offline."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import typer

from realtime.cli.common import console
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
    process_grid(grid, data.root, workdir / "shakemaps-extracted", None)
