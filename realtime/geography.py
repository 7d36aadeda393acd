"""Land and sea for the maps, offline: polygons derived from a 1 km land mask that ships as a package.

The mask is global-land-mask's (MIT), made from NOAA's GLOBE 1 km elevation grid (public domain): a
point is land where GLOBE has an elevation. Loading it costs about 1 GB for a few seconds, so it is
read once, by `realtime data init`, and what the maps need is kept in the analysis-data folder as
GeoJSON (context/land.geojson); the maps only ever read that file.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

Bounds = tuple[float, float, float, float]  # west, south, east, north
INDONESIA: Bounds = (94.0, -12.0, 142.0, 7.0)  # the archipelago with a margin: every BMKG grid lies inside
CELL = 1 / 120  # the mask's resolution, 30 arc-seconds
SOURCE = ("global-land-mask 1.0 (MIT), from NOAA NGDC GLOBE 1 km elevation (public domain); "
          "land where GLOBE has an elevation")


def land_mask(bounds: Bounds = INDONESIA) -> tuple[np.ndarray, tuple[float, float]]:
    """Land (True) over bounds, north-up, and the (west, north) corner of its first cell."""
    from global_land_mask import globe  # heavy: the whole globe, uncompressed

    west, south, east, north = bounds
    rows = slice(int(globe.lat_to_index(north)), int(globe.lat_to_index(south)) + 1)
    cols = slice(int(globe.lon_to_index(west)), int(globe.lon_to_index(east)) + 1)
    land = ~globe._mask[rows, cols]  # the package's mask is True over the ocean (is_ocean reads it as is)
    return np.ascontiguousarray(land), (float(globe._lon[cols.start]) - CELL / 2, float(globe._lat[rows.start]) + CELL / 2)


def land_polygons(mask: np.ndarray, corner: tuple[float, float], tolerance: float, min_cells: int = 1):
    """Land as simplified shapely polygons (lon/lat), islands smaller than min_cells cells left out."""
    from rasterio.features import shapes
    from rasterio.transform import from_origin
    from shapely.geometry import shape

    transform = from_origin(corner[0], corner[1], CELL, CELL)
    polygons = []
    for geometry, value in shapes(mask.astype(np.uint8), mask=mask, transform=transform, connectivity=8):
        polygon = shape(geometry)
        if value and polygon.area >= min_cells * CELL * CELL:
            simplified = polygon.simplify(tolerance, preserve_topology=True)
            if not simplified.is_empty:
                polygons.append(simplified)
    return polygons


def land_geojson(polygons, source: str = SOURCE) -> dict:
    """A FeatureCollection of land polygons, coordinates rounded to ~10 m."""
    from shapely.geometry import mapping

    features = []
    for polygon in polygons:
        geometry = mapping(polygon)
        geometry["coordinates"] = [[[round(x, 4), round(y, 4)] for x, y in ring] for ring in geometry["coordinates"]]
        features.append({"type": "Feature", "properties": {}, "geometry": geometry})
    return {"type": "FeatureCollection", "source": source, "features": features}


def write_land(path: Path, bounds: Bounds = INDONESIA, tolerance: float = 0.004, min_cells: int = 2) -> int:
    """Derive the land polygons for bounds and write them as GeoJSON; returns how many."""
    mask, corner = land_mask(bounds)
    polygons = land_polygons(mask, corner, tolerance, min_cells)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(land_geojson(polygons), separators=(",", ":")), encoding="utf-8")
    return len(polygons)
