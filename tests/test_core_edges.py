"""Edges of the core functions no other test reaches: each refusal must name the input and say what is wrong,
each edge value is worked out by hand. Direct calls: these are pure functions of their arguments."""

from __future__ import annotations

import json
import zipfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from conftest import GRID_INITIAL, GRID_ZIP

from realtime.ash.impact import _layer_source, zone_name
from realtime.ash.scenario import ScenarioError, ash_scenario
from realtime.ash.volcanoes import Volcano, find_volcano
from realtime.earthquake import grid as grid_module
from realtime.earthquake.grid import ShakeGridError, parse_shake_grid, read_grid_bytes
from realtime.earthquake.mmi import mmi_colour, roman
from realtime.earthquake.scenario import scenario_grid
from realtime.flood.snapshot import FloodSourceError, parse_snapshot
from realtime.ids import FloodIdError, flood_id_for
from realtime.reporting.i18n import TranslationError, available_locales, translations

# --- flood snapshots: the shapes a PetaBencana answer must not take -----------------------------------------------
TRIANGLE = [[106.80, -6.20], [106.81, -6.20], [106.81, -6.19], [106.80, -6.20]]  # legs of 0.01 degrees: area 5e-5


def snapshot(features: object, kind: str = "FeatureCollection") -> bytes:
    return json.dumps({"type": kind, "features": features}).encode()


def area(properties: dict, geometry: object = None) -> dict:
    geometry = {"type": "Polygon", "coordinates": [TRIANGLE]} if geometry is None else geometry
    return {"type": "Feature", "properties": {"pkey": "7", "state": 2, **properties}, "geometry": geometry}


@pytest.mark.parametrize(("data", "message"), [
    (json.dumps({"type": "Feature"}).encode(), "snap.json: expected a FeatureCollection, got type 'Feature'"),
    (snapshot([5]), "snap.json: feature 0 is not an object"),
    (snapshot([area({"area_name": 5})]), "snap.json: feature 0: area_name must be text, got a number"),
    (snapshot([area({}, {"type": "Polygon", "coordinates": None})]), "snap.json: feature 0 has an empty geometry"),
    (snapshot([area({}, {"type": "MultiPolygon", "coordinates": []})]), "snap.json: feature 0 has an empty geometry"),
    (snapshot([area({}, {"type": "MultiPolygon", "coordinates": [5]})]),
     "snap.json: feature 0: a polygon is not a list of rings"),
    (snapshot([area({}, {"type": "Polygon", "coordinates": ["ring"]})]),
     "snap.json: feature 0: ring 0 is not a list of [lon, lat] positions"),
])
def test_a_malformed_snapshot_is_refused_naming_the_feature(data, message):
    with pytest.raises(FloodSourceError) as error:
        parse_snapshot(data, name="snap.json")
    assert str(error.value) == message


def test_an_area_without_a_name_keeps_empty_names():
    (only,) = parse_snapshot(snapshot([area({})]), name="snap.json").areas
    assert (only.area_id, only.rw, only.village, only.state) == ("7", "", "", 2)


def test_positions_with_heights_lose_the_height_not_the_area():
    with_heights = [[106.80, -6.20, 3.5], [106.81, -6.20], [106.81, -6.19, 1], [106.80, -6.20]]
    (only,) = parse_snapshot(snapshot([area({}, {"type": "Polygon", "coordinates": [with_heights]})])).areas
    assert not only.geometry.has_z
    assert list(only.geometry.exterior.coords) == [tuple(p) for p in TRIANGLE]
    assert only.geometry.area == pytest.approx(0.01 * 0.01 / 2)


# --- ids -----------------------------------------------------------------------------------------------------------
def test_flood_id_needs_an_aware_time_and_a_known_duration_and_level():
    with pytest.raises(FloodIdError, match="timezone-aware"):
        flood_id_for(datetime(2017, 2, 21, 12, 40))
    with pytest.raises(FloodIdError, match=r"duration must be one of \(1, 3, 6\)"):
        flood_id_for(datetime(2017, 2, 21, 5, tzinfo=timezone.utc), duration=2)
    with pytest.raises(FloodIdError, match="level one of"):
        flood_id_for(datetime(2017, 2, 21, 5, tzinfo=timezone.utc), level="city")
    assert flood_id_for(datetime(2017, 2, 21, 5, 59, tzinfo=timezone.utc), 3, "village") == "2017022105-3-village"


# --- MMI above X: the old maps' colours and numerals -----------------------------------------------------------------
def test_mmi_beyond_the_scale():
    assert [roman(v) for v in (10, 11, 12, 0, 13)] == ["X", "XI", "XII", "", ""]
    assert mmi_colour(11.4) == "#880000" and mmi_colour(12.0) == "#440000"  # the old maps' darker reds
    assert mmi_colour(13.0) == mmi_colour(10.0)  # past XII: X's colour


# --- earthquake grids: refusals that name the file and the attribute ------------------------------------------------
def mutated(old: bytes, new: bytes) -> bytes:
    data = GRID_INITIAL.read_bytes()
    assert data.count(old) == 1, old
    return data.replace(old, new)


@pytest.mark.parametrize(("old", "new", "message"), [
    (b'lat="1.340000"', b'lat="inf"', "g.xml: <event> lat='inf' is not finite"),
    (b'nlon="161"', b'nlon="161.5"', "g.xml: <grid_specification> nlon='161.5' is not an integer"),
    (b'event_timestamp="2018-02-20T16:29:28WIB"', b'event_timestamp="2018-02-30T16:29:28WIB"',
     "g.xml: event_timestamp '2018-02-30T16:29:28WIB' is not a real date and time"),
    (b"<grid_specification ", b"<grid_spec ", "g.xml: missing <grid_specification> element"),
])
def test_a_bad_grid_attribute_is_named(fixtures, old, new, message):
    with pytest.raises(ShakeGridError) as error:
        parse_shake_grid(mutated(old, new), name="g.xml")
    assert str(error.value) == message


def test_an_unknown_source_type_is_refused(fixtures):
    with pytest.raises(ShakeGridError, match=r"g.xml: source type 'final' is not one of \('initial', 'corrected'\)"):
        parse_shake_grid(GRID_INITIAL.read_bytes(), name="g.xml", source_type="final")


def test_a_missing_grid_field_names_the_fields_there_are(fixtures):
    grid = parse_shake_grid(GRID_INITIAL.read_bytes(), name="g.xml")
    assert grid.field("pga") is grid.fields["PGA"]
    with pytest.raises(KeyError, match=r"g.xml: no grid field 'PSA06'; have \['MMI', 'PGA', 'PGV', "):
        grid.field("PSA06")


def test_oversized_grid_files_are_refused_before_parsing(fixtures, monkeypatch):
    monkeypatch.setattr(grid_module, "MAX_GRID_BYTES", 1000)
    with pytest.raises(ShakeGridError, match=f"^{GRID_INITIAL}: file is larger than 1000 bytes$"):
        read_grid_bytes(GRID_INITIAL)
    with zipfile.ZipFile(GRID_ZIP) as archive:
        member = next(m.filename for m in archive.infolist() if m.filename.endswith("output/grid.xml"))
    with pytest.raises(ShakeGridError, match=f"^{GRID_ZIP}: {member} is larger than 1000 bytes$"):
        read_grid_bytes(GRID_ZIP)


# --- scenarios: what the scenario commands refuse ----------------------------------------------------------------------
AT = datetime(2020, 1, 1, tzinfo=timezone.utc)


def test_quake_scenario_grid_limits():
    with pytest.raises(ValueError, match="scenario grid would cross a pole"):
        scenario_grid(6.0, 10.0, 89.0, 106.0, AT)  # 89 + 2 degrees half width
    with pytest.raises(ValueError, match=r"^1x1 nodes: the grid reader accepts 2x2 up to 10000000 nodes$"):
        scenario_grid(6.0, 10.0, -6.0, 106.0, AT, spacing=10.0)  # round(4 / 10) + 1 = 1
    with pytest.raises(ValueError, match=r"^4001x4001 nodes"):
        scenario_grid(6.0, 10.0, -6.0, 106.0, AT, spacing=0.001)  # 4 / 0.001 + 1


@pytest.mark.parametrize(("volcano", "args", "message"), [
    ("Merapi", (45, 1e-6, 50, 90, None), "the deposit is thinner than 0.001 cm everywhere: raise the volume"),
    ("Merapi", (10, 0.01, 10, 90, 2.0), "resolution 2 degrees is outside 0.0001..1"),
    ("Merapi", (10, 0.01, 10, 90, 1e-4), "cells of 0.0001 degrees is too many: coarsen the resolution"),
    (Volcano("Polar", 78.0, 15.0, 1000), (40, 10, 30, 180, None),
     "the deposit would reach a pole: this scenario model works away from the poles"),
])
def test_ash_scenario_refusals(volcano, args, message):
    place = find_volcano(volcano) if isinstance(volcano, str) else volcano
    with pytest.raises(ScenarioError) as error:
        ash_scenario(place, *args[:4], resolution_deg=args[4])
    assert str(error.value).endswith(message)


# --- ash impact.json: the event's clock and the layers' sources ------------------------------------------------------
@pytest.mark.parametrize(("offset", "name"), [
    (timedelta(hours=7), "WIB"),
    (timedelta(0), "UTC"),
    (timedelta(hours=8), "UTC+08:00"),  # not Merapi's clock: the offset, not WITA
    (timedelta(hours=-3, minutes=-30), "UTC-03:30"),
    (timedelta(hours=5, minutes=45), "UTC+05:45"),
])
def test_ash_event_zone_name(offset, name):
    assert zone_name(datetime(2017, 2, 21, 19, 4, tzinfo=timezone(offset)), "Asia/Jakarta") == name


def test_a_layer_source_falls_back_on_anything_unreadable(tmp_path: Path):
    cases = {"own.geojson": '{"type": "FeatureCollection", "source": "OpenStreetMap 2024"}',
             "list.geojson": "[1, 2]", "broken.geojson": "{not json", "blank.geojson": '{"source": ""}'}
    for file_name, text in cases.items():
        (tmp_path / file_name).write_text(text, encoding="utf-8")
    assert _layer_source(tmp_path / "own.geojson", "GeoNames") == "OpenStreetMap 2024"
    for file_name in ("list.geojson", "broken.geojson", "blank.geojson", "missing.geojson"):
        assert _layer_source(tmp_path / file_name, "GeoNames") == "GeoNames", file_name


# --- report catalogues ----------------------------------------------------------------------------------------------
def test_report_languages_are_the_catalogues_there_are(tmp_path: Path):
    for locale in ("id", "fr"):
        folder = tmp_path / "locale" / locale / "LC_MESSAGES"
        folder.mkdir(parents=True)
        (folder / "realtime.po").write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                                            f'msgid "Affected"\nmsgstr "{locale}-Affected"\n', encoding="utf-8")
    (tmp_path / "locale" / "de").mkdir()  # a folder without a catalogue is not a language
    assert available_locales(tmp_path) == ["en", "fr", "id"]
    assert translations(tmp_path, "fr").gettext("Affected") == "fr-Affected"  # compiled from the .po in memory
    with pytest.raises(TranslationError, match="no translation catalog for locale 'de'"):
        translations(tmp_path, "de")


# --- small things a run relies on ------------------------------------------------------------------------------------
def test_a_failing_language_is_named_and_the_others_still_come(tmp_path: Path):
    """The second language renders in a forked child: its failure comes back to the parent as one line."""
    from realtime.reporting.report_parts import render_locales

    def render(locale: str) -> dict[str, str]:
        if locale == "id":
            raise ValueError("no font for Indonesian")
        return {"pdf": f"event-{locale}.pdf"}

    assert render_locales(render, ["en", "fr"]) == {"en": {"pdf": "event-en.pdf"}, "fr": {"pdf": "event-fr.pdf"}}
    with pytest.raises(RuntimeError, match=r"^rendering the id report failed: ValueError: no font for Indonesian$"):
        render_locales(render, ["en", "id"])


def test_an_oversized_snapshot_is_refused_before_parsing(monkeypatch):
    from realtime.flood import json_guard

    monkeypatch.setattr(json_guard, "MAX_SNAPSHOT_BYTES", 10)
    with pytest.raises(FloodSourceError, match=r"^snap.json: snapshot is larger than 10 bytes$"):
        parse_snapshot(snapshot([]), name="snap.json")


def test_an_unknown_fatality_model_is_refused_before_any_work():
    from realtime.earthquake.impact import ImpactOptions, analyse_shake

    with pytest.raises(ValueError, match=r"unknown fatality model 'usgs'; choose from \['itb', 'itb_bayesian', 'pager'\]"):
        analyse_shake(None, None, ImpactOptions(fatality_model="usgs"))  # refused before the grid or data are read


def test_kelurahan_without_polygons_is_refused(tmp_path: Path):
    from realtime.analysis_data import AnalysisData
    from realtime.demo_data import import_kelurahan

    points = tmp_path / "kelurahan.geojson"
    points.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [106.8, -6.2]}}]}))
    with pytest.raises(ValueError, match=f"^{points}: no polygons$"):
        import_kelurahan(AnalysisData(tmp_path / "data"), points)
    assert not (tmp_path / "data").exists()


def test_undeclared_negative_cells_are_no_data_and_said_once(tmp_path: Path, caplog):
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from rasterio.windows import Window

    from realtime.population_blocks import read_block

    path = tmp_path / "population.tif"
    cells = np.array([[5, -9999], [-1, 7]], dtype=np.float32)
    with rasterio.open(path, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32", crs="EPSG:4326",
                      transform=from_origin(106.0, -6.0, 0.01, 0.01), nodata=-1) as dst:
        dst.write(cells, 1)
    with caplog.at_level("WARNING", logger="realtime.population_blocks"):
        first = read_block(path, Window(0, 0, 2, 2), -1.0)
        second = read_block(path, Window(0, 0, 2, 2), -1.0)
    assert first.tolist() == second.tolist() == [[5, 0], [0, 7]]  # -9999 undeclared, -1 declared: both no data
    warnings = [r.getMessage() for r in caplog.records if "negative cells" in r.getMessage()]
    assert len(warnings) == 1 and str(path) in warnings[0] and "-9999" in warnings[0]


def test_a_source_tree_without_install_has_a_version(monkeypatch):
    """`realtime` imported from a checkout that was never installed: a stand-in version, not an import error."""
    import importlib.metadata
    import importlib.util

    import realtime

    def not_installed(name: str) -> str:
        raise importlib.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(importlib.metadata, "version", not_installed)
    spec = importlib.util.spec_from_file_location("realtime_uninstalled", Path(realtime.__file__))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.__version__ == "0.0.0+source" and module.SOFTWARE_NAME == "InaSAFE Realtime"


def test_a_flood_counted_on_a_vector_population_layer(tmp_path: Path):
    """exposure/flood_population.gpkg, when present, is used instead of the raster (none here): two blocks of 1,000
    and 3,000 people, 0.01 degree square. RW 01 (state 3, medium) is the west half of the first block: 500 people,
    3 % displaced = 15. RW 02 (state 1, caution) straddles both: 500 + 1,500 = 2,000 people, none affected."""
    import geopandas as gpd
    from shapely.geometry import box

    from realtime.analysis_data import AnalysisData
    from realtime.flood.impact import analyse_flood

    (tmp_path / "exposure").mkdir()
    gpd.GeoDataFrame({"population": [1000.0, 3000.0]}, crs="EPSG:4326",
                     geometry=[box(106.80, -6.20, 106.81, -6.19), box(106.81, -6.20, 106.82, -6.19)],
                     ).to_file(tmp_path / "exposure" / "flood_population.gpkg")

    def rw(name: str, state: int, west: float, east: float) -> dict:
        ring = [[west, -6.20], [east, -6.20], [east, -6.19], [west, -6.19], [west, -6.20]]
        return {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [ring]},
                "properties": {"area_id": name, "area_name": name, "parent_name": "GROGOL", "state": state}}

    flood = parse_snapshot(snapshot([rw("RW 01", 3, 106.80, 106.805), rw("RW 02", 1, 106.805, 106.815)]))
    document = analyse_flood(flood, "2017022105-6-rw", AnalysisData(tmp_path), "file").document
    classes = {row["key"]: row for row in document["classes"]}
    assert classes["medium"]["population"] == pytest.approx(500, rel=1e-3)
    assert classes["use_caution"]["population"] == pytest.approx(2000, rel=1e-3)
    assert document["summary"]["affected"] == pytest.approx(500, rel=1e-3)
    assert document["summary"]["displaced"] == pytest.approx(15, rel=1e-3)
    assert document["sources"]["population"] == "flood_population.gpkg"


def test_map_helpers_at_their_edges(tmp_path: Path):
    from realtime.reporting.ash_map import read_classes
    from realtime.reporting.basemap import land_polygons
    from realtime.reporting.map_parts import _nice_length

    # the scale bar: the largest round length within a quarter of the map, never under 1 km
    assert [_nice_length(km) for km in (0.3, 1.0, 7.9, 19.9, 2400.0)] == [1, 1, 5, 10, 1000]
    # an ash folder without its class polygons: a map without them, not a crash
    assert read_classes(tmp_path, {"products": {}}) == []
    land = tmp_path / "land.geojson"
    land.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
            [[106, -7], [107, -7], [107, -6], [106, -6], [106, -7]]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [
            [[[124, 1], [125, 1], [125, 2], [124, 1]]]]}}]}))
    assert len(land_polygons(land)) == 2  # no bounds: all of them
    assert len(land_polygons(land, (123.5, 0.5, 126.0, 3.0))) == 1  # only Sulawesi's touches this box


def test_a_quake_grid_with_no_place_inside_lists_none(fixtures):
    import numpy as np

    from realtime.earthquake.places import affected_places
    from realtime.gazetteer import Places

    grid = parse_shake_grid(GRID_INITIAL.read_bytes(), name="g.xml")  # 122.42-126.42 E, 0.66 S-3.34 N
    away = Places(("Jakarta",), np.array([10_000_000.0]), np.array([106.85]), np.array([-6.2]))
    assert affected_places(grid.spec, grid.mmi, away, (124.42, 1.34)) == []
    manado = Places(("Jakarta", "Manado"), np.array([10_000_000.0, 410_000.0]),
                    np.array([106.85, 124.84]), np.array([-6.2, 1.49]))
    assert [place.name for place in affected_places(grid.spec, grid.mmi, manado, (124.42, 1.34))] == ["Manado"]


def test_flood_exposure_edges(tmp_path: Path):
    """No flooded RW counts no one without opening a file; RWs off the raster count zero; a vector layer without
    the population field is refused naming the file and the fields it has."""
    import geopandas as gpd
    import numpy as np
    import rasterio
    from rasterio.transform import from_origin
    from shapely.geometry import box

    from realtime.flood.exposure import people_per_polygon_raster, people_per_polygon_vector

    missing = tmp_path / "nothing-here.tif"
    assert people_per_polygon_raster([], missing).shape == (0,)
    assert people_per_polygon_vector([], missing).shape == (0,)
    raster = tmp_path / "population.tif"
    with rasterio.open(raster, "w", driver="GTiff", width=2, height=2, count=1, dtype="float32", crs="EPSG:4326",
                       transform=from_origin(106.8, -6.1, 0.01, 0.01)) as dst:
        dst.write(np.full((2, 2), 100, dtype=np.float32), 1)
    off = [box(110.0, -7.0, 110.01, -6.99), box(111.0, -7.0, 111.01, -6.99)]
    assert people_per_polygon_raster(off, raster).tolist() == [0.0, 0.0]
    assert people_per_polygon_raster([box(106.8, -6.12, 106.82, -6.1)], raster).tolist() == [400.0]  # all 4 cells
    layer = tmp_path / "blocks.gpkg"
    gpd.GeoDataFrame({"jiwa": [1000.0]}, geometry=[box(106.8, -6.2, 106.81, -6.19)], crs="EPSG:4326").to_file(layer)
    with pytest.raises(ValueError, match=f"^{layer}: no 'population' field \\(has \\['jiwa', 'geometry'\\]\\)$"):
        people_per_polygon_vector(off, layer)


def test_demo_population_keeps_every_person_inside_and_skips_towns_outside():
    """Each town's people are spread by a normalised kernel: a town of 1,000 inside the demo extent (94-142 E,
    12 S-7 N) adds exactly 1,000; one at 150 E adds nothing and breaks nothing."""
    from realtime.demo_data import spread_population

    inside = {"name": "Contoh", "population": 1000, "longitude": 110.0, "latitude": -7.0}
    outside = {"name": "Beyond", "population": 50_000, "longitude": 150.0, "latitude": 0.0}
    grid, transform = spread_population([inside, outside])
    assert float(grid.sum(dtype="float64")) == pytest.approx(1000, rel=1e-5)
    assert (transform.c, transform.f) == (94.0, 7.0)
