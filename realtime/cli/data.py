"""`realtime data init`: the analysis-data folder every analysis reads."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from realtime.cli.common import console, fail
from realtime.settings import get_settings

app = typer.Typer(help="The analysis-data folder (population, places, land and sea).", no_args_is_help=True)


@app.command("init")
def data_init(
    directory: Optional[Path] = typer.Argument(None, help="Target folder. Default: ANALYSIS_DATA_DIR."),
    force: bool = typer.Option(False, "--force", help="Rebuild even if the folder is complete."),
    kelurahan: Optional[Path] = typer.Option(
        None, "--kelurahan", exists=True, dir_okay=False,
        help="A polygon layer (shapefile, GeoPackage, GeoJSON) of village boundaries for the flood map.",
    ),
) -> None:
    """Build a demo analysis-data folder (GeoNames towns, an approximate population raster, land polygons, airports).

    A complete folder is kept, but gains context/land.geojson (the maps' land and sea) and
    context/airports.geojson (the ash analysis's airports) when it has none.
    """
    from realtime.demo_data import import_kelurahan, init_demo_analysis_data

    target = directory or get_settings().analysis_data_dir
    with console.status(f"building demo analysis data in {target}"):
        data = init_demo_analysis_data(target, overwrite=force)
    if kelurahan:
        try:
            count = import_kelurahan(data, kelurahan)
        except ValueError as exc:
            fail(str(exc))
        console.print(f"{count} village boundaries in {data.root / 'context' / 'kelurahan.geojson'}")
    console.print(f"analysis data ready in {data.root} (see {data.root / 'README.md'})")
