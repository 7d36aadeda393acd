"""Ash core: classes, volcanoes, event ids, the hazard raster and population exposure, worked out by hand."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from importlib import resources

import numpy as np
import pytest

from realtime.ash.classes import ASH_CLASSES, CLASS_KEYS, class_of, classify
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
