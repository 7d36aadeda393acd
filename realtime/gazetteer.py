"""Towns and airports as points: the places layer every hazard reads, and compass words for bearings."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pyproj import Geod

GEOD = Geod(ellps="WGS84")
COMPASS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")


class PlacesError(ValueError):
    """The places layer cannot be used; the message names the file."""


@dataclass(frozen=True)
class Places:
    """Columnar places layer: one entry per town."""

    names: tuple[str, ...]
    population: np.ndarray
    lon: np.ndarray
    lat: np.ndarray

    def __len__(self) -> int:
        return len(self.names)


def load_places(path: str | Path) -> Places:
    """Read Point features with ``name`` and ``population`` from a GeoJSON file."""
    path = Path(path)
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise PlacesError(f"{path}: not a GeoJSON FeatureCollection ({exc})") from exc
    names, population, lon, lat = [], [], [], []
    for index, feature in enumerate(features):
        try:
            x, y = feature["geometry"]["coordinates"][:2]
            properties = feature["properties"]
            names.append(str(properties["name"]))
            population.append(float(properties.get("population") or 0))
            lon.append(float(x))
            lat.append(float(y))
        except (KeyError, TypeError, ValueError) as exc:
            raise PlacesError(f"{path}: feature {index} is not a Point with name and population ({exc})") from exc
    return Places(tuple(names), np.array(population), np.array(lon), np.array(lat))


def compass_direction(bearing_deg: float) -> str:
    return COMPASS[int(np.floor((bearing_deg % 360) / 22.5 + 0.5)) % 16]
