"""MMI contour lines."""

from __future__ import annotations

import numpy as np
from shapely.geometry import LineString, box

from conftest import GRID_INITIAL
from realtime.earthquake.contours import mmi_contours
from realtime.earthquake.grid import GridSpec, read_shake_grid


def test_cone_gives_circles_every_half_unit():
    spec = GridSpec(100.0, -1.0, 101.0, 0.0, 41, 41)
    lon, lat = np.meshgrid(np.linspace(100, 101, 41), np.linspace(0, -1, 41))
    mmi = 8.0 - 10 * np.hypot(lon - 100.5, lat + 0.5)  # 8 at the centre, ~1 at the corners
    collection = mmi_contours(spec, mmi, sigma=0.0001)
    levels = sorted({f["properties"]["mmi"] for f in collection["features"]})
    assert levels[0] >= 1.0 and levels[-1] <= 8.0
    assert all(abs(b - a - 0.5) < 1e-9 for a, b in zip(levels, levels[1:]))
    for feature in collection["features"]:
        props = feature["properties"]
        assert (props["roman"] is not None) == float(props["mmi"]).is_integer()
        assert props["colour"].startswith("#")
    six = [f for f in collection["features"] if f["properties"]["mmi"] == 6.0]
    assert six[0]["properties"]["roman"] == "VI" and six[0]["properties"]["colour"] == "#fff000"
    ring = LineString(six[0]["geometry"]["coordinates"])
    radius = np.hypot(*(np.array(ring.coords) - [100.5, -0.5]).T)
    assert np.allclose(radius, 0.2, atol=0.01)  # mmi 6 where 10*r = 2


def test_real_grid_contours_stay_inside_the_footprint(fixtures):
    grid = read_shake_grid(GRID_INITIAL)
    collection = mmi_contours(grid.spec, grid.mmi)
    assert collection["features"]
    footprint = box(*grid.spec.footprint).buffer(1e-6)
    assert all(footprint.contains(LineString(f["geometry"]["coordinates"])) for f in collection["features"])
    assert max(f["properties"]["mmi"] for f in collection["features"]) <= grid.mmi.max()
