"""Scenario grids must be indistinguishable, to the reader, from a BMKG grid.xml."""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from pyproj import Geod

from realtime.earthquake.grid import parse_shake_grid, read_shake_grid
from realtime.earthquake.scenario import (
    ground_motion_wgrw12,
    intensity_aww12,
    scenario_grid,
    shake_id_of,
    write_scenario,
)

# 2006 Yogyakarta: 05:53:58 WIB is 22:53:58 UTC the day before.
ORIGIN = datetime(2006, 5, 26, 22, 53, 58, tzinfo=timezone.utc)
EVENT = dict(magnitude=6.3, depth_km=10.0, lat=-7.961, lon=110.446, time=ORIGIN)
DESCRIPTION = 'Bantul, DI Yogyakarta & "Jawa" <latihan> é'


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out_dir = tmp_path_factory.mktemp("shakemaps")
    path = write_scenario(out_dir, description=DESCRIPTION, **EVENT)
    return out_dir, path, read_shake_grid(path)


def _hand_aww12(m: float, r: float) -> float:
    """Allen, Wald & Worden (2012) written out independently of the module."""
    r_m = -0.209 + 2.042 * math.exp(m - 5)
    far = 0.078 * math.log(r / 50) if r > 50 else 0.0
    return 2.085 + 1.428 * m - 1.402 * math.log(math.sqrt(r**2 + r_m**2)) + far


def test_written_where_the_watcher_expects_it_and_atomically(written):
    out_dir, path, _ = written
    assert path == out_dir / "20060527055358" / "grid.xml"
    assert sorted(p.name for p in path.parent.iterdir()) == ["grid.xml"]  # no temp file left


def test_event_round_trips(written):
    event = written[2].event
    assert event.shake_id == "20060527055358"
    assert event.source_type == "initial"
    assert event.event_type == "SCENARIO"
    assert (event.magnitude, event.depth_km, event.latitude, event.longitude) == (6.3, 10.0, -7.961, 110.446)
    assert event.time == ORIGIN and event.timezone == "Asia/Jakarta"
    assert event.time.strftime("%Y-%m-%dT%H:%M:%S") == "2006-05-27T05:53:58"
    assert event.description == DESCRIPTION
    assert event.process_timestamp == "2006-05-26T22:53:58Z"


def test_grid_shape_bounds_and_fields(written):
    grid = written[2]
    assert grid.spec.shape == (161, 161)
    assert grid.spec.footprint == pytest.approx((108.446, -9.961, 112.446, -5.961))
    assert grid.spec.dx == pytest.approx(0.025) and grid.spec.dy == pytest.approx(0.025)
    assert set(grid.fields) == {"PGA", "PGV", "MMI", "STDPGA", "URAT", "SVEL"}
    assert (grid.field("SVEL") == 600).all() and (grid.field("URAT") == 1).all()


def test_mmi_matches_the_ipe_at_every_node(written):
    grid = written[2]
    spec = grid.spec
    lon, lat = np.meshgrid(
        spec.lon_min + spec.dx * np.arange(spec.nlon), spec.lat_max - spec.dy * np.arange(spec.nlat)
    )
    epicentre = (np.full(lon.size, 110.446), np.full(lat.size, -7.961))
    _, _, metres = Geod(ellps="WGS84").inv(*epicentre, lon.ravel(), lat.ravel())
    expected = intensity_aww12(6.3, np.hypot(metres / 1000, 10.0)).reshape(spec.shape)
    assert np.abs(grid.mmi - expected).max() <= 0.0051  # printed with 2 decimals
    assert np.allclose(grid.field("PGA"), ground_motion_wgrw12(grid.mmi, "PGA"), rtol=0.03, atol=0.01)


def test_mmi_peaks_at_the_epicentre_and_decays(written):
    mmi = written[2].mmi
    centre = (80, 80)
    assert np.unravel_index(np.argmax(mmi), mmi.shape) == centre
    assert mmi[centre] == pytest.approx(_hand_aww12(6.3, 10.0), abs=0.005)
    for ray in (mmi[80, 80:], mmi[80, 80::-1], mmi[80:, 80], mmi[80::-1, 80], np.diagonal(mmi)[80:]):
        assert (np.diff(ray) <= 0).all()
        assert ray[0] - ray[-1] > 2


def test_hand_values():
    # M6.3 at 10 km: R_M = -0.209 + 2.042 e^1.3 = 7.2837; 2.085 + 1.428*6.3 - 1.402 ln(12.3714) = 7.5548
    assert float(intensity_aww12(6.3, 10.0)) == pytest.approx(7.5548, abs=1e-4)
    assert float(intensity_aww12(6.3, 10.0)) == pytest.approx(_hand_aww12(6.3, 10.0), abs=1e-12)
    # Beyond 50 km the c3 ln(R/50) term applies.
    assert float(intensity_aww12(7.0, 100.0)) == pytest.approx(_hand_aww12(7.0, 100.0), abs=1e-12)
    assert intensity_aww12(6.0, np.array([5.0, 50.0, 500.0])).shape == (3,)
    # Far from a small event the raw prediction is below 1: shown as the floor, never below.
    assert _hand_aww12(3.0, 2000.0) < 1 and float(intensity_aww12(3.0, 2000.0)) == 1.0


def test_gmice_inverse():
    # MMI VI sits on the upper branch: log10 PGA = (6 + 1.60) / 3.70, log10 PGV = (6 - 2.89) / 3.16.
    assert float(ground_motion_wgrw12(6.0, "PGA")) == pytest.approx(10 ** (7.6 / 3.7) / 981 * 100)
    assert float(ground_motion_wgrw12(6.0, "PGV")) == pytest.approx(10 ** (3.11 / 3.16))
    # MMI III on the lower branch: log10 PGA = (3 - 1.78) / 1.55.
    assert float(ground_motion_wgrw12(3.0, "PGA")) == pytest.approx(10 ** (1.22 / 1.55) / 981 * 100)
    mmi = np.linspace(1, 10, 200)
    for imt in ("PGA", "PGV"):
        assert (np.diff(ground_motion_wgrw12(mmi, imt)) > 0).all()


def test_bmkg_text_layout():
    shake_id, data = scenario_grid(**EVENT, description="Bantul", half_width=0.5)
    text = data.decode("ascii")
    assert shake_id == "20060527055358"
    assert 'xmlns="http://inatews.bmkg.go.id/shakemap"' in text
    assert 'shakemap_event_type="SCENARIO"' in text
    assert 'event_timestamp="2006-05-27T05:53:58WIB"' in text
    rows = text.split("<grid_data>\n", 1)[1].split("\n</grid_data>", 1)[0].split("\n")
    assert len(rows) == 41 * 41
    assert rows[0].startswith("109.9460 -7.4610 ")
    row = re.compile(r"^-?\d+\.\d{4} -?\d+\.\d{4} \d+\.\d{2} \d+\.\d{2} \d+\.\d{2} 0\.5 1 600$")
    assert all(row.match(r) for r in rows)


def test_spacing_and_half_width_set_the_node_count():
    _, data = scenario_grid(**EVENT, spacing=0.005, half_width=1.25)
    grid = parse_shake_grid(data)
    assert grid.spec.shape == (501, 501) and grid.mmi.size == 251_001
    assert grid.spec.footprint == pytest.approx((109.196, -9.211, 111.696, -6.711))


def test_shake_id_is_wib_local_time():
    wita = timezone(timedelta(hours=8))
    assert shake_id_of(datetime(2018, 2, 20, 17, 33, 51, tzinfo=wita)) == "20180220163351"


@pytest.mark.parametrize(
    "change",
    [
        dict(time=datetime(2006, 5, 27, 5, 53, 58)),  # naive: the shake id would be a guess
        dict(spacing=0.0),
        dict(half_width=-1.0),
        dict(depth_km=float("nan")),
    ],
)
def test_bad_input_is_refused(change):
    with pytest.raises(ValueError):
        scenario_grid(**{**EVENT, **change})
