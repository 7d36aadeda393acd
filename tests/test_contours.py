"""MMI contour lines."""

from __future__ import annotations

import json

import numpy as np
import pytest
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


def test_the_default_smoothing_is_a_gaussian_of_sigma_0_9_nodes():
    """earthquake.md 2.6: Gaussian, sigma 0.9 nodes, kernel radius int(4 sigma + 0.5) = 4, reflected borders.

    A blur leaves a parabola's curvature and adds the kernel's variance v to every interior node:
    3 + a((j - c)^2 + v). The crossings of level 5 are worked out from that by the linear interpolation
    between nodes a contour makes; unsmoothed they would lie on the nodes c +- 2 themselves.
    """
    a, c, n = 0.5, 20, 41
    k = np.arange(-4, 5)
    weights = np.exp(-k ** 2 / (2 * 0.9 ** 2))
    variance = float((weights * k ** 2).sum() / weights.sum())  # 0.81 less a little: the kernel is truncated
    node = lambda j: 3 + a * ((j - c) ** 2 + variance)  # noqa: E731 (the smoothed value at column j)
    step = (5.0 - node(c + 1)) / (node(c + 2) - node(c + 1))  # between the nodes 1 and 2 columns from the vertex
    expected = sorted([c - 1 - step, c + 1 + step])
    assert 0.2 < 2 - expected[1] + c < 0.35  # the blur moves each crossing by about a quarter of a node

    spec = GridSpec(100.0, -1.0, 101.0, 0.0, n, n)  # 0.025 degrees between nodes
    columns = np.arange(n, dtype=float)
    mmi = np.tile(3 + a * (columns - c) ** 2, (n, 1))  # the same parabola along every row
    collection = mmi_contours(spec, mmi)  # the default smoothing: no sigma given
    lines = [f["geometry"]["coordinates"] for f in collection["features"] if f["properties"]["mmi"] == 5.0]
    crossings = sorted({round((lon - 100.0) / 0.025, 3) for line in lines for lon, _ in line})
    assert crossings == pytest.approx(expected, abs=1e-3)


def test_the_processor_draws_the_smoothed_contours(quake_initial):
    """The real product: the grid peaks at MMI 5.27, so unsmoothed there would be a 5.0 line; the blur of
    sigma 0.9 nodes brings the peak under 5 (4.84, scipy's gaussian_filter on the raw nodes), so the top is 4.5."""
    from scipy.ndimage import gaussian_filter

    grid = read_shake_grid(GRID_INITIAL)
    assert grid.mmi.max() == 5.27
    assert 4.5 < gaussian_filter(grid.mmi.astype(float), sigma=0.9, mode="reflect").max() < 5.0
    contours = json.loads((quake_initial.folder / "contours.geojson").read_text())
    assert max(f["properties"]["mmi"] for f in contours["features"]) == 4.5
