"""Places, distances, bearings and the location sentence."""

from __future__ import annotations

import json

import numpy as np
import pytest
from pyproj import Geod

from conftest import GRID_PAPUA
from realtime.earthquake.grid import GridSpec, read_shake_grid
from realtime.earthquake.places import (
    Places,
    PlacesError,
    affected_places,
    compass_direction,
    load_places,
    locate_epicentre,
)


def places(*rows) -> Places:
    names, population, lon, lat = zip(*rows)
    return Places(tuple(names), np.array(population, float), np.array(lon, float), np.array(lat, float))


def test_distance_and_bearing_of_a_known_pair_match_pyproj():
    # Epicentre of the 2006 Yogyakarta earthquake and the town of Bantul
    epicentre = (110.446, -7.961)
    bantul = places(("Bantul", 64360, 110.32889, -7.88806))
    spec = GridSpec(109.0, -9.0, 112.0, -6.0, 121, 121)
    impact = affected_places(spec, np.full((121, 121), 7.0), bantul, epicentre)[0]
    azimuth, _, metres = Geod(ellps="WGS84").inv(110.446, -7.961, 110.32889, -7.88806)
    assert impact.distance_km == pytest.approx(metres / 1000, abs=0.05)
    assert impact.bearing_deg == pytest.approx(azimuth % 360, abs=0.05)
    assert 15.0 < impact.distance_km < 16.0 and impact.direction == "WNW"
    location = locate_epicentre(bantul, epicentre, min_population=10000)
    back, _, _ = Geod(ellps="WGS84").inv(110.32889, -7.88806, 110.446, -7.961)
    assert location.bearing_deg == pytest.approx(back % 360, abs=0.05)
    assert location.text == "Located 15 km ESE of Bantul"


@pytest.mark.parametrize(
    "bearing, direction",
    [(0, "N"), (11.2, "N"), (11.3, "NNE"), (45, "NE"), (90, "E"), (180, "S"), (258.7, "WSW"), (258.8, "W"), (348.8, "N"), (359.9, "N")],
)
def test_sixteen_point_compass(bearing, direction):
    assert compass_direction(bearing) == direction


def test_location_uses_nearest_place_above_the_population_threshold():
    towns = places(("Hamlet", 500, 110.01, 0.0), ("Town", 20000, 110.2, 0.0), ("City", 900000, 111.0, 0.0))
    assert locate_epicentre(towns, (110.0, 0.0), 10000).place == "Town"
    assert locate_epicentre(towns, (110.0, 0.0), 100).place == "Hamlet"
    assert locate_epicentre(towns, (110.0, 0.0), 10**7) is None


def test_table_sorts_by_mmi_class_then_population_and_skips_places_outside():
    spec = GridSpec(100.0, 0.0, 101.0, 1.0, 3, 3)
    mmi = np.array([[7.0, 7.0, 7.0], [5.0, 5.0, 5.0], [3.0, 3.0, 3.0]])  # north shakes most
    towns = places(
        ("South big", 500000, 100.5, 0.0),
        ("North small", 1000, 100.2, 0.95),
        ("North big", 90000, 100.8, 0.9),
        ("Outside", 10**6, 99.0, 0.5),
    )
    names = [p.name for p in affected_places(spec, mmi, towns, (100.5, 0.5))]
    assert names == ["North big", "North small", "South big"]


def test_real_event_finds_the_old_processors_cities(fixtures, demo_data):
    """20131105060809 (Papua): the old processor put Jayapura (MMI 1.67) before Sentani (1.5)."""
    grid = read_shake_grid(GRID_PAPUA)
    towns = load_places(demo_data / "context" / "places.geojson")
    impacts = affected_places(grid.spec, grid.mmi, towns, (grid.event.longitude, grid.event.latitude))
    by_name = {p.name: p for p in impacts}
    assert [p.name for p in impacts][:3] == ["Jayapura", "Abepura", "Sentani"]
    # old: MMI of the nearest node; ours: bilinear at the town, so close but not equal
    assert by_name["Jayapura"].mmi == pytest.approx(1.67, abs=0.2)
    assert by_name["Sentani"].mmi == pytest.approx(1.5, abs=0.2)
    # the old table's distances were in degrees; ours are geodesic km
    assert by_name["Jayapura"].distance_km == pytest.approx(Geod(ellps="WGS84").inv(140.62, -2.43, 140.71813, -2.53371)[2] / 1000, abs=0.05)


def test_load_places_reports_bad_files(tmp_path):
    good = tmp_path / "places.geojson"
    good.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [110.3, -7.8]}, "properties": {"name": "Yogyakarta", "population": 375699}}
    ]}))
    assert load_places(good).names == ("Yogyakarta",)
    bad = tmp_path / "bad.geojson"
    bad.write_text(json.dumps({"type": "FeatureCollection", "features": [{"geometry": None, "properties": {}}]}))
    with pytest.raises(PlacesError, match="feature 0"):
        load_places(bad)
    with pytest.raises(PlacesError, match="not a GeoJSON"):
        load_places(tmp_path / "missing.geojson")
