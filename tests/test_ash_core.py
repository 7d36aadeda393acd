"""Ash core: classes, volcanoes, event ids, the hazard raster and population exposure, worked out by hand."""

from __future__ import annotations

import json
import math
import re
from datetime import datetime, timedelta, timezone
from importlib import resources

import numpy as np
import pytest
import rasterio
from affine import Affine
from rasterio.transform import from_origin
from test_ash_hazard import FILL, NORTH_UP, N, write_tif

from realtime.ash.classes import ASH_CLASSES, CLASS_KEYS, class_of, classify
from realtime.ash.exposure import ash_exposure
from realtime.ash.hazard import read_ash_hazard
from realtime.ash.event import ALERT_LEVELS, AshEvent, AshEventError, ash_id
from realtime.ash.volcanoes import Volcano, VolcanoError, find_volcano, load_volcanoes
from realtime.ids import ASH_ID, ash_id_problem, parse_ash_id

WIB = timezone(timedelta(hours=7))


# Classes -----------------------------------------------------------------------------------------------

def test_class_table_is_the_reference_table():
    assert CLASS_KEYS == ("very_low", "low", "medium", "high", "very_high")
    assert [(c.min_cm, c.max_cm) for c in ASH_CLASSES] == [(0.01, 0.1), (0.1, 2), (2, 5), (5, 10), (10, None)]
    assert [c.colour for c in ASH_CLASSES] == ["#0F74BC", "#00ADEF", "#FFF004", "#FCB040", "#E32031"]
    assert [c.displacement_rate for c in ASH_CLASSES] == [0, 0, 0, 1, 1]
    assert [c.label["id"] for c in ASH_CLASSES] == ["Sangat Rendah", "Rendah", "Sedang", "Tinggi", "Sangat Tinggi"]
    assert [c.label["en"] for c in ASH_CLASSES] == ["Very Low", "Low", "Moderate", "High", "Very High"]
    assert all(c.impact["en"] and c.impact["id"] for c in ASH_CLASSES)
    assert ASH_CLASSES[0].range_text() == "0.01 - 0.1" and ASH_CLASSES[-1].range_text() == "> 10"


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_class_boundaries_min_exclusive_max_inclusive(dtype):
    values = np.array([0, 0.005, 0.01, 0.0101, 0.1, 0.1001, 2, 2.001, 5, 5.001, 10, 10.001, 5000,
                       np.nan, np.inf, -np.inf, -1], dtype=dtype)
    expected = [-1, -1, -1, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, -1, -1, -1, -1]
    got = classify(values)
    assert got.dtype == np.int8 and got.tolist() == expected
    assert classify(values.reshape(1, -1)).shape == (1, values.size)


def test_class_of_one_value():
    assert class_of(float(np.float32(0.1))) is class_of(0.1) is ASH_CLASSES[0]  # a raster's 0.1, widened
    assert class_of(0.1001).key == "low"
    assert class_of(0.01) is None and class_of(float("nan")) is None and class_of(0.0) is None
    assert class_of(0.1).key == "very_low"
    assert class_of(2).key == "low"
    assert class_of(5).key == "medium"
    assert class_of(10).key == "high"
    assert class_of(10.5).key == "very_high"


# Volcanoes ---------------------------------------------------------------------------------------------

REFERENCE_TEN = {  # ../shared/docs/reference/ash.md §5: GVP number, lat, lon, elevation
    "Merapi": (263250, -7.542, 110.442, 2968), "Kelud": (263280, -7.93, 112.308, 1731),
    "Semeru": (263300, -8.108, 112.92, 3676), "Bromo": (263310, -7.942, 112.95, 2329),
    "Sinabung": (261080, 3.17, 98.392, 2460), "Agung": (264020, -8.342, 115.508, 3142),
    "Rinjani": (264030, -8.42, 116.47, 3726), "Galunggung": (263140, -7.25, 108.058, 2168),
    "Soputan": (266030, 1.108, 124.73, 1784), "Anak Krakatau": (262000, -6.102, 105.423, 813),
}


def test_volcano_table_holds_the_reference_ten():
    volcanoes = {v.name: v for v in load_volcanoes()}
    for name, (gvp, lat, lon, elevation) in REFERENCE_TEN.items():
        v = volcanoes[name]
        assert (v.gvp, v.latitude, v.longitude, v.elevation_m) == (gvp, lat, lon, elevation)
        assert v.region and v.source
        # WIB west of Bali's strait and Kalimantan's west, WITA to Sulawesi and Nusa Tenggara, WIT beyond 129 E
        zone = "Asia/Jakarta" if lon < 114.6 else "Asia/Makassar" if lon < 129 else "Asia/Jayapura"
        assert v.timezone == zone, name


def test_volcano_json_is_plain_json_the_web_app_can_read():
    text = resources.files("realtime.ash").joinpath("data/volcanoes.json").read_text(encoding="utf-8")
    rows = json.loads(text)["volcanoes"]
    assert {row["name"] for row in rows} >= set(REFERENCE_TEN)


def test_find_volcano():
    assert find_volcano("merapi").gvp == 263250
    assert find_volcano("  ANAK   krakatau ").name == "Anak Krakatau"
    assert find_volcano("Anak_Krakatau").name == "Anak Krakatau"
    with pytest.raises(VolcanoError, match="unknown volcano 'Etna'; known: Merapi, Kelud") as info:
        find_volcano("Etna")
    assert isinstance(info.value, ValueError) and "\n" not in str(info.value)


# Events and ids ----------------------------------------------------------------------------------------

def _event(**changes) -> AshEvent:
    values = dict(volcano=find_volcano("Merapi"), time=datetime(2017, 2, 21, 19, 4, tzinfo=WIB),
                  eruption_height_m=2000, alert_level="siaga", forecast_duration_days=3)
    values.update(changes)
    return AshEvent(**values)


def test_ash_id_and_column_height():
    event = _event()
    assert ash_id(event) == event.ash_id == "201702211904+0700_Merapi"
    assert event.column_height_asl_m == 2000 + 2968
    assert event.region == "Jawa Tengah"
    utc = _event(volcano=find_volcano("Anak Krakatau"), time=datetime(2017, 2, 21, 12, 4, tzinfo=timezone.utc),
                 alert_level="AWAS", region="Banten")
    assert utc.ash_id == "201702211204+0000_Anak_Krakatau" and utc.alert_level == "awas" and utc.region == "Banten"
    assert re.fullmatch(ASH_ID, utc.ash_id)
    assert parse_ash_id(event.ash_id) == (datetime(2017, 2, 21, 19, 4, tzinfo=WIB), "Merapi")


@pytest.mark.parametrize("changes, words", [
    ({"time": datetime(2017, 2, 21, 19, 4)}, "timezone-aware"),
    ({"alert_level": "red"}, "unknown alert level 'red'"),
    ({"eruption_height_m": -5}, "eruption height"),
    ({"eruption_height_m": float("nan")}, "eruption height"),
    ({"forecast_duration_days": 0}, "forecast duration"),
    ({"forecast_duration_days": 8}, "forecast duration"),
    ({"forecast_duration_days": 1.5}, "forecast duration"),
    ({"volcano": Volcano("Mt. St/Helens", 46.2, -122.18, 2549)}, "cannot name an event"),
])
def test_bad_event_metadata_refused(changes, words):
    with pytest.raises(AshEventError, match=re.escape(words)):
        _event(**changes)
    assert set(ALERT_LEVELS) == {"normal", "waspada", "siaga", "awas"}


@pytest.mark.parametrize("text", [
    "201702211904+0700_Merapi\n",  # fullmatch, not $
    "20170221190\u0664+0700_Merapi",  # ASCII digits only
    "201702301904+0700_Merapi",  # 30 February
    "201702211904+1500_Merapi",  # no such offset
    "201702211904+0760_Merapi",
    "201702211904+0700_../etc",  # a folder name, never a path
    "201702211904+0700_",
    "201702211904_Merapi",
    "2017022119+0700_Merapi",
    "201702211904+0700_M\u00e9rapi",
    "",
])
def test_bad_ash_ids_refused(text):
    problem = ash_id_problem(text)
    assert problem and "\n" not in problem
    assert not re.fullmatch(ASH_ID, text) or "impossible" in problem


def test_good_ash_ids():
    for text in ("201702211904+0700_Merapi", "201811222130+0800_Anak_Krakatau", "202001010000-0930_Lewotobi_Laki-laki"):
        assert ash_id_problem(text) is None and re.fullmatch(ASH_ID, text)


# The hazard and exposure, by hand ------------------------------------------------------------------------
# Hazard: 3x3 cells of 0.1 deg from 110.0 E / 7.0 S (test_ash_hazard.N), north-up:
#     0.01 (no class)   0.1 (very low)    2.0 (low)
#     5.0 (medium)      10.0 (high)       10.5 (very high)
#     NoData            0.05 (very low)   3.0 (medium)
# Population: 8x8 cells of 0.05 deg from 109.95 E / 6.95 S: a ring of cells outside the hazard (1000
# people each, never exposed) around 6x6 cells, 2x2 of them in each hazard cell. Their centres
# (110.025, 110.075, ...) are a quarter of a hazard cell from its edges. -9999 is the declared NoData.
POP_NODATA = -9999.0
O = 1000.0
POPULATION = np.array([
    [O, O, O, O, O, O, O, O],
    [O, 1, 2, 10, 20, 100, 200, O],
    [O, 3, 4, 30, 40, 300, 400, O],
    [O, 5, 6, 7, 8, 9, 10, O],
    [O, 11, 12, 13, 14, 15, POP_NODATA, O],
    [O, 50, 60, 70, 80, 90, 0, O],
    [O, 50, 60, np.nan, 80, 90, 100, O],
    [O, O, O, O, O, O, O, O],
], dtype=np.float32)
# Per hazard cell:  (0,0) 1+2+3+4 = 10, no class      (0,1) 10+20+30+40 = 100 very low   (0,2) 100+...+400 = 1000 low
#                   (1,0) 5+6+11+12 = 34 medium        (1,1) 7+8+13+14 = 42 high          (1,2) 9+10+15+NoData = 34 very high
#                   (2,0) 50+60+50+60 = 220 on NoData  (2,1) 70+80+NaN+80 = 230 very low  (2,2) 90+0+90+100 = 280 medium
HAND = {"very_low": 100 + 230, "low": 1000, "medium": 34 + 280, "high": 42, "very_high": 34}
HAND_TOTAL = 1720  # 330 + 1000 + 314 + 42 + 34
HAND_DISPLACED = 76  # high and very high at rate 1.0


@pytest.fixture
def hand_hazard(tmp_path):
    return read_ash_hazard(write_tif(tmp_path / "hazard.tif", N, NORTH_UP, nodata=FILL))


@pytest.fixture
def hand_population(tmp_path):
    return write_tif(tmp_path / "population.tif", POPULATION, from_origin(109.95, -6.95, 0.05, 0.05), nodata=POP_NODATA)


def test_hand_computed_exposure(hand_hazard, hand_population):
    exposure = ash_exposure(hand_hazard, hand_population)
    assert exposure.people == HAND
    assert exposure.total == HAND_TOTAL == sum(exposure.people.values())
    assert exposure.displaced == HAND_DISPLACED
    assert exposure.cells == 36  # the 6x6 window under the hazard, not the 8x8 raster


@pytest.mark.parametrize("threads", [1, 2, 3])
def test_hand_case_on_a_tiled_raster_in_many_blocks(tmp_path, hand_hazard, threads):
    # the same people on a raster 8x finer, tiled 16x16 (3 row blocks under the hazard): each old cell's people
    # spread over 64 cells, which float32 holds exactly, so the sums are exact too
    fine = np.repeat(np.repeat(np.nan_to_num(np.where(POPULATION == POP_NODATA, 0, POPULATION)), 8, 0), 8, 1) / 64
    path = write_tif(tmp_path / "fine.tif", fine.astype(np.float32), from_origin(109.95, -6.95, 0.00625, 0.00625),
                     tiled=True, blockxsize=16, blockysize=16)
    exposure = ash_exposure(hand_hazard, path, threads=threads)
    assert exposure.people == HAND
    assert exposure.displaced == HAND_DISPLACED
    assert exposure.cells == 48 * 48


def test_population_outside_the_hazard_is_not_exposed(tmp_path, hand_hazard):
    path = write_tif(tmp_path / "elsewhere.tif", np.ones((4, 4), np.float32), from_origin(100, 0, 0.05, 0.05))
    exposure = ash_exposure(hand_hazard, path)
    assert exposure.total == 0 and exposure.cells == 0 and set(exposure.people) == set(CLASS_KEYS)


# The same data in other CRSs. A plate carree on a sphere (x = R lon, y = R lat in radians, no datum shift
# from WGS84) is a different CRS that maps the 4326 grids onto exactly scaled grids, so the totals must be
# the hand-computed ones while every centre goes through pyproj.
R = 6_371_000.0
SPHERE = f"+proj=eqc +R={R} +units=m +no_defs"
K = R * math.pi / 180  # metres per degree


def scaled(transform: Affine) -> Affine:
    return Affine(transform.a * K, 0, transform.c * K, 0, transform.e * K, transform.f * K)


def test_hazard_in_another_crs_gives_the_hand_totals(tmp_path, hand_population):
    hazard = read_ash_hazard(write_tif(tmp_path / "hazard_eqc.tif", N, scaled(NORTH_UP), crs=SPHERE, nodata=FILL))
    assert hazard.crs != read_ash_hazard(write_tif(tmp_path / "h.tif", N, NORTH_UP)).crs
    exposure = ash_exposure(hazard, hand_population)
    assert exposure.people == HAND and exposure.displaced == HAND_DISPLACED


def test_population_in_another_crs_gives_the_hand_totals(tmp_path, hand_hazard):
    path = write_tif(tmp_path / "population_eqc.tif", POPULATION, scaled(from_origin(109.95, -6.95, 0.05, 0.05)),
                     crs=SPHERE, nodata=POP_NODATA)
    exposure = ash_exposure(hand_hazard, path)
    assert exposure.people == HAND and exposure.displaced == HAND_DISPLACED
    assert exposure.cells == 64  # the window is padded by a cell in another CRS; the ring is still not exposed


def test_utm_population_against_a_point_by_point_count(tmp_path, hand_hazard):
    # 1 km cells in UTM 49S over the hand hazard (110.0-110.3 E, 7.0-7.3 S) and beyond; people = 1 + row + col
    from pyproj import Transformer

    transform = from_origin(380_000, 9_230_000, 1000, 1000)
    people = (1 + np.add.outer(np.arange(45), np.arange(45))).astype(np.float32)
    path = write_tif(tmp_path / "population_utm.tif", people, transform, crs="EPSG:32749")
    expected = dict.fromkeys(CLASS_KEYS, 0.0)
    to_lonlat = Transformer.from_crs("EPSG:32749", "EPSG:4326", always_xy=True)
    for row in range(45):
        for col in range(45):
            lon, lat = to_lonlat.transform(380_000 + 1000 * (col + 0.5), 9_230_000 - 1000 * (row + 0.5))
            i, j = math.floor((-7.0 - lat) / 0.1), math.floor((lon - 110.0) / 0.1)
            if 0 <= i < 3 and 0 <= j < 3 and (found := class_of(float(N[i, j]))) and N[i, j] != np.float32(FILL):
                expected[found.key] += float(people[row, col])
    assert sum(expected.values()) > 0 and all(expected.values())
    assert ash_exposure(hand_hazard, path).people == pytest.approx(expected, rel=1e-12)


# The real Merapi forecast ---------------------------------------------------------------------------------

def cell_areas_km2(transform: Affine, rows: int) -> np.ndarray:
    """Area of one cell per row on the WGS84 authalic sphere: R^2 dlon (sin lat1 - sin lat2)."""
    r = 6371.0072  # km
    lat = np.radians(transform.f + transform.e * np.arange(rows + 1))
    return r * r * math.radians(transform.a) * np.abs(np.diff(np.sin(lat)))


def test_merapi_fixture(fixtures):
    path = fixtures / "ash" / "201702211204+0000_Merapi-hazard.tif"
    with rasterio.open(path) as dataset:
        raw, transform, nodata = dataset.read(1), dataset.transform, dataset.nodata
    valid = raw != np.float32(nodata)
    areas = np.broadcast_to(cell_areas_km2(transform, raw.shape[0])[:, None], raw.shape)
    area_any = float(areas[valid & (raw >= 0.01)].sum())
    area_10 = float(areas[valid & (raw >= 10)].sum())
    assert area_any == pytest.approx(19_500, rel=0.03)  # the reference's figure
    assert area_10 == pytest.approx(1_300, rel=0.05)

    hazard = read_ash_hazard(path)
    assert hazard.shape == (150, 150) and hazard.crs.to_epsg() == 4326
    assert hazard.max_thickness_cm == pytest.approx(98.5, abs=0.01)
    assert np.isnan(hazard.thickness).sum() == int((~valid).sum()) == 2
    classes = classify(hazard.thickness)
    assert float(areas[classes >= 0].sum()) == pytest.approx(area_any, rel=1e-9)  # no cell at exactly 0.01 cm
    assert hazard.sample(110.442, -7.542) == pytest.approx(98.5, abs=0.01)  # the summit


def test_merapi_exposure_against_masks_of_the_file(fixtures, tmp_path):
    # population on the hazard's own grid split 3x3: each hazard cell holds 9 population cells of 1 + (r*150+c) % 7
    path = fixtures / "ash" / "201702211204+0000_Merapi-hazard.tif"
    with rasterio.open(path) as dataset:
        raw, t, nodata = dataset.read(1), dataset.transform, dataset.nodata
    weights = (1 + np.arange(raw.size) % 7).reshape(raw.shape).astype(np.float64)
    fine = np.repeat(np.repeat(weights, 3, 0), 3, 1) / 9
    population = write_tif(tmp_path / "merapi_population.tif", fine, Affine(t.a / 3, 0, t.c, 0, t.e / 3, t.f),
                           tiled=True, blockxsize=128, blockysize=128)
    valid = raw != np.float32(nodata)
    edges = {"very_low": (0.01, 0.1), "low": (0.1, 2), "medium": (2, 5), "high": (5, 10), "very_high": (10, 1e9)}
    expected = {key: float(weights[valid & (raw > np.float32(lo)) & (raw <= np.float32(hi))].sum())
                for key, (lo, hi) in edges.items()}
    exposure = ash_exposure(read_ash_hazard(path), population)
    assert exposure.people == pytest.approx(expected, rel=1e-6)  # people/9 in float32
    assert exposure.displaced == pytest.approx(expected["high"] + expected["very_high"], rel=1e-6)
    assert exposure.cells == fine.size


def test_merapi_forecast_warped_to_utm_49s_exposes_the_same_people(fixtures, tmp_path):
    # The forecast resampled (nearest) onto 500 m cells of UTM 49S, over one person per 30" cell in lon/lat:
    # only cells along class boundaries can change class, so each class agrees to a few per cent.
    from rasterio.warp import Resampling, calculate_default_transform, reproject

    path = fixtures / "ash" / "201702211204+0000_Merapi-hazard.tif"
    with rasterio.open(path) as dataset:
        raw, nodata = dataset.read(1), dataset.nodata
        utm, width, height = calculate_default_transform(dataset.crs, "EPSG:32749", dataset.width, dataset.height,
                                                         *dataset.bounds, resolution=500)
        warped = np.full((height, width), nodata, np.float32)
        reproject(raw, warped, src_transform=dataset.transform, src_crs=dataset.crs, src_nodata=nodata,
                  dst_transform=utm, dst_crs="EPSG:32749", dst_nodata=nodata, resampling=Resampling.nearest)
    lonlat = read_ash_hazard(path)
    projected = read_ash_hazard(write_tif(tmp_path / "merapi_utm.tif", warped, utm, crs="EPSG:32749", nodata=nodata))
    assert projected.crs.to_epsg() == 32749
    assert projected.max_thickness_cm == lonlat.max_thickness_cm
    west, south, east, north = lonlat.bounds()
    people = np.ones((round((north - south) * 120) + 2, round((east - west) * 120) + 2), np.float32)
    population = write_tif(tmp_path / "one_per_cell.tif", people, from_origin(west, north, 1 / 120, 1 / 120))
    a, b = ash_exposure(lonlat, population), ash_exposure(projected, population)
    assert a.total > 20_000
    assert b.total == pytest.approx(a.total, rel=0.005)
    assert b.people == pytest.approx(a.people, rel=0.03)
