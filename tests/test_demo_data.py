"""The demo analysis-data folder built from packaged GeoNames data."""

from __future__ import annotations

import json

import numpy as np
import rasterio

from realtime.analysis_data import AnalysisData
from realtime.demo_data import init_demo_analysis_data


def test_demo_folder_layout_and_totals(demo_data):
    data = AnalysisData(demo_data).check()
    features = json.loads(data.places.read_text())["features"]
    assert len(features) > 400
    assert {"name", "population"} <= set(features[0]["properties"])
    names = {f["properties"]["name"] for f in features}
    assert {"Jakarta", "Yogyakarta", "Bantul", "Jayapura"} <= names
    with rasterio.open(data.population) as dataset:
        assert dataset.crs.to_epsg() == 4326
        assert dataset.profile["tiled"]
        total = dataset.read(1).sum(dtype=np.float64)
    people = sum(f["properties"]["population"] for f in features)
    assert abs(total - people) / people < 1e-3  # every town's people are spread, none lost
    assert "approximate" in data.population_source()
    assert "approximate" in (demo_data / "README.md").read_text()


def test_existing_folder_is_kept(demo_data):
    before = (demo_data / "exposure" / "population.tif").stat().st_mtime_ns
    init_demo_analysis_data(demo_data)
    assert (demo_data / "exposure" / "population.tif").stat().st_mtime_ns == before


def test_a_real_population_without_places_is_kept_and_gains_places(demo_data, tmp_path):
    """The old stack's analysis-data folder has its own population raster and README but no places file:
    data init adds the places (and land) and leaves the raster and the README byte for byte."""
    import shutil

    adopted = tmp_path / "analysis_data"
    (adopted / "exposure").mkdir(parents=True)
    shutil.copyfile(demo_data / "exposure" / "population.tif", adopted / "exposure" / "population.tif")
    with rasterio.open(adopted / "exposure" / "population.tif", "r+") as dataset:
        dataset.update_tags(SOURCE="WorldPop 2015, the old stack's raster")  # not ours: must survive
    raster = (adopted / "exposure" / "population.tif").read_bytes()
    (adopted / "README.md").write_text("# The old stack's analysis data\n")
    (adopted / "context").mkdir()
    shutil.copyfile(demo_data / "context" / "land.geojson", adopted / "context" / "land.geojson")  # no 1 GB here
    data = init_demo_analysis_data(adopted)
    assert (adopted / "exposure" / "population.tif").read_bytes() == raster
    assert (adopted / "README.md").read_text() == "# The old stack's analysis data\n"
    assert len(json.loads(data.places.read_text())["features"]) > 400
    data.check()
