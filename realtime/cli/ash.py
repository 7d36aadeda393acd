"""`realtime ash ...`: volcanic ash fall. Each command is one @app.command; shared option handling lives here."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Optional
from zoneinfo import ZoneInfo

import typer

from realtime.cli.common import console, fail, unexpected

app = typer.Typer(help="Volcanic ash fall: ash-fall forecast rasters to affected people, scenario rasters.",
                  no_args_is_help=True)


def resolve_volcano(name: str, lat: Optional[float], lon: Optional[float], elevation: Optional[float]):
    """The packaged volcano called name, or one placed by --lat/--lon/--elevation (all three, or none)."""
    from realtime.ash.volcanoes import Volcano, VolcanoError, find_volcano

    given = [value is not None for value in (lat, lon, elevation)]
    if any(given) and not all(given):
        fail("give all of --lat, --lon and --elevation, or none to use the packaged volcano table")
    if all(given):
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and -500 <= elevation <= 9000):
            fail(f"volcano position {lat}, {lon}, {elevation} m is not on Earth")
        return Volcano(name=name, latitude=lat, longitude=lon, elevation_m=elevation)
    try:
        return find_volcano(name)
    except VolcanoError as exc:
        fail(str(exc))


def event_time(text: Optional[str], volcano) -> datetime:
    """An ISO-8601 time with its offset (a naive one is read on the volcano's clock); default now, to the minute."""
    zone = ZoneInfo(volcano.timezone)
    if text is None:
        return datetime.now(zone).replace(second=0, microsecond=0)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        fail(f"event time {text[:40]!r} is not ISO-8601, e.g. 2017-02-21T19:04+07:00")
    return moment if moment.utcoffset() is not None else moment.replace(tzinfo=zone)


@app.command("scenario")
def ash_scenario_command(
    out_dir: Path = typer.Argument(..., help="Folder that receives <ash_id>-hazard.tif."),
    volcano: str = typer.Option(..., help="Volcano name from the packaged table (e.g. Merapi), or any name with --lat/--lon/--elevation."),
    column_height_km: float = typer.Option(..., help="Eruption column height ABOVE THE VENT, km (0.5-45)."),
    volume_km3: float = typer.Option(..., help="Erupted volume, km3 dense-rock equivalent (DRE, x 2500 kg/m3 = mass)."),
    wind_speed: float = typer.Option(..., help="Wind speed, m/s (one wind at every height)."),
    wind_direction: float = typer.Option(
        ..., help="Direction the wind blows FROM, degrees clockwise from north (meteorological): 90 = east wind, ash drifts west."
    ),
    time: Optional[str] = typer.Option(None, help="Event time, ISO-8601 (offset optional: the volcano's clock). Default: now."),
    resolution: Optional[float] = typer.Option(None, help="Cell size in degrees. Default: about 300 cells along the plume."),
    lat: Optional[float] = typer.Option(None, help="Vent latitude, for a volcano not in the table."),
    lon: Optional[float] = typer.Option(None, help="Vent longitude, for a volcano not in the table."),
    elevation: Optional[float] = typer.Option(None, help="Summit elevation, m above sea level, for a volcano not in the table."),
) -> None:
    """Write a plausible ash-fall thickness GeoTIFF (cm, EPSG:4326, NoData 9.96921e36) from a simplified Tephra2 model.

    For drills, demos and tests: one uniform wind and a fixed grain-size mix, not a forecast.
    """
    from realtime.ash.event import AshEvent, AshEventError
    from realtime.ash.scenario import MAGMA_DENSITY, ScenarioError, mass_eruption_rate_kg_s, write_scenario

    place = resolve_volcano(volcano, lat, lon, elevation)
    moment = event_time(time, place)
    try:
        # Only the time and the volcano name the file; the alert level and duration are placeholders.
        name = AshEvent(place, moment, column_height_km * 1000.0, "awas", 1).ash_id
    except AshEventError as exc:
        fail(str(exc))
    try:
        path = write_scenario(out_dir, name, place, column_height_km, volume_km3, wind_speed, wind_direction, resolution)
    except ScenarioError as exc:
        fail(str(exc))
    except Exception as exc:
        unexpected(out_dir, exc)
    import rasterio

    with rasterio.open(path) as src:
        band = src.read(1, masked=True)
    hours = volume_km3 * 1e9 * MAGMA_DENSITY / mass_eruption_rate_kg_s(column_height_km) / 3600.0
    console.print(f"wrote {path}")
    console.print(f"max thickness {float(band.max()):.2f} cm on {band.shape[1]} x {band.shape[0]} cells of {src.res[0]:g} deg")
    console.print(f"at Mastin et al. (2009)'s eruption rate for this column, the volume erupts in {hours:.1f} h")


from realtime.cli.ash_process import ash_process  # noqa: E402 (the process command lives in its own module)

app.command("process")(ash_process)
