"""The pages' maps: projection, the committed land layer, the overview's markers, an event's contours from its
mmi_output zip (real and hostile), rendered by Django's test client from models seeded directly."""

from __future__ import annotations

import importlib.util
import json
import logging
import re
from datetime import datetime, timedelta, timezone as dt_timezone
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from conftest import GRID_INITIAL
from events import maps
from events.maps import INDONESIA, frame, path_data
from events.page_maps import Frame, place_label
from servers import WEB, ensure_web_catalog
from shake_products import mmi_output_zip, real_contours, whole_level_lines
from test_pages import add_earthquake, media, shake_impact, text_of  # noqa: F401 (media is a fixture)

ensure_web_catalog()

LAND = WEB / "events" / "static" / "events" / "geo" / "land.geojson"
WIB = dt_timezone(timedelta(hours=7))
DETAIL = "/realtime/earthquake/20180220163351/initial/"


# Projection and path data

def test_a_known_place_lands_where_plate_carree_puts_it():
    overview = frame(INDONESIA, 2400)  # 48 degrees across: 50 units a degree
    assert overview.view_box == "0 0 2400 950"
    assert overview.project(94.0, 7.0) == (0.0, 0.0)
    assert overview.project(142.0, -12.0) == pytest.approx((2400.0, 950.0))
    assert overview.project(100.35, -0.95) == pytest.approx((317.5, 397.5))  # Padang: 6.35 E of 94, 7.95 S of 7 N
    detail = frame((122.42, -0.66, 126.42, 3.34), 1000)  # 4 degrees: 250 units a degree
    assert detail.project(124.42, 1.34) == pytest.approx((500.0, 500.0))
    assert detail.project(125.12824, 1.44059) == pytest.approx((677.06, 474.8525))  # Bitung


def test_path_data_is_whole_units_relative_and_drops_what_vanishes():
    view = frame((100.0, -1.0, 101.0, 0.0), 100)
    ring = [(100.0, 0.0), (100.5, 0.0), (100.5, -0.5), (100.0, 0.0)]
    assert path_data(view, ring, closed=True) == "M0 0l50 0 0 50 -50 -50z"
    assert path_data(view, [(100.0, 0.0), (100.001, 0.0), (100.2, -0.2)], closed=False) == "M0 0l20 20"
    assert path_data(view, [(100.0, 0.0), (100.001, 0.0), (100.0, 0.001), (100.0, 0.0)], closed=True) == ""
    assert path_data(view, [(100.3, -0.3), (100.3001, -0.3)], closed=False) == ""


def test_a_place_name_moves_aside_for_a_neighbour_and_stays_inside():
    view = Frame(0.0, 0.0, 10.0, 10.0, 100.0)  # 1000 x 1000 units
    taken = []
    first = place_label(500, 500, "Manado", taken, view)
    assert (first.x, first.y, first.anchor) == ("509", "507", "start")
    second = place_label(540, 505, "Bitung", taken, view)  # its right-hand spot overlaps Manado's name
    assert second.anchor != "start"
    edge = place_label(995, 500, "Bitung", [], view)  # no room on the right of the map's edge
    assert edge.anchor == "end" and edge.x == "986"


# The committed land layer

def point_in_rings(lon: float, lat: float, rings: list) -> bool:
    """Even-odd ray casting over all rings of a polygon (holes count as outside)."""
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, ring[1:]):
            if (y1 > lat) != (y2 > lat) and lon < x1 + (lat - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


def test_the_land_file_says_where_it_comes_from_and_has_the_coast_in_the_right_place():
    assert LAND.stat().st_size < 200_000
    document = json.loads(LAND.read_text(encoding="utf-8"))
    assert document["type"] == "FeatureCollection"
    assert document["bbox"] == [94.0, -12.0, 142.0, 7.0]
    assert "global-land-mask" in document["source"] and "GLOBE" in document["source"]
    assert document["made_by"].startswith("services/web/tools/make_land.py")
    assert document["parameters"]["tolerance_deg"] == 0.02
    assert (LAND.parent / "README.md").read_text(encoding="utf-8").count("Copyright (c) 2019 Todd Karin") == 1
    polygons = [feature["geometry"]["coordinates"] for feature in document["features"]]
    assert len(polygons) > 300
    for rings in polygons:
        for ring in rings:
            assert ring[0] == ring[-1]
            assert all(94.0 <= lon <= 142.01 and -12.0 <= lat <= 7.02 for lon, lat in ring)

    def land(lon: float, lat: float) -> bool:
        return any(point_in_rings(lon, lat, rings) for rings in polygons)

    for name, lon, lat in (("Bandung", 107.61, -6.91), ("Central Kalimantan", 113.9, -1.0), ("Papua", 138.0, -4.0),
                           ("Central Sulawesi", 120.0, -2.0), ("Riau", 101.5, 0.5)):
        assert land(lon, lat), name
    for name, lon, lat in (("Java Sea", 110.0, -5.0), ("Banda Sea", 128.0, -6.5), ("Indian Ocean", 100.0, -8.0),
                           ("Makassar Strait", 118.0, -2.0)):
        assert not land(lon, lat), name


@pytest.mark.slow
def test_the_land_file_is_exactly_what_its_script_makes():
    """Derives the land again from realtime.geography (about 6 s and 1 GB) and compares byte for byte."""
    pytest.importorskip("global_land_mask")
    spec = importlib.util.spec_from_file_location("make_land", WEB / "tools" / "make_land.py")
    make_land = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_land)
    assert make_land.OUTPUT == LAND
    assert make_land.land_text(make_land.land_document()) == LAND.read_text(encoding="utf-8")


# The list page's map

def markers(html: str) -> dict[str, dict[str, str]]:
    """Each marker's link, classes and circle attributes, keyed by its href."""
    found = {}
    for match in re.finditer(r'<a class="([^"]+)" href="([^"]+)">\s*<title>([^<]*)</title>\s*<circle ([^>]*)/>', html):
        circle = dict(re.findall(r'(\w+)="([^"]*)"', match.group(4)))
        found[match.group(2)] = {"class": match.group(1), "title": match.group(3), **circle}
    return found


@pytest.mark.django_db
def test_the_list_map_puts_each_event_where_it_is_coloured_by_alert_and_linked(client, media):
    add_earthquake()  # 124.42 E 1.34 N, M 5.0, green
    add_earthquake(shake_id="20190102030405", time=datetime(2019, 1, 2, 10, 4, 5, tzinfo=WIB), magnitude=6.8,
                   longitude=128.0, latitude=-6.5, location_description="Banda Sea",
                   impact=shake_impact("orange", "100 - 1000"))
    add_earthquake(shake_id="20170303030303", time=datetime(2017, 3, 3, tzinfo=WIB), magnitude=5.6,
                   longitude=100.1, latitude=-1.2, impact=None)
    add_earthquake(shake_id="20160404040404", time=datetime(2016, 4, 4, tzinfo=WIB), longitude=150.0, latitude=-5.0)
    response = client.get("/realtime/")
    html = response.content.decode()
    assert 'viewBox="0 0 2400 950"' in html
    found = markers(html)
    assert set(found) == {DETAIL, "/realtime/earthquake/20190102030405/initial/",
                          "/realtime/earthquake/20170303030303/initial/"}
    # 50 units a degree from 94 E and 7 N; radius 12 at M 4, times 1.4 a magnitude: 16.8 at M 5, 30.8 at M 6.8.
    assert {key: found[DETAIL][key] for key in ("class", "cx", "cy", "r")} == {
        "class": "event-marker marker-green", "cx": "1521", "cy": "283", "r": "16.8"}
    sea = found["/realtime/earthquake/20190102030405/initial/"]
    assert (sea["class"], sea["cx"], sea["cy"], sea["r"]) == ("event-marker marker-orange latest", "1700", "675", "30.8")
    assert found["/realtime/earthquake/20170303030303/initial/"]["class"] == "event-marker marker-none"
    assert found[DETAIL]["title"] == ("M 5.0 earthquake – Minahassa Peninsula, Sulawesi – 20 Feb 2018 17:29 WITA – "
                                      "PAGER alert: Green")
    # The biggest drawn first (under the others): M 6.8, then M 5.6 (radius 20.6), then M 5.0.
    assert list(found) == ["/realtime/earthquake/20190102030405/initial/",
                           "/realtime/earthquake/20170303030303/initial/", DETAIL]
    assert "1 event on this page lies outside the map." in text_of(response)
    indonesian = client.get("/realtime/", HTTP_ACCEPT_LANGUAGE="id")
    assert "1 gempabumi di halaman ini berada di luar peta." in text_of(indonesian)
    assert markers(indonesian.content.decode())[DETAIL]["cx"] == "1521"  # numbers in SVG are never localised
    assert ' style="' not in html  # the Content-Security-Policy allows no inline style


@pytest.mark.django_db
def test_no_earthquakes_no_map(client):
    html = client.get("/realtime/").content.decode()
    assert "No earthquakes yet." in html and "overview-map" not in html


# The detail page's map

def with_mmi_output(event, data: bytes):
    event.mmi_output = SimpleUploadedFile(f"{event.shake_id}-mmi-output.zip", data, content_type="application/zip")
    event.save()
    return event


def contour_paths(html: str) -> list[str]:
    return re.findall(r'<path class="contour (mmi-colour-\w+)" d="M', html)


@pytest.mark.django_db
def test_the_detail_map_draws_the_processors_contours_places_and_epicentre(client, media, fixtures, caplog):
    contours = real_contours(GRID_INITIAL)
    with_mmi_output(add_earthquake(), mmi_output_zip({"impact.json": shake_impact(), "contours.geojson": contours}))
    with caplog.at_level(logging.WARNING, logger="events"):
        response = client.get(DETAIL)
    html = response.content.decode()
    assert caplog.records == []
    assert 'viewBox="0 0 1000 1000"' in html  # the grid's 4 x 4 degrees
    expected = whole_level_lines(contours)
    drawn = contour_paths(html)
    assert {roman: drawn.count(f"mmi-colour-{roman}") for roman in expected} == expected
    assert len(drawn) == sum(expected.values())
    assert html.count('<path class="contour-halo" d="M') == len(drawn)  # a dark edge under each
    assert '<polygon class="epicentre" points="500,475 ' in html  # the star's top point, 25 above the centre
    assert '<circle class="place" cx="677.1" cy="474.9" r="5"/>' in html  # Bitung
    assert re.search(r'<path class="land" d="M[-\d]', html)
    legend = re.findall(r'<li><span class="mmi mmi-bg-(\w+)', html)
    assert legend == ["I", "II", "III", "IV"]
    assert "Lines of equal shaking (MMI), from the ShakeMap:" in text_of(response)
    indonesian = text_of(client.get(DETAIL, HTTP_ACCEPT_LANGUAGE="id"))
    assert "Peta guncangan" in indonesian and "Garis guncangan yang sama (MMI), dari ShakeMap:" in indonesian


@pytest.mark.django_db
def test_without_a_grid_the_map_centres_on_the_epicentre_and_says_there_are_no_contours(client, media, caplog):
    add_earthquake(impact=None)
    with caplog.at_level(logging.INFO, logger="events"):
        response = client.get(DETAIL)
    html = response.content.decode()
    assert caplog.records == []  # no zip yet is normal: nothing to log
    assert 'viewBox="0 0 1000 1000"' in html and '<polygon class="epicentre" points="500,475 ' in html
    assert contour_paths(html) == []
    assert "No MMI contours for this event yet." in text_of(response)


def deflated(size: int) -> bytes:
    """A zip whose contours.geojson inflates to `size` bytes of spaces (a few KB on disk)."""
    return mmi_output_zip({"contours.geojson": b" " * size})


def truncated() -> bytes:
    whole = mmi_output_zip({"contours.geojson": {"type": "FeatureCollection", "features": []}})
    return whole[: len(whole) // 2]


HOSTILE = {
    "not a zip": b"this is not a zip file",
    "truncated zip": truncated(),
    "no contours member": mmi_output_zip({"impact.json": {"shake_id": "20180220163351"}}),
    "broken JSON": mmi_output_zip({"contours.geojson": b'{"type": "FeatureCollection", "features": ['}),
    "NaN": mmi_output_zip({"contours.geojson": b'{"type": "FeatureCollection", "features": [], "x": NaN}'}),
    "nested too deep": mmi_output_zip({"contours.geojson": b"[" * 5000 + b"]" * 5000}),
    "not a collection": mmi_output_zip({"contours.geojson": {"type": "FeatureCollection", "features": "none"}}),
    "too large": deflated(17 * 1024 * 1024),
}


@pytest.mark.django_db
@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_mmi_output_zip_leaves_the_map_without_contours_and_one_log_line(client, media, caplog, case):
    with_mmi_output(add_earthquake(), HOSTILE[case])
    with caplog.at_level(logging.INFO, logger="events"):
        response = client.get(DETAIL)
    assert response.status_code == 200
    html = response.content.decode()
    assert contour_paths(html) == [] and re.search(r'<path class="land" d="M[-\d]', html)
    assert "No MMI contours for this event yet." in text_of(response)
    lines = [record for record in caplog.records if record.name == "events.mmi_contours"]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING, [r.getMessage() for r in caplog.records]
    assert "20180220163351-initial: map drawn without MMI contours" in lines[0].getMessage()


@pytest.mark.django_db
def test_a_zip_missing_from_disk_is_one_log_line(client, media, caplog):
    event = with_mmi_output(add_earthquake(), mmi_output_zip({"contours.geojson": {"features": []}}))
    Path(event.mmi_output.path).unlink()
    with caplog.at_level(logging.INFO, logger="events"):
        assert client.get(DETAIL).status_code == 200
    assert [r.name for r in caplog.records] == ["events.mmi_contours"]
    assert "FileNotFoundError" in caplog.records[0].getMessage()


@pytest.mark.django_db
def test_bad_features_are_skipped_and_good_ones_drawn(client, media, caplog):
    good = {"type": "Feature", "properties": {"mmi": 5.0}, "geometry": {
        "type": "MultiLineString", "coordinates": [[[123.0, 0.0], [124.0, 1.0]], [[125.0, 2.0], [126.0, 2.0]]]}}
    bad = [
        {"type": "Feature", "properties": {"mmi": 4.5}, "geometry": good["geometry"]},  # half levels are not drawn
        {"type": "Feature", "properties": {"mmi": "6"}, "geometry": {"type": "LineString", "coordinates": "x"}},
        {"type": "Feature", "properties": {"mmi": 6}, "geometry": {"type": "LineString", "coordinates": [[12345.5, 0], [0, 0]]}},
        {"type": "Feature", "properties": {"mmi": 7}, "geometry": {"type": "LineString", "coordinates": [[124.0, 1.0]]}},
        {"type": "Feature", "properties": {"mmi": 8}, "geometry": {"type": "Point", "coordinates": [124.0, 1.0]}},
        {"type": "Feature", "properties": None, "geometry": None},
        "not a feature",
    ]
    contours = {"type": "FeatureCollection", "features": [*bad, good]}
    text = json.dumps(contours).replace("12345.5", "1e999")  # valid JSON that Python reads as infinity
    with_mmi_output(add_earthquake(), mmi_output_zip({"contours.geojson": text.encode()}))
    with caplog.at_level(logging.INFO, logger="events"):
        html = client.get(DETAIL).content.decode()
    assert caplog.records == []
    # 123.0 E 0.0 N in the grid's frame (122.42 W, 3.34 N, 250 units a degree): 0.58 * 250 = 145, 3.34 * 250 = 835.
    assert re.findall(r'<path class="contour (mmi-colour-\w+)" d="([^"]+)"', html) == [
        ("mmi-colour-V", "M145 835l250 -250"), ("mmi-colour-V", "M645 335l250 0")]


def test_the_land_layer_is_read_once_and_a_missing_file_gives_maps_without_land(monkeypatch, tmp_path, caplog):
    maps.land_polygons.cache_clear()
    maps.land_path.cache_clear()
    monkeypatch.setattr(maps, "LAND_FILE", tmp_path / "missing.geojson")
    try:
        with caplog.at_level(logging.ERROR, logger="events"):
            assert maps.land_path(frame(INDONESIA, 2400)) == ""
        assert "missing.geojson is unreadable" in caplog.text
    finally:
        maps.land_polygons.cache_clear()
        maps.land_path.cache_clear()
