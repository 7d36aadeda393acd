"""The ash products: the hazard as a tiled GeoTIFF, and class polygons whose areas are the raster's class areas."""

from __future__ import annotations

import json

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from pyproj import Geod
from rasterio.transform import from_origin
from shapely.geometry import shape

from realtime.ash.classes import ASH_CLASSES
from realtime.ash.hazard import read_ash_hazard
from realtime.ash.products import class_polygons, write_class_polygons, write_hazard_tif
from ash_rasters import NETCDF_FILL, write_tif

WGS84 = Geod(ellps="WGS84")
LEFT, TOP, CELL = 109.5, -6.5, 0.01


def plume(rows: int = 300, cols: int = 400) -> np.ndarray:
    """An elongated plume: 80 cm at the vent, thinning eastwards and sideways; a NoData corner."""
    y, x = np.mgrid[0:rows, 0:cols].astype(np.float64)
    along = np.where(x > 60, (x - 60) / 90.0, (x - 60) / 10.0)  # downwind slowly, upwind fast
    values = 80.0 * np.exp(-along**2 - ((y - 150) / 25.0) ** 2)
    values = values.astype(np.float32)
    values[:20, :20] = NETCDF_FILL
    return values


@pytest.fixture
def hazard(tmp_path):
    return read_ash_hazard(write_tif(tmp_path / "plume.tif", plume(), from_origin(LEFT, TOP, CELL, CELL),
                                     nodata=NETCDF_FILL))


def test_hazard_tif_is_tiled_compressed_and_holds_the_same_values(hazard, tmp_path):
    path = tmp_path / "ash_fall.tif"
    write_hazard_tif(hazard, path, tags={"ASH_ID": "201702211904+0700_Merapi"})
    with rasterio.open(path) as dataset:
        profile = dataset.profile
        assert (profile["tiled"], profile["blockxsize"], profile["blockysize"]) == (True, 256, 256)
        assert dataset.block_shapes == [(256, 256)]
        assert profile["compress"] == "deflate" and profile["dtype"] == "float32"
        assert (dataset.width, dataset.height) == (400, 300)
        assert dataset.crs.to_epsg() == 4326 and dataset.transform == hazard.transform
        assert dataset.tags()["UNITS"] == "cm" and dataset.tags()["ASH_ID"] == "201702211904+0700_Merapi"
        values = dataset.read(1)
    np.testing.assert_array_equal(values, hazard.thickness)  # NaN where NoData, on the same cells
    assert np.isnan(values[:20, :20]).all() and np.isfinite(values[20:, 20:]).all()
    np.testing.assert_array_equal(read_ash_hazard(path).thickness, hazard.thickness)  # our reader takes it back


def raster_class_areas_m2(thickness: np.ndarray) -> dict[str, float]:
    """Each class's area from its cells: a lon/lat cell's area depends on its row's latitude only."""
    areas = dict.fromkeys((c.key for c in ASH_CLASSES), 0.0)
    for row in range(thickness.shape[0]):
        north, south = TOP - row * CELL, TOP - (row + 1) * CELL
        cell, _ = WGS84.polygon_area_perimeter([0, CELL, CELL, 0], [south, south, north, north])
        for c in ASH_CLASSES:
            upper = np.inf if c.max_cm is None else c.max_cm
            values = thickness[row]
            count = np.count_nonzero((values > np.float32(c.min_cm)) & (values <= np.float32(upper)))
            areas[c.key] += count * abs(cell)
    return areas


def test_class_polygons_match_the_raster_class_areas(hazard, tmp_path):
    collection = class_polygons(hazard)
    expected = raster_class_areas_m2(hazard.thickness)
    present = [key for key, area in expected.items() if area > 0]
    assert present == [c.key for c in ASH_CLASSES]  # the plume holds all five classes
    assert [f["properties"]["key"] for f in collection["features"]] == present  # worst drawn last
    for feature, ash_class in zip(collection["features"], ASH_CLASSES):
        properties = feature["properties"]
        assert properties["label"] == ash_class.label and properties["colour"] == ash_class.colour
        area, _ = WGS84.geometry_area_perimeter(shape(feature["geometry"]))
        assert abs(area) == pytest.approx(expected[ash_class.key], rel=0.01), ash_class.key
    write_class_polygons(hazard, tmp_path / "ash_classes.geojson")
    assert json.loads((tmp_path / "ash_classes.geojson").read_text()) == json.loads(json.dumps(collection))
    layer = gpd.read_file(tmp_path / "ash_classes.geojson")
    assert layer.is_valid.all() and list(layer["key"]) == present


def test_class_polygons_of_a_projected_hazard_are_in_lon_lat(tmp_path):
    """UTM 49S, 1 km cells on the central meridian: the west half 3 cm (medium), a 2 x 3 km patch 12 cm."""
    values = np.zeros((10, 10), dtype=np.float32)
    values[:, :5] = 3.0
    values[2:4, 1:4] = 12.0
    hazard = read_ash_hazard(write_tif(tmp_path / "utm.tif", values, from_origin(500000, 9170000, 1000, 1000),
                                       "EPSG:32749"))
    features = class_polygons(hazard)["features"]
    assert [f["properties"]["key"] for f in features] == ["medium", "very_high"]
    for feature, cells in zip(features, (44, 6)):
        geometry = shape(feature["geometry"])
        west, south, east, north = geometry.bounds
        assert 110.99 < west < east < 111.1 and -7.6 < south < north < -7.4  # lon/lat around 111 E, 7.5 S
        area, _ = WGS84.geometry_area_perimeter(geometry)
        assert abs(area) == pytest.approx(cells * 1e6, rel=0.01)  # UTM's scale there: 0.9996
