"""Machine-readable products of one event, written into its (staging) folder."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import rasterio

from realtime.earthquake.grid import ShakeGrid
from realtime.earthquake.impact import ShakeImpact
from realtime.earthquake.places import PlaceImpact
from realtime.event_folder import IMPACT_JSON, write_json

MMI_TIF = "mmi.tif"
CONTOURS = "contours.geojson"
PLACES = "places.geojson"
POPULATION_PREVIEW = "population.tif"


def write_mmi_tif(path: Path, grid: ShakeGrid) -> None:
    """MMI on the ShakeMap lattice as a tiled, compressed GeoTIFF."""
    spec = grid.spec
    profile = {
        "driver": "GTiff",
        "width": spec.nlon,
        "height": spec.nlat,
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": spec.transform,
        "tiled": True,
        "blockxsize": 128,
        "blockysize": 128,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(grid.mmi.astype(np.float32), 1)
        dataset.update_tags(SHAKE_ID=grid.event.shake_id, SOURCE_TYPE=grid.event.source_type, FIELD="MMI")


def places_geojson(places: list[PlaceImpact]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [place.longitude, place.latitude]},
                "properties": {k: v for k, v in place.as_dict().items() if k not in ("longitude", "latitude")},
            }
            for place in places
        ],
    }


def write_population_preview(path: Path, people: np.ndarray, transform) -> None:
    """People summed onto a coarse grid over the footprint: the map's background, no second read."""
    profile = {
        "driver": "GTiff", "width": people.shape[1], "height": people.shape[0], "count": 1, "dtype": "float32",
        "crs": "EPSG:4326", "transform": transform, "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(people.astype(np.float32), 1)
        dataset.update_tags(UNITS="persons per cell")


def write_products(folder: Path, impact: ShakeImpact, generated_at: datetime | None, input_file: Path | None = None) -> dict:
    """Write the products and record them in impact.json; returns the document written."""
    folder = Path(folder)
    write_mmi_tif(folder / MMI_TIF, impact.grid)
    write_json(folder / CONTOURS, impact.contours)
    write_json(folder / PLACES, places_geojson(impact.places))
    products = {"mmi": MMI_TIF, "contours": CONTOURS, "places": PLACES}
    if impact.exposure.preview is not None:
        write_population_preview(folder / POPULATION_PREVIEW, impact.exposure.preview, impact.exposure.preview_transform)
        products["population"] = POPULATION_PREVIEW
    document = impact.as_dict(generated_at=generated_at)
    document["products"] = products
    if input_file is not None:  # which grid version these products come from: the monitor's "done" marker
        document["input"] = {"file": str(input_file), "sha256": impact.grid.sha256}
    write_json(folder / IMPACT_JSON, document)
    return document
