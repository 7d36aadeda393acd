"""Ash-fall rasters and layers at their edges: masked cells, values that are not thickness, a rotated grid too large
to turn north-up, places and land cover away from the ash, an unreadable land-cover file. Small rasters written
here, values worked out by hand."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.transform import from_origin

from realtime.ash import hazard as hazard_module
from realtime.ash.hazard import AshHazardError, read_ash_hazard
from realtime.ash.places import LANDCOVER_CLASSES, affected_places, landcover_km2
from realtime.ash.volcanoes import find_volcano
from realtime.gazetteer import Places, PlacesError

MERAPI = find_volcano("Merapi")


def write_raster(path: Path, values: np.ndarray, transform: Affine, **profile) -> Path:
    with rasterio.open(path, "w", driver="GTiff", width=values.shape[1], height=values.shape[0], count=1,
                       dtype=values.dtype, crs="EPSG:4326", transform=transform, **profile) as dst:
        dst.write(values, 1)
    return path


@pytest.fixture
def small(tmp_path: Path):
    """3 x 3 cells of 0.1 degree around Merapi (110.44 E, 7.54 S): 5 cm at the summit, 0.5 cm around."""
    values = np.full((3, 3), 0.5, dtype=np.float32)
    values[1, 1] = 5.0
    return read_ash_hazard(write_raster(tmp_path / "small.tif", values, from_origin(110.29, -7.39, 0.1, 0.1)))


def test_a_masked_cell_is_no_data(tmp_path: Path):
    """A GeoTIFF with an internal mask: the masked 500 cm cell is unknown, not the thickest ash."""
    values = np.array([[1.0, 500.0], [2.0, 3.0]], dtype=np.float32)
    path = tmp_path / "masked.tif"
    with rasterio.Env(GDAL_TIFF_INTERNAL_MASK=True):
        with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32", crs="EPSG:4326",
                           transform=from_origin(110.0, -7.0, 0.1, 0.1)) as dst:
            dst.write(values, 1)
            dst.write_mask(np.array([[255, 0], [255, 255]], dtype=np.uint8))
    hazard = read_ash_hazard(path)
    assert np.isnan(hazard.thickness[0, 1])
    assert hazard.max_thickness_cm == 3.0


def test_complex_values_are_not_thickness(tmp_path: Path):
    path = write_raster(tmp_path / "complex.tif", np.ones((2, 2), dtype=np.complex64), from_origin(110, -7, 0.1, 0.1))
    with pytest.raises(AshHazardError, match=r"^complex.tif: band 1 holds complex64 values, not thickness$"):
        read_ash_hazard(path)


def test_a_rotated_grid_too_large_once_north_up_is_refused(tmp_path: Path, monkeypatch):
    """10 x 10 cells of 1 degree turned 45 degrees: the north-up box is 10 sqrt(2) = 14.14 degrees a side, in cells a
    third of the source's: ceil(14.14 / (1/3)) = 43 a side, 1,849 cells, over a limit of 1,000."""
    monkeypatch.setattr(hazard_module, "MAX_CELLS", 1000)
    c = np.sqrt(0.5)
    path = write_raster(tmp_path / "rotated.tif", np.ones((10, 10), dtype=np.float32), Affine(c, -c, 105.0, c, c, -10.0))
    with pytest.raises(AshHazardError, match=r"^rotated.tif: too large once turned north-up \(43 x 43 cells\)$"):
        read_ash_hazard(path)


def test_only_places_under_ash_are_listed(small):
    """Kaliurang (110.42 E, 7.60 S) lies in the 0.5 cm cell south of the summit: class low (0.1-2 cm), 0.058 degrees
    of latitude (6.41 km) and 0.022 of longitude (2.43 km) from Merapi's 110.442 E, 7.542 S: 6.9 km, SSW (201 deg)."""
    away = Places(("Jakarta", "Surabaya"), np.array([10_000_000.0, 2_800_000.0]),
                  np.array([106.85, 112.75]), np.array([-6.2, -7.25]))
    assert affected_places(small, away, MERAPI) == []
    near = Places(("Jakarta", "Kaliurang"), np.array([10_000_000.0, 5_000.0]),
                  np.array([106.85, 110.42]), np.array([-6.2, -7.60]))
    (kaliurang,) = affected_places(small, near, MERAPI)
    assert (kaliurang.name, kaliurang.thickness_cm, kaliurang.class_key) == ("Kaliurang", 0.5, "low")
    assert (kaliurang.distance_km, kaliurang.direction) == (6.9, "SSW")
    assert kaliurang.bearing_deg == pytest.approx(200.7, abs=0.3)


def test_land_cover_away_from_the_ash_is_zero_everywhere(small, tmp_path: Path):
    far = tmp_path / "landcover.geojson"
    far.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"class": "forest"},
         "geometry": {"type": "Polygon", "coordinates": [[[120, -3], [121, -3], [121, -2], [120, -3]]]}}]}))
    assert landcover_km2(small, far) == dict.fromkeys(LANDCOVER_CLASSES, 0.0)


def test_an_unreadable_land_cover_file_is_named(small, tmp_path: Path):
    broken = tmp_path / "landcover.gpkg"
    broken.write_bytes(b"SQLite format 3\x00 but nothing after")
    with pytest.raises(PlacesError, match=f"^{broken}: land cover cannot be read \\("):
        landcover_km2(small, broken)


def test_an_older_impact_json_still_reports(ash_products):
    """impact.json from before column_height_asl_m and the {en, id} labels: the column is worked out again (Merapi
    3,000 m above its 2,968 m summit = 5,968 m) and a plain label is shown in every language."""
    from datetime import datetime, timezone

    from realtime.reporting.ash_report import report_context
    from realtime.reporting.report_parts import default_templates_dir

    document = json.loads(json.dumps(ash_products.impact))
    assert document["event"].pop("column_height_asl_m") == 5968
    document["classes"][0]["label"] = "Sangat rendah (lama)"
    now = datetime(2017, 2, 22, tzinfo=timezone.utc)
    english = report_context(document, "en", default_templates_dir(), now)
    indonesian = report_context(document, "id", default_templates_dir(), now)
    assert (english["column_height"], indonesian["column_height"]) == ("5,968", "5.968")
    assert english["classes"][0]["name"] == indonesian["classes"][0]["name"] == "Sangat rendah (lama)"
    assert english["classes"][1]["name"] == ash_products.impact["classes"][1]["label"]["en"]
