"""Small hand-made ash rasters and layers for the ash places, impact and products tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin

from realtime.ash.volcanoes import Volcano

VOLCANO = Volcano(name="Testberg", latitude=-7.5, longitude=110.5, elevation_m=2000.0, region="Jawa Tengah",
                  timezone="Asia/Jakarta", source="hand-made")
WEST, NORTH, CELL = 110.0, -7.0, 0.01  # 100 x 100 cells of 0.01°: 110-111 E, 8-7 S; the volcano is at the centre
NETCDF_FILL = 9.96921e36


def write_tif(path: Path, values: np.ndarray, transform, crs: str = "EPSG:4326", nodata=None) -> Path:
    profile = {"driver": "GTiff", "width": values.shape[1], "height": values.shape[0], "count": 1,
               "dtype": str(values.dtype), "crs": crs, "transform": transform, "nodata": nodata}
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(values, 1)
    return path


def cell_centre(row: int, col: int) -> tuple[float, float]:
    return WEST + (col + 0.5) * CELL, NORTH - (row + 0.5) * CELL


def lonlat_hazard(path: Path) -> Path:
    """Thickness in blocks: rows 0-49 very high (12 cm) east of the volcano, medium (3 cm) west of it;
    rows 50-99 very low (0.05 cm) west, 0.005 cm (no class) east; one NoData cell at row 10, col 10."""
    values = np.zeros((100, 100), dtype=np.float32)
    values[:50, 50:] = 12.0
    values[:50, :50] = 3.0
    values[50:, :50] = 0.05
    values[50:, 50:] = 0.005
    values[10, 10] = NETCDF_FILL
    return write_tif(path, values, from_origin(WEST, NORTH, CELL, CELL), nodata=NETCDF_FILL)


def points(path: Path, rows: list[dict]) -> Path:
    """A GeoJSON FeatureCollection of points: each row's lon/lat and the rest as properties."""
    features = [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [r["lon"], r["lat"]]},
         "properties": {k: v for k, v in r.items() if k not in ("lon", "lat")}}
        for r in rows
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    return path
