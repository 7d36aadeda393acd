"""`realtime data init`: the analysis-data folder every analysis reads."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from realtime.cli.common import console
from realtime.settings import get_settings

app = typer.Typer(help="The analysis-data folder (population raster and places).", no_args_is_help=True)


@app.command("init")
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
