"""Flood snapshots, ids, history, exposure and needs, against the real Jakarta data."""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import geopandas as gpd
import numpy as np
import pytest
import shapely
from exactextract import exact_extract
from shapely.geometry import box

from conftest import FLOOD_SNAPSHOT
from realtime.analysis_data import AnalysisData
from realtime.flood.exposure import people_per_polygon_vector
from realtime.ids import FloodIdError, flood_id_for, parse_flood_id
from realtime.flood.history import SnapshotConflict, save_snapshot
from realtime.flood.impact import NoFloodImpact, analyse_flood
from realtime.flood.needs import load_needs_profile, minimum_needs
from realtime.flood.snapshot import FloodSourceError, parse_snapshot

FLOOD_ID = "2017022105-6-rw"


@pytest.fixture(scope="module")
def raw(fixtures) -> bytes:
    return FLOOD_SNAPSHOT.read_bytes()


def test_real_snapshot_normalises(raw):
    snapshot = parse_snapshot(raw, "fixture")
    assert len(snapshot.areas) == 161 and snapshot.schema == "petabencana"
    states = [area.state for area in snapshot.areas]
    assert (states.count(1), states.count(2), states.count(3)) == (3, 151, 7)
    assert sum(area.geometry.geom_type == "MultiPolygon" for area in snapshot.areas) == 3
    first = snapshot.areas[0]
    assert isinstance(first.area_id, str) and first.rw.startswith("RW") and first.village.isupper()
    wrapped = json.dumps({"statusCode": 200, "result": json.loads(raw)}).encode()
    assert [a.area_id for a in parse_snapshot(wrapped).areas] == [a.area_id for a in snapshot.areas]


def test_old_petajakarta_rem_format(raw):
    collection = json.loads(raw)
    for n, feature in enumerate(collection["features"]):
        p = feature["properties"]
        feature["properties"] = {"pkey": 3173080005004000 + n, "level_name": p["area_name"],
                                 "parent_name": p["parent_name"], "state": 0 if n % 2 else p["state"]}
    snapshot = parse_snapshot(json.dumps(collection).encode())
    assert snapshot.schema == "petajakarta-rem"
    assert snapshot.areas[1].state == 0 and snapshot.areas[0].area_id == "3173080005004000"
    assert snapshot.areas[0].rw.startswith("RW")


def _collection(**properties) -> dict:
    geometry = {"type": "Polygon", "coordinates": [[[106.8, -6.2], [106.81, -6.2], [106.81, -6.19], [106.8, -6.2]]]}
    props = {"area_id": "5", "area_name": "RW 09", "parent_name": "GROGOL", "state": 2, **properties}
    return {"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": geometry, "properties": props}]}


@pytest.mark.parametrize(
    "payload, problem",
    [
        (b"<html><body>502 Bad Gateway</body></html>", "not JSON"),
        (b'{"statusCode": 200}', "no 'result'"),
        (b'{"statusCode": 200, "result": null}', "'result' is null"),
        (b'{"type": "Topology", "objects": {}}', "TopoJSON"),
        (b"[1, 2, 3]", "expected a GeoJSON FeatureCollection"),
        (json.dumps(_collection(state=5)).encode(), "state 5 is outside 0-4"),
        (json.dumps(_collection(state="deep")).encode(), "is not a number"),
        (json.dumps(_collection(area_id=None)).encode(), "no area_id"),
        (json.dumps({"type": "FeatureCollection", "features": [{"geometry": None, "properties": {"state": 2}}]}).encode(),
         "no Polygon"),
        (json.dumps({"type": "FeatureCollection", "features": [
            {"geometry": {"type": "Point", "coordinates": [106.8, -6.2]}, "properties": {"state": 2}}]}).encode(), "no Polygon"),
        (json.dumps({"type": "FeatureCollection", "features": [
            {"geometry": {"type": "Polygon", "coordinates": [[["a", "b"]] * 4]}, "properties": {"state": 2}}]}).encode(),
         r"not \[lon, lat\] numbers"),
    ],
)
def test_bad_snapshots_raise_flood_source_error(payload, problem):
    with pytest.raises(FloodSourceError, match=problem) as error:
        parse_snapshot(payload, "https://data.petabencana.id/floods")
    assert "https://data.petabencana.id/floods" in str(error.value)


def test_null_and_zero_states_mean_no_flood():
    assert parse_snapshot(json.dumps(_collection(state=None)).encode()).areas[0].state == 0
    assert parse_snapshot(json.dumps(_collection(state="3")).encode()).areas[0].state == 3


def test_flood_ids():
    wib = datetime(2017, 2, 21, 12, 40, tzinfo=ZoneInfo("Asia/Jakarta"))
    assert flood_id_for(wib) == FLOOD_ID  # 12:40 WIB is 05 UTC
    moment, duration, level = parse_flood_id("2018022511-3-village")
    assert moment == datetime(2018, 2, 25, 11, tzinfo=timezone.utc) and (duration, level) == (3, "village")
    for bad in ("2017022105-2-rw", "2017022105-6-city", "2017023105-6-rw", "../../etc/passwd", "2017022105-6-rw/x", ""):
        with pytest.raises(FloodIdError):
            parse_flood_id(bad)


def test_history_keeps_the_first_snapshot(tmp_path, raw):
    path = save_snapshot(tmp_path, FLOOD_ID, raw)
    assert path == tmp_path / FLOOD_ID / "flood_data.json" and path.read_bytes() == raw
    assert save_snapshot(tmp_path, FLOOD_ID, raw) == path  # the same again is fine
    with pytest.raises(SnapshotConflict, match="already holds a different snapshot"):
        save_snapshot(tmp_path, FLOOD_ID, raw + b" ")
    assert path.read_bytes() == raw
    with pytest.raises(FloodIdError):
        save_snapshot(tmp_path, "../evil", raw)


def test_needs_match_the_worked_example():
    """flood.md 3.8: 142 displaced -> rice 398 kg, drinking water 2,485 l, clean water 9,514 l, 29 kits, 8 toilets."""
    _, needs = load_needs_profile()
    amounts = {item["key"]: item["amount"] for item in minimum_needs(142, needs)}
    assert amounts == {"rice": 398, "drinking_water": 2485, "clean_water": 9514, "family_kits": 29, "toilets": 8}
    assert {item["key"]: item["amount"] for item in minimum_needs(20, needs)}["toilets"] == 1  # no float creep


def test_affected_people_equal_an_independent_exactextract_sum(jakarta_data, raw):
    snapshot = parse_snapshot(raw)
    impact = analyse_flood(snapshot, FLOOD_ID, AnalysisData(jakarta_data), "PetaBencana.id")
    document = impact.document
    # independent computation: exactextract straight on the fixture's polygons, grouped by state
    frame = gpd.read_file(FLOOD_SNAPSHOT)
    sums = exact_extract(str(jakarta_data / "exposure" / "population.tif"), frame, "sum", include_cols=["state"], output="pandas")
    by_state = sums.groupby("state")["sum"].sum()
    classes = {row["key"]: row for row in document["classes"]}
    assert classes["low"]["affected"] == pytest.approx(by_state[2], rel=1e-9)
    assert classes["medium"]["affected"] == pytest.approx(by_state[3], rel=1e-9)
    assert classes["use_caution"]["affected"] == 0 and classes["use_caution"]["population"] == pytest.approx(by_state[1], rel=1e-9)
    summary = document["summary"]
    assert summary["affected"] == pytest.approx(by_state[2] + by_state[3], rel=1e-9)
    assert summary["displaced"] == pytest.approx(0.01 * by_state[2] + 0.03 * by_state[3], rel=1e-9)
    assert (summary["flooded_rw"], summary["caution_rw"]) == (158, 3)
    # villages: every flooded RW counted once, sorted by affected people
    assert sum(v["flooded_rw"] for v in document["villages"]) == 158
    affected = [v["affected"] for v in document["villages"]]
    assert affected == sorted(affected, reverse=True) and sum(affected) == pytest.approx(summary["affected"])
    # needs scaled to our displaced people, the same rule as the worked example
    displaced = round(summary["displaced"])
    assert document["needs"]["displaced"] == displaced
    rice = next(item for item in document["needs"]["items"] if item["key"] == "rice")
    assert rice["amount"] == math.ceil(displaced * 2.8)
    women = next(g for g in document["vulnerable"] if g["key"] == "female")
    assert women["people"] == pytest.approx(summary["displaced"] * 0.496)
    geojson = impact.geojson()
    assert len(geojson["features"]) == 161 and {"state", "class", "affected", "displaced"} <= set(geojson["features"][0]["properties"])


def test_only_use_caution_areas_means_no_impact(jakarta_data):
    snapshot = parse_snapshot(json.dumps(_collection(state=1)).encode())
    with pytest.raises(NoFloodImpact, match="no area has flood state 2 or more"):
        analyse_flood(snapshot, FLOOD_ID, AnalysisData(jakarta_data), "file")


def test_vector_population_is_spread_by_area(tmp_path):
    layer = gpd.GeoDataFrame({"population": [1000.0, 3000.0]},
                             geometry=[box(106.80, -6.20, 106.81, -6.19), box(106.81, -6.20, 106.82, -6.19)], crs="EPSG:4326")
    path = tmp_path / "flood_population.gpkg"
    layer.to_file(path)
    half_of_first = box(106.80, -6.20, 106.805, -6.19)
    straddling = box(106.805, -6.20, 106.815, -6.19)
    people = people_per_polygon_vector([half_of_first, straddling], path)
    assert people == pytest.approx([500.0, 500.0 + 1500.0], rel=1e-3)
    assert np.all(people >= 0)


def test_a_utf8_byte_order_mark_is_allowed(raw):
    """RFC 8259 lets a parser ignore a UTF-8 BOM; Windows editors add one."""
    assert len(parse_snapshot(b"\xef\xbb\xbf" + raw, "fixture").areas) == 161


def test_a_ring_crossing_itself_once_is_repaired_to_its_two_halves():
    # a bowtie (0,0) (2,2) (2,0) (0,2) in units of 0.01 degree: two triangles of 1 unit each, meeting at (1,1)
    bowtie = [[106.80, -6.20], [106.82, -6.18], [106.82, -6.20], [106.80, -6.18], [106.80, -6.20]]
    collection = _collection()
    collection["features"][0]["geometry"]["coordinates"] = [bowtie]
    area = parse_snapshot(json.dumps(collection).encode()).areas[0]
    assert area.geometry.is_valid and area.geometry.geom_type == "MultiPolygon"
    assert area.geometry.area == pytest.approx(2 * 0.01 ** 2, rel=1e-9)


def test_every_rw_of_jakarta_is_within_the_limits(fixtures):
    """The caps must sit far above real data: all 2,685 RWs (one of them crossing itself) parse."""
    rw = gpd.read_file(fixtures / "boundaries" / "rw_jakarta.shp").to_crs("EPSG:4326")
    rw = rw[rw.geometry.notna() & ~rw.geometry.is_empty]
    frame = gpd.GeoDataFrame({"area_id": [str(n) for n in range(len(rw))], "area_name": rw["RW"].fillna("RW ?"),
                              "parent_name": rw["KEL_NAME"].fillna("?"), "state": 2}, geometry=rw.geometry, crs="EPSG:4326")
    snapshot = parse_snapshot(frame.to_json().encode(), "rw_jakarta")
    assert len(snapshot.areas) == len(rw) == 2685
    assert all(area.geometry.is_valid for area in snapshot.areas)
    assert sum(area.geometry.area for area in snapshot.areas) == pytest.approx(shapely.area(rw.geometry.values).sum(), rel=1e-6)


def test_a_snapshot_the_analysis_cannot_use_is_not_kept(tmp_path, raw):
    """Keeping it would refuse every later snapshot for the same flood id as a conflict."""
    from realtime.analysis_data import AnalysisDataError
    from realtime.pipeline.flood import process_flood

    floodmaps = tmp_path / "floodmaps"
    with pytest.raises(AnalysisDataError):
        process_flood(raw, parse_snapshot(raw), FLOOD_ID, "file", floodmaps, tmp_path / "no-analysis-data",
                      tmp_path / "out", now=datetime.now(timezone.utc))
    assert not floodmaps.exists() or not any(floodmaps.rglob("*"))
