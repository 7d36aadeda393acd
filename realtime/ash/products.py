"""The ash event's files for GIS users and the web map: the hazard as a tiled GeoTIFF, the classes as polygons."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import rasterio
from rasterio.features import shapes
from rasterio.warp import transform_geom

from realtime.ash.classes import ASH_CLASSES, classify
from realtime.ash.hazard import AshHazard
from realtime.event_folder import write_json

HAZARD_TIF = "ash_fall.tif"  # the name the original stack used, so old links and habits still work
CLASSES_GEOJSON = "ash_classes.geojson"
BLOCK = 256
DECIMALS = 6  # about 0.1 m: a cell edge stays where the raster puts it


def write_hazard_tif(hazard: AshHazard, path: Path, tags: dict[str, str] | None = None) -> None:
    """Thickness (cm) in the hazard's CRS, north-up, tiled and compressed: a map or QGIS reads only what it shows."""
    height, width = hazard.thickness.shape
    profile = {
        "driver": "GTiff", "width": width, "height": height, "count": 1, "dtype": "float32",
        "crs": hazard.crs, "transform": hazard.transform, "nodata": float("nan"),
        "tiled": True, "blockxsize": BLOCK, "blockysize": BLOCK, "compress": "deflate", "predictor": 3,
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(hazard.thickness.astype(np.float32), 1)
        dataset.update_tags(UNITS="cm", FIELD="ash fall thickness", **(tags or {}))


def class_shapes(hazard: AshHazard) -> Iterator[tuple[dict, int]]:
    """(polygon in the hazard's CRS, class index) for each connected patch of one ash class."""
    classes = classify(hazard.thickness).astype(np.int16)  # shapes takes no int8
    inside = classes >= 0
    for geometry, value in shapes(classes, mask=inside, transform=hazard.transform, connectivity=4):
        yield geometry, int(value)


def _rounded(rings: list) -> list:
    return [[[round(x, DECIMALS), round(y, DECIMALS)] for x, y in ring] for ring in rings]


def class_polygons(hazard: AshHazard) -> dict:
    """One MultiPolygon feature per ash class present, in lon/lat, worst class last (drawn on top)."""
    parts: dict[int, list] = {}
    for geometry, index in class_shapes(hazard):
        lonlat = transform_geom(hazard.crs, "EPSG:4326", geometry)
        parts.setdefault(index, []).append(_rounded(lonlat["coordinates"]))
    features = []
    for index in sorted(parts):
        ash_class = ASH_CLASSES[index]
        features.append({
            "type": "Feature",
            "geometry": {"type": "MultiPolygon", "coordinates": parts[index]},
            "properties": {
                "key": ash_class.key, "label": dict(ash_class.label), "colour": ash_class.colour,
                "min_cm": ash_class.min_cm, "max_cm": ash_class.max_cm,
            },
        })
    return {"type": "FeatureCollection", "features": features}


def write_class_polygons(hazard: AshHazard, path: Path) -> None:
    write_json(path, class_polygons(hazard))
