"""Bilinear sampling of a ShakeMap node field, the way PAGER resamples MMI.

Nodes are cell centres on a regular lon/lat lattice, so interpolation along
each axis is independent: the weights of a whole raster column or row can be
computed once, which keeps exposure close to the cost of reading the raster.
"""

from __future__ import annotations

import numpy as np

from realtime.earthquake.grid import GridSpec


def axis_weights(coords: np.ndarray, origin: float, step: float, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower node index and the weight of the upper node for each coordinate on one axis."""
    position = (np.asarray(coords, dtype=np.float64) - origin) / step
    lower = np.clip(np.floor(position), 0, count - 2).astype(np.intp)
    weight = np.clip(position - lower, 0.0, 1.0)
    return lower, weight


def inside_footprint(spec: GridSpec, lon: np.ndarray, lat: np.ndarray, tolerance: float = 1e-9) -> np.ndarray:
    return (
        (lon >= spec.lon_min - tolerance)
        & (lon <= spec.lon_max + tolerance)
        & (lat >= spec.lat_min - tolerance)
        & (lat <= spec.lat_max + tolerance)
    )


def sample_bilinear(spec: GridSpec, values: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Field value at arbitrary points; NaN where a point lies outside the node rectangle."""
    lon = np.asarray(lon, dtype=np.float64)
    lat = np.asarray(lat, dtype=np.float64)
    j, wx = axis_weights(lon, spec.lon_min, spec.dx, spec.nlon)
    # rows count southwards from lat_max
    i, wy = axis_weights(-lat, -spec.lat_max, spec.dy, spec.nlat)
    top = values[i, j] * (1 - wx) + values[i, j + 1] * wx
    bottom = values[i + 1, j] * (1 - wx) + values[i + 1, j + 1] * wx
    result = top * (1 - wy) + bottom * wy
    return np.where(inside_footprint(spec, lon, lat), result, np.nan)
