"""People in each flooded RW: fractional-coverage zonal sums, or a vector layer by area.

RW polygons are small (a few hundred 50 m cells), so the cells cut by their
edges matter: exactextract weighs each cell by the share of it inside the
polygon, where a cell-centre rule would gain or lose whole cells.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import rasterio
from exactextract import exact_extract
from exactextract.raster import NumPyRasterSource
from shapely.geometry.base import BaseGeometry

from realtime.population_blocks import bounds_window, read_block

METRIC_CRS = "EPSG:32748"  # UTM 48S, for areas in Jakarta
POPULATION_FIELD = "population"


def people_per_polygon_raster(polygons: list[BaseGeometry], population_path: str | Path) -> np.ndarray:
    """Sum of the population raster inside each polygon (lon/lat), weighting cut cells by coverage.

    Only the window under the polygons is read, through the shared block reader, so that a negative cell is no
    data here as in every other exposure, whatever NoData the raster declares.
    """
    if not polygons:
        return np.zeros(0)
    frame = gpd.GeoDataFrame({"index": np.arange(len(polygons))}, geometry=list(polygons), crs="EPSG:4326")
    with rasterio.open(population_path) as dataset:
        window = bounds_window(tuple(frame.total_bounds), dataset)
        if dataset.crs and dataset.crs.to_epsg() != 4326:
            frame = frame.to_crs(dataset.crs.to_wkt())
        if window is None:
            return np.zeros(len(polygons))
        west, south, east, north = rasterio.windows.bounds(window, dataset.transform)
        nodata, wkt = dataset.nodata, dataset.crs.to_wkt() if dataset.crs else None
    cells = NumPyRasterSource(read_block(population_path, window, nodata), west, south, east, north, srs_wkt=wkt)
    result = exact_extract(cells, frame, "sum", include_cols=["index"], output="pandas")
    people = np.zeros(len(polygons))
    people[result["index"].to_numpy()] = result["sum"].fillna(0).to_numpy()
    return people


def people_per_polygon_vector(polygons: list[BaseGeometry], population_path: str | Path, field: str = POPULATION_FIELD) -> np.ndarray:
    """Spread each population polygon's people over its area and sum what falls in each flood polygon."""
    if not polygons:
        return np.zeros(0)
    population = gpd.read_file(population_path)
    if field not in population.columns:
        raise ValueError(f"{population_path}: no {field!r} field (has {list(population.columns)})")
    population = population.to_crs(METRIC_CRS)
    population["density"] = population[field].astype(float) / population.geometry.area
    zones = gpd.GeoDataFrame({"index": np.arange(len(polygons))}, geometry=list(polygons), crs="EPSG:4326").to_crs(METRIC_CRS)
    pieces = gpd.overlay(zones, population[["density", "geometry"]], how="intersection", keep_geom_type=True)
    pieces["people"] = pieces["density"] * pieces.geometry.area
    people = np.zeros(len(polygons))
    sums = pieces.groupby("index")["people"].sum()
    people[sums.index.to_numpy()] = sums.to_numpy()
    return people
