"""Reading real BMKG grids, and refusing hostile or broken ones with a clear error."""

from __future__ import annotations

import signal
from datetime import datetime, timedelta

import numpy as np
import pytest

from conftest import GRID_INITIAL, GRID_PAPUA
from realtime.earthquake.grid import ShakeGridError, parse_shake_grid, read_shake_grid
from realtime.ids import is_corrected_id, is_initial_id, source_type_of

WIB = timedelta(hours=7)

# shake id -> (path under fixtures/earthquake, magnitude, depth, lat, lon, local time, description, nlat, nlon, fields)
REAL_GRIDS = {
    "20131105060809": ("shakemaps/20131105060809/output/grid.xml", 3.6, 10, -2.43, 140.62, "2013-11-05 06:08:09", "Papua", 101, 101, 8),
    "20150918201057": ("shakemaps/20150918201057/output/grid.xml", 2.5, 10, -7.92, 110.34, "2015-09-18 20:10:57", "Yogyakarta", 100, 101, 8),
    "20161214005704": ("shakemaps/20161214005704/grid.xml", 3.5, 3, 4.92, 96.55, "2016-12-14 00:57:04", "Aceh", 101, 101, 8),
    "20180220163351": ("shakemaps/20180220163351/grid.xml", 5.0, 202, 1.34, 124.42, "2018-02-20 16:29:28", "Minahassa Peninsula, Sulawesi", 161, 161, 11),
    "20180220162928_50_01400_124450_20180220162928": (
        "shakemaps-corrected/20180220162928_50_01400_124450_20180220162928/grid.xml",
        5.0, 204, 1.40, 124.45, "2018-02-20 16:29:28", "Minahassa Peninsula, Sulawesi", 161, 161, 11,
    ),
    "20120726022003": ("legacy-zip/20120726022003.out.zip", 5.0, 11, -0.21, 124.45, "2012-07-26 02:15:35", "Southern Molucca Sea", 161, 161, 11),
}


@pytest.mark.parametrize("shake_id", sorted(REAL_GRIDS))
def test_real_grids_parse_with_metadata_and_shape(fixtures, shake_id):
    path, magnitude, depth, lat, lon, local, description, nlat, nlon, nfields = REAL_GRIDS[shake_id]
    grid = read_shake_grid(fixtures / "earthquake" / path)
    event = grid.event
    assert event.shake_id == shake_id
    assert event.source_type == ("corrected" if "_" in shake_id else "initial")
    assert (event.magnitude, event.depth_km, event.latitude, event.longitude) == (magnitude, depth, lat, lon)
    assert event.time.replace(tzinfo=None) == datetime.fromisoformat(local)
    assert event.time.utcoffset() == WIB and event.timezone == "Asia/Jakarta"
    assert event.description == description  # trailing spaces stripped
    assert grid.mmi.shape == (nlat, nlon) == grid.spec.shape
    assert len(grid.fields) == nfields - 2  # LON and LAT become the lattice
    assert 1.0 <= grid.mmi.min() and grid.mmi.max() <= 10.0


def test_node_lattice_is_cell_centred(fixtures):
    grid = read_shake_grid(GRID_INITIAL)
    spec = grid.spec
    assert spec.dx == pytest.approx(0.025) and spec.dy == pytest.approx(0.025)
    # the first node (row 0, col 0) is the centre of the north-west cell
    x, y = spec.transform @ (0.5, 0.5)
    assert (x, y) == pytest.approx((spec.lon_min, spec.lat_max))
    # the first data row of the file is LON=122.42 LAT=3.34 with MMI 1
    assert grid.mmi[0, 0] == 1.0
    assert grid.field("svel")[0, 0] == 600


def test_fields_are_looked_up_by_name_not_position():
    xml = _grid_xml(fields=("MMI", "LAT", "LON"), rows=["4.5 0.5 100.0", "5.5 0.5 100.5", "6.5 0.0 100.0", "7.5 0.0 100.5"])
    grid = parse_shake_grid(xml)
    assert grid.mmi.tolist() == [[4.5, 5.5], [6.5, 7.5]]


def test_zone_suffixes_give_the_right_offsets():
    for suffix, hours in (("WIB", 7), ("WITA", 8), ("WIT", 9), ("", 0)):
        grid = parse_shake_grid(_grid_xml(timestamp=f"2020-01-02T03:04:05{suffix}"))
        assert grid.event.time.utcoffset() == timedelta(hours=hours)


def test_shake_id_forms():
    assert is_initial_id("20180220163351") and not is_initial_id("20181320163351")
    assert is_corrected_id("20180220162928_50_01400_124450_20180220162928")
    assert is_corrected_id("20180316015829_52_-6050_142170_20180316015829")
    assert source_type_of("20180220162928_50_01400_124450_20180220162928") == "corrected"
    for hostile in ("../../etc/passwd", "20180220163351/..", "2018022016335", "20180220163351\n", ""):
        assert not is_initial_id(hostile) and not is_corrected_id(hostile)


@pytest.mark.parametrize(
    "xml, problem",
    [
        (lambda: _grid_xml(rows=["100.0 0.5 4", "100.5 0.5 5", "100.0 0.0 6"]), "expected nlon*nlat"),
        (lambda: _grid_xml(rows=["100.0 0.5 4", "100.5 0.5 5", "100.0 0.0 6", "100.5 0.0 x"]), "not a number"),
        (lambda: _grid_xml(rows=["100.0 0.5 4", "100.5 0.5 5", "100.0 0.0 6", "100.5 0.0 nan"]), "NaN"),
        (lambda: _grid_xml(rows=["100.0 0.0 4", "100.5 0.0 5", "100.0 0.5 6", "100.5 0.5 7"]), "do not follow"),
        (lambda: _grid_xml(event_id="../../etc"), "not a valid BMKG shake id"),
        (lambda: _grid_xml(timestamp="yesterday"), "event_timestamp"),
        (lambda: _grid_xml().replace(b'magnitude="5.0"', b'magnitude="big"'), "magnitude='big'"),
        (lambda: _grid_xml()[:-40], "not well-formed"),
        (lambda: b"<html><body>502 Bad Gateway</body></html>", "root element is <html>"),
    ],
)
def test_broken_grids_raise_one_error_naming_file_and_problem(xml, problem):
    with pytest.raises(ShakeGridError) as error:
        parse_shake_grid(xml(), name="/shakemaps/x/grid.xml")
    assert "/shakemaps/x/grid.xml" in str(error.value)
    assert problem in str(error.value)


def test_truncated_real_upload_is_refused(fixtures, tmp_path):
    partial = tmp_path / "grid.xml"
    partial.write_bytes(GRID_PAPUA.read_bytes()[:200_000])
    with pytest.raises(ShakeGridError, match=str(partial)):
        read_shake_grid(partial)


def test_missing_file_and_bad_zip(tmp_path):
    with pytest.raises(ShakeGridError, match="cannot read"):
        read_shake_grid(tmp_path / "nope.xml")
    bad = tmp_path / "x.out.zip"
    bad.write_bytes(b"PK not really")
    with pytest.raises(ShakeGridError, match="not a valid zip"):
        read_shake_grid(bad)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">]>
<shakemap_grid event_id="&lol9;"/>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE shakemap_grid [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<shakemap_grid event_id="20180220163351"><event event_description="&xxe;"/></shakemap_grid>"""


@pytest.mark.parametrize("payload", [BILLION_LAUGHS, XXE], ids=["billion-laughs", "xxe"])
def test_hostile_xml_fails_fast_and_safely(payload):
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("hostile XML was not refused within a second"))
    signal.alarm(1)
    try:
        with pytest.raises(ShakeGridError, match="refused unsafe XML"):
            parse_shake_grid(payload, name="hostile.xml")
    finally:
        signal.alarm(0)


def _grid_xml(
    fields=("LON", "LAT", "MMI"),
    rows=("100.0 0.5 4", "100.5 0.5 5", "100.0 0.0 6", "100.5 0.0 7"),
    event_id="20200102030405",
    timestamp="2020-01-02T03:04:05WIB",
) -> bytes:
    field_xml = "".join(f'<grid_field index="{i}" name="{name}" units="" />\n' for i, name in enumerate(fields, 1))
    return (
        f'<?xml version="1.0" encoding="US-ASCII"?>\n'
        f'<shakemap_grid xmlns="http://inatews.bmkg.go.id/shakemap" event_id="{event_id}" shakemap_id="{event_id}">\n'
        f'<event magnitude="5.0" depth="10" lat="0.25" lon="100.25" event_timestamp="{timestamp}" event_description="Test " />\n'
        f'<grid_specification lon_min="100.0" lat_min="0.0" lon_max="100.5" lat_max="0.5" nlon="2" nlat="2" />\n'
        f"{field_xml}<grid_data>\n" + "\n".join(rows) + "\n</grid_data>\n</shakemap_grid>\n"
    ).encode()


def test_helper_grid_is_valid():
    grid = parse_shake_grid(_grid_xml())
    assert np.array_equal(grid.mmi, [[4, 5], [6, 7]])
