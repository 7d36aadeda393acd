"""Ash places, airports, land cover and impact.json on hand-made rasters, checked against numbers worked out here."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import geopandas as gpd
import numpy as np
import pytest
import rasterio
from pyproj import Geod, Transformer
from rasterio.transform import from_origin
from shapely.geometry import box

from realtime.analysis_data import AnalysisData
from realtime.ash.classes import ASH_CLASSES
from realtime.ash.event import AshEvent
from realtime.ash.hazard import read_ash_hazard
from realtime.ash.impact import analyse_ash
from realtime.ash.places import affected_airports, affected_places, landcover_km2, load_airports
from realtime.demo_data import init_demo_analysis_data
from realtime.gazetteer import PlacesError, load_places
from ash_rasters import CELL, NORTH, VOLCANO, WEST, lonlat_hazard, points, write_tif

WGS84 = Geod(ellps="WGS84")
# (name, population, lon, lat, thickness, class, compass direction from the volcano at 110.5 E 7.5 S), worst first
PLACES = [
    ("Timur", 5000, 110.805, -7.495, 12.0, "very_high", "E"),  # row 49, col 80: 0.305° east, 0.005° north
    ("Utara", 1000, 110.505, -7.205, 12.0, "very_high", "N"),  # row 29, col 50: 0.295° north, 0.005° east
    ("Barat", 100000, 110.205, -7.495, 3.0, "medium", "W"),  # row 49, col 20
    ("Daya", 50, 110.305, -7.705, 0.05, "very_low", "SW"),  # row 70, col 30: 0.195° west, 0.205° south
]
UNAFFECTED = [
    ("Sepi", 900000, 110.805, -7.805),  # 0.005 cm: in no class
    ("Kosong", 800000, 110.105, -7.105),  # row 10, col 10: the NoData cell
    ("Luar", 700000, 112.0, -7.5),  # east of the raster
]


def places_file(path):
    rows = [{"name": n, "population": p, "lon": x, "lat": y} for n, p, x, y, *_ in PLACES]
    rows += [{"name": n, "population": p, "lon": x, "lat": y} for n, p, x, y in UNAFFECTED]
    return points(path, rows[::-1])  # file order is not the answer's order


def airports_file(path):
    return points(path, [
        {"name": "Adisucipto", "iata": "JOG", "city": "Yogyakarta", "province": "DIY", "lon": 110.905, "lat": -7.105},
        {"name": "Far Away", "iata": "FAR", "city": "Elsewhere", "province": "X", "lon": 115.0, "lat": -8.0},
        {"name": "Ahmad Yani", "iata": "SRG", "city": "Semarang", "province": "Jateng", "lon": 110.155, "lat": -7.905},
    ])


def test_places_thickness_class_distance_direction_and_order(tmp_path):
    hazard = read_ash_hazard(lonlat_hazard(tmp_path / "ash.tif"))
    found = affected_places(hazard, load_places(places_file(tmp_path / "places.geojson")), VOLCANO)
    assert [p.name for p in found] == [row[0] for row in PLACES]  # worst class first, then population
    for place, (name, population, lon, lat, thickness, key, direction) in zip(found, PLACES):
        azimuth, _, metres = WGS84.inv(VOLCANO.longitude, VOLCANO.latitude, lon, lat)
        assert (place.population, place.thickness_cm, place.class_key) == (population, thickness, key)
        assert place.distance_km == pytest.approx(metres / 1000, abs=0.05)
        assert place.bearing_deg == pytest.approx(azimuth % 360, abs=0.05)
        assert place.direction == direction
        assert (place.longitude, place.latitude, place.kind, place.iata) == (lon, lat, "place", None)
    assert found[0].distance_km == pytest.approx(33.7, abs=0.1)  # 0.305° of longitude at 7.5° S: 111.3 km/° * cos
    assert 88 < found[0].bearing_deg < 90 and 0 < found[1].bearing_deg < 2


def test_places_on_a_projected_hazard_take_the_cell_containing_them(tmp_path):
    """A UTM 49S forecast (1 km cells, thickness = column number in cm): a place takes its own cell's value."""
    left, top = 500000.0, 9170000.0
    values = np.tile(np.arange(20, dtype=np.float32), (20, 1))
    hazard = read_ash_hazard(write_tif(tmp_path / "utm.tif", values, from_origin(left, top, 1000, 1000), "EPSG:32749"))
    to_lonlat = Transformer.from_crs("EPSG:32749", "EPSG:4326", always_xy=True)
    rows = []
    for name, col, row in (("Tujuh", 7, 5), ("Dua", 2, 15), ("Tepi", 19, 0)):
        lon, lat = to_lonlat.transform(left + (col + 0.5) * 1000, top - (row + 0.5) * 1000)
        rows.append({"name": name, "population": 10, "lon": lon, "lat": lat})
    found = affected_places(hazard, load_places(points(tmp_path / "p.geojson", rows)), VOLCANO)
    assert [(p.name, p.thickness_cm, p.class_key) for p in found] == [
        ("Tepi", 19.0, "very_high"), ("Tujuh", 7.0, "high"), ("Dua", 2.0, "low")]  # 2 cm is low: min < v <= max


def test_airports_listed_apart_with_iata(tmp_path):
    hazard = read_ash_hazard(lonlat_hazard(tmp_path / "ash.tif"))
    airports = load_airports(airports_file(tmp_path / "airports.geojson"))
    found = affected_airports(hazard, airports, VOLCANO)
    assert [(a.iata, a.kind, a.population, a.class_key) for a in found] == [
        ("JOG", "airport", 0, "very_high"), ("SRG", "airport", 0, "very_low")]
    _, _, metres = WGS84.inv(VOLCANO.longitude, VOLCANO.latitude, 110.905, -7.105)
    assert found[0].distance_km == pytest.approx(metres / 1000, abs=0.05) and found[0].direction == "NE"


def utm_half_covered_hazard(tmp_path):
    """10 x 10 km in UTM 49S on the central meridian: the west 5 columns 1 cm (low), the east 5 no ash."""
    values = np.zeros((10, 10), dtype=np.float32)
    values[:, :5] = 1.0
    path = write_tif(tmp_path / "half.tif", values, from_origin(500000, 9170000, 1000, 1000), "EPSG:32749")
    return read_ash_hazard(path)


def test_landcover_km2_for_hand_made_squares(tmp_path):
    hazard = utm_half_covered_hazard(tmp_path)
    layer = gpd.GeoDataFrame(
        {"CLASS": ["Sawah", "Hutan", "Semak", "Settlement"]},
        geometry=[
            box(503000, 9164000, 508000, 9168000),  # 5 x 4 km, 2 km of its width under ash: 8 km²
            box(500000, 9160000, 501000, 9161000),  # the south-west cell: 1 km²
            box(506000, 9160000, 509000, 9170000),  # east of the ash: 0
            box(520000, 9160000, 521000, 9161000),  # off the raster: 0
        ],
        crs="EPSG:32749",
    )
    layer.to_file(tmp_path / "landcover.gpkg")
    km2 = landcover_km2(hazard, tmp_path / "landcover.gpkg")
    # UTM's scale factor on the central meridian is 0.9996: a UTM km² is 1 / 0.9996² true km².
    true = 1 / 0.9996**2
    assert set(km2) == {"settlement", "rice_field", "plantation", "water_supply", "forest", "other"}
    assert km2["rice_field"] == pytest.approx(8 * true, rel=2e-4)
    assert km2["forest"] == pytest.approx(1 * true, rel=2e-4)
    assert km2["other"] == km2["settlement"] == km2["plantation"] == km2["water_supply"] == 0
    assert landcover_km2(hazard, tmp_path / "missing.gpkg") is None
    layer.rename(columns={"CLASS": "name"}).to_file(tmp_path / "unnamed.gpkg")
    with pytest.raises(PlacesError, match="unnamed.gpkg: land cover has no class field"):
        landcover_km2(hazard, tmp_path / "unnamed.gpkg")


def test_data_init_writes_airports_once(tmp_path):
    """A folder with its population, places and land gains only context/airports.geojson, kept on the next run."""
    root = tmp_path / "data"
    (root / "exposure").mkdir(parents=True)
    write_tif(root / "exposure" / "population.tif", np.ones((2, 2), dtype=np.float32), from_origin(110, -7, 1, 1))
    points(root / "context" / "places.geojson", [{"name": "A", "population": 1, "lon": 110.5, "lat": -7.5}])
    (root / "context" / "land.geojson").write_text('{"type": "FeatureCollection", "features": []}')
    data = init_demo_analysis_data(root)
    collection = json.loads(data.airports.read_text(encoding="utf-8"))
    by_iata = {f["properties"]["iata"]: f for f in collection["features"]}
    assert len(by_iata) > 100 and "airportsdata" in collection["source"]
    assert set(by_iata["JOG"]["properties"]) == {"name", "iata", "city", "province"}
    assert by_iata["JOG"]["properties"]["province"] == "Yogyakarta"
    lon, lat = by_iata["JOG"]["geometry"]["coordinates"]
    assert abs(lon - 110.43) < 0.05 and abs(lat + 7.79) < 0.05  # Yogyakarta's airport
    assert len(load_airports(data.airports)) == len(by_iata)
    before = data.airports.stat().st_mtime_ns
    init_demo_analysis_data(root)
    assert data.airports.stat().st_mtime_ns == before


def test_impact_document(tmp_path):
    root = tmp_path / "data"
    (root / "exposure").mkdir(parents=True)
    write_tif(root / "exposure" / "population.tif", np.full((100, 100), 2.0, dtype=np.float32),
              from_origin(WEST, NORTH, CELL, CELL))
    with rasterio.open(root / "exposure" / "population.tif", "r+") as dataset:
        dataset.update_tags(SOURCE="two people a cell")
    places_file(root / "context" / "places.geojson")
    airports_file(root / "context" / "airports.geojson")
    plantation = box(WEST, NORTH - 0.5, WEST + 0.5, NORTH)  # the medium block, with its one NoData cell
    gpd.GeoDataFrame({"Class": ["Perkebunan"]}, geometry=[plantation], crs="EPSG:4326").to_file(
        root / "context" / "landcover.gpkg")
    hazard_path = lonlat_hazard(tmp_path / "201702211904+0700_Testberg.tif")
    time = datetime(2017, 2, 21, 19, 4, tzinfo=timezone(timedelta(hours=7)))
    event = AshEvent(volcano=VOLCANO, time=time, eruption_height_m=3000, alert_level="Siaga", forecast_duration_days=3)
    generated = datetime(2017, 2, 21, 12, 30, tzinfo=timezone.utc)
    document = analyse_ash(hazard_path, event, AnalysisData(root), generated_at=generated).document

    assert list(document) == [
        "schema_version", "hazard", "ash_id", "volcano", "event", "input", "hazard_extent", "max_thickness_cm",
        "classes", "exposure", "exposure_total", "summary", "places", "airports", "landcover", "sources",
        "software", "generated_at", "products"]
    assert document["ash_id"] == "201702211904+0700_Testberg"
    assert document["event"] == {
        "time": "2017-02-21T19:04:00+07:00", "timezone": "WIB", "eruption_height_m": 3000.0,
        "column_height_asl_m": 5000.0, "alert_level": "siaga", "forecast_duration_days": 3, "region": "Jawa Tengah"}
    sha256 = hashlib.sha256(hazard_path.read_bytes()).hexdigest()
    assert document["input"] == {"name": hazard_path.name, "sha256": sha256}
    assert document["hazard_extent"] == pytest.approx({"lon_min": 110, "lat_min": -8, "lon_max": 111, "lat_max": -7})
    assert document["max_thickness_cm"] == 12.0  # the netCDF fill is NoData, not 1e37 cm
    # Two people a cell: 2,500 cells very high, 2,499 medium (one NoData), 2,500 very low, 2,500 in no class.
    expected = {"very_low": 5000, "low": 0, "medium": 4998, "high": 0, "very_high": 5000}
    assert document["exposure"] == pytest.approx(expected)
    assert [c["key"] for c in document["classes"]] == [c.key for c in ASH_CLASSES]
    assert {c["key"]: c["people"] for c in document["classes"]} == pytest.approx(expected)
    assert sum(c["people"] for c in document["classes"]) == pytest.approx(document["exposure_total"]) == 14998
    assert document["summary"] == pytest.approx({"affected": 14998, "displaced": 5000})  # high + very high
    assert sum(c["displaced"] for c in document["classes"]) == pytest.approx(5000)
    assert [p["name"] for p in document["places"]] == ["Timur", "Utara", "Barat", "Daya"]
    assert [a["iata"] for a in document["airports"]] == ["JOG", "SRG"]
    block, _ = WGS84.polygon_area_perimeter([110, 110.5, 110.5, 110], [-7.5, -7.5, -7, -7])
    nodata_cell, _ = WGS84.polygon_area_perimeter([110.1, 110.11, 110.11, 110.1], [-7.11, -7.11, -7.1, -7.1])
    assert document["landcover"]["plantation"] == pytest.approx((block - nodata_cell) / 1e6, rel=1e-3)  # ~3,052 km²
    assert sum(document["landcover"].values()) == document["landcover"]["plantation"]
    assert document["sources"]["landcover"] == "landcover.gpkg"
    assert document["sources"]["population"] == "two people a cell"
    assert document["software"]["name"] == "InaSAFE Realtime"
    assert document["generated_at"] == "2017-02-21T12:30:00+00:00"
    assert document["products"] == {"hazard": "ash_fall.tif", "classes": "ash_classes.geojson", "reports": {}}
    json.dumps(document, allow_nan=False)  # plain JSON, no NaN
