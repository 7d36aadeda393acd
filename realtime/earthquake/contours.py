"""Smoothed MMI contours as GeoJSON lines, every half intensity unit.

Raw ShakeMap nodes are noisy at 0.025 degrees; a light Gaussian blur
(sigma 0.9 nodes, as the old processor used) gives lines a reader can follow.
"""

from __future__ import annotations

import math

import contourpy
import numpy as np
from scipy.ndimage import gaussian_filter

from realtime.earthquake.grid import GridSpec
from realtime.earthquake.mmi import mmi_colour, roman

SMOOTHING_SIGMA = 0.9
INTERVAL = 0.5


def mmi_contours(spec: GridSpec, mmi: np.ndarray, sigma: float = SMOOTHING_SIGMA) -> dict:
    """A GeoJSON FeatureCollection of LineStrings with ``mmi``, ``roman`` and ``colour``."""
    smooth = gaussian_filter(mmi.astype(np.float64), sigma=sigma, mode="reflect")
    lon = spec.lon_min + spec.dx * np.arange(spec.nlon)
    lat = spec.lat_max - spec.dy * np.arange(spec.nlat)
    generator = contourpy.contour_generator(lon, lat, smooth, line_type=contourpy.LineType.Separate)
    low = math.ceil(float(smooth.min()) / INTERVAL) * INTERVAL
    features = []
    for level in np.arange(low, float(smooth.max()) + 1e-9, INTERVAL):
        level = round(float(level), 1)
        whole = level.is_integer()
        for line in generator.lines(level):
            if len(line) < 2:
                continue
            features.append(
                {
                    "type": "Feature",
                    "geometry": {"type": "LineString", "coordinates": np.round(line, 5).tolist()},
                    "properties": {
                        "mmi": level,
                        "roman": roman(int(level)) if whole else None,
                        "colour": mmi_colour(level),
                    },
                }
            )
    return {"type": "FeatureCollection", "features": features}
