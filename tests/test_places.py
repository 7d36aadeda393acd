"""Places, distances, bearings and the location sentence."""

from __future__ import annotations

import ast
import json
import math
import re

import numpy as np
import pytest
from pyproj import Geod

from conftest import EQ, GRID_PAPUA
from realtime.earthquake.grid import GridSpec, read_shake_grid
from realtime.earthquake.mmi import mmi_class_index, mmi_class_of
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
        ("Aardvark north", 500, 100.5, 1.0),  # most shaken (7.0) and first by name, but fewest people in VII
    )
    names = [p.name for p in affected_places(spec, mmi, towns, (100.5, 0.5))]
    assert names == ["North big", "North small", "Aardvark north", "South big"]


# The old processor's two city lists for 20131105060809 (Papua M3.6), from its own geonames data
# (earthquake.md §2.5): the local list in id order as "n: value" blocks, the sorted list as a Python 2 repr.
LOCAL_CITIES = EQ / "expected-local-cities-20131105060809.txt"
SORTED_CITIES = EQ / "expected-sorted-cities-20131105060809.txt"
LOCAL_FIELDS = ("id", "name", "population", "mmi", "dist_to", "dir_to", "dir_from", "roman", "colour")


def old_local_cities() -> list[dict]:
    cities = []
    for block in filter(str.strip, LOCAL_CITIES.read_text().split("------------------")):
        values = dict(line.split(": ", 1) for line in block.strip().splitlines())
        city = {field: values[str(n)] for n, field in enumerate(LOCAL_FIELDS)}
        cities.append({**city, "population": int(city["population"]), **{
            k: float(city[k]) for k in ("mmi", "dist_to", "dir_to", "dir_from")}})
    return cities


def old_sorted_cities() -> list[dict]:
    return ast.literal_eval(re.sub(r"(\d+)L\b", r"\1", SORTED_CITIES.read_text()))


def rebuilt_places(cities: list[dict], epicentre: tuple[float, float]) -> Places:
    """Town positions from the file's own distances: the old `dist_to` is QGIS sqrDist (degrees squared) and
    `dir_from` the planar azimuth epicentre -> town (0 = north, clockwise)."""
    lon0, lat0 = epicentre
    lon = [lon0 + math.sqrt(c["dist_to"]) * math.sin(math.radians(c["dir_from"])) for c in cities]
    lat = [lat0 + math.sqrt(c["dist_to"]) * math.cos(math.radians(c["dir_from"])) for c in cities]
    return Places(tuple(c["name"] for c in cities), np.array([c["population"] for c in cities], float),
                  np.array(lon), np.array(lat))


@pytest.fixture(scope="module")
def papua(fixtures):
    grid = read_shake_grid(GRID_PAPUA)
    epicentre = (grid.event.longitude, grid.event.latitude)
    return grid, epicentre, rebuilt_places(old_local_cities(), epicentre)


def test_the_old_lists_agree_with_each_other_and_with_the_grid(papua):
    """The rebuild is faithful: both files hold the same cities, and each town's old MMI is the value of the
    grid node nearest to its rebuilt position (the old processor identified the cell of a nearest-node tif)."""
    grid, epicentre, towns = papua
    local = {c["name"]: c for c in old_local_cities()}
    for city in old_sorted_cities():
        assert {k: local[city["name"]][k] for k in ("population", "mmi", "roman")} == {
            k: city[k] for k in ("population", "mmi", "roman")}
        assert local[city["name"]]["dist_to"] == pytest.approx(city["dist_to"], rel=1e-10)
        back = math.degrees(math.atan2(epicentre[0] - towns.lon[towns.names.index(city["name"])],
                                       epicentre[1] - towns.lat[towns.names.index(city["name"])]))
        assert back == pytest.approx(city["dir_to"], abs=1e-6)  # the file's other bearing, town -> epicentre
    spec = grid.spec
    for name, lon, lat in zip(towns.names, towns.lon, towns.lat):
        row, col = round((spec.lat_max - lat) / spec.dy), round((lon - spec.lon_min) / spec.dx)
        assert grid.mmi[row, col] == local[name]["mmi"], name


def test_our_ranking_reproduces_the_old_sorted_list(papua):
    grid, epicentre, towns = papua
    ours = affected_places(grid.spec, grid.mmi, towns, epicentre)
    old = old_sorted_cities()
    assert [p.name for p in ours] == [c["name"] for c in old] == ["Jayapura", "Sentani", "Waris"]
    assert [p.population for p in ours] == [c["population"] for c in old]
    # ours: bilinear MMI at the town; old: the nearest node's value, so close but not equal
    for place, city in zip(ours, old):
        assert place.mmi == pytest.approx(city["mmi"], abs=0.1), place.name
    # the old distances were degrees squared printed as km (the v3 bug); ours are geodesic km to the same points
    for place in ours:
        metres = Geod(ellps="WGS84").inv(*epicentre, place.longitude, place.latitude)[2]
        assert place.distance_km == pytest.approx(metres / 1000, abs=0.05)


# Where our class differs from the old list's, and why. The old roman was the *truncated* MMI (int(1.67) = I);
# ours is the class k whose (k-0.5, k+0.5] holds the MMI, with MMI sampled bilinearly at the town.
CLASS_CHANGES = {
    "Jayapura": ("I", "II"),  # 1.67 (the old value) and 1.70 (ours) both lie in (1.5, 2.5]: the class rule
    "Sentani": ("I", "II"),  # the old value 1.5 is still class I under (0.5, 1.5]; ours is 1.56, in (1.5, 2.5]
}


def test_our_classes_equal_the_old_ones_except_the_stated_changes(papua):
    grid, epicentre, towns = papua
    ours = {p.name: mmi_class_of(p.mmi).roman for p in affected_places(grid.spec, grid.mmi, towns, epicentre)}
    old = {c["name"]: c["roman"] for c in old_sorted_cities()}
    assert {name: (old[name], ours[name]) for name in old if old[name] != ours[name]} == CLASS_CHANGES
    assert ours["Waris"] == old["Waris"] == "I"


def test_sentanis_mmi_is_the_bilinear_mix_of_its_four_nodes(papua):
    """Why Sentani changes class: between its four nodes (1.46, 1.5 the nearest, 1.66, 1.64) it gets 1.56."""
    grid, epicentre, towns = papua
    spec, k = grid.spec, towns.names.index("Sentani")
    x, y = (towns.lon[k] - spec.lon_min) / spec.dx, (spec.lat_max - towns.lat[k]) / spec.dy
    col, row = math.floor(x), math.floor(y)
    fx, fy = x - col, y - row
    (a, b), (c, d) = grid.mmi[row : row + 2, col : col + 2]
    by_hand = (a * (1 - fx) + b * fx) * (1 - fy) + (c * (1 - fx) + d * fx) * fy
    (sentani,) = [p for p in affected_places(grid.spec, grid.mmi, towns, epicentre) if p.name == "Sentani"]
    assert sentani.mmi == round(by_hand, 2) == 1.56


def test_the_old_mmi_values_under_our_class_rule(fixtures):
    """The file's own MMI values classed by our rule: 1.5 sits on the I/II boundary and belongs to I."""
    old = {c["name"]: c["mmi"] for c in old_sorted_cities()}
    assert {name: mmi_class_of(mmi).roman for name, mmi in old.items()} == {
        "Jayapura": "II", "Sentani": "I", "Waris": "I"}
    assert [int(k) for k in mmi_class_index(np.array(list(old.values())))] == [2, 1, 1]


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
