"""Which towns are hit, and where the epicentre is in words a reader knows."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from pyproj import Geod

from realtime.earthquake.grid import GridSpec
from realtime.earthquake.mmi import mmi_class_index
from realtime.earthquake.sampling import sample_bilinear

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


@dataclass(frozen=True)
class PlaceImpact:
    name: str
    population: int
    mmi: float
    distance_km: float
    bearing_deg: float  # from the epicentre to the place
    direction: str
    longitude: float
    latitude: float

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Location:
    place: str
    distance_km: float
    bearing_deg: float  # from the place to the epicentre
    direction: str
    text: str

    def as_dict(self) -> dict:
        return asdict(self)


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


def _bearing(azimuth: np.ndarray) -> np.ndarray:
    return np.mod(azimuth, 360.0)


def affected_places(spec: GridSpec, mmi: np.ndarray, places: Places, epicentre: tuple[float, float]) -> list[PlaceImpact]:
    """Every place inside the ShakeMap footprint, most shaken first, then most populous."""
    values = sample_bilinear(spec, mmi, places.lon, places.lat)
    inside = np.flatnonzero(np.isfinite(values))
    if inside.size == 0:
        return []
    lon0, lat0 = epicentre
    azimuth, _, metres = GEOD.inv(
        np.full(inside.size, lon0), np.full(inside.size, lat0), places.lon[inside], places.lat[inside]
    )
    classes = mmi_class_index(values[inside])
    impacts = [
        PlaceImpact(
            name=places.names[k],
            population=int(places.population[k]),
            mmi=round(float(values[k]), 2),
            distance_km=round(float(metres[n]) / 1000, 1),
            bearing_deg=round(float(_bearing(azimuth[n])), 1),
            direction=compass_direction(float(azimuth[n])),
            longitude=float(places.lon[k]),
            latitude=float(places.lat[k]),
        )
        for n, k in enumerate(inside)
    ]
    order = sorted(range(len(impacts)), key=lambda n: (-int(classes[n]), -impacts[n].population, impacts[n].name))
    return [impacts[n] for n in order]


def format_distance(km: float) -> str:
    return f"{km:.0f}" if km >= 10 else f"{km:.1f}"


def locate_epicentre(places: Places, epicentre: tuple[float, float], min_population: int) -> Location | None:
    """The nearest place with at least `min_population` people, and where the epicentre lies from it."""
    big = np.flatnonzero(places.population >= min_population)
    if big.size == 0:
        return None
    lon0, lat0 = epicentre
    azimuth, _, metres = GEOD.inv(places.lon[big], places.lat[big], np.full(big.size, lon0), np.full(big.size, lat0))
    nearest = int(np.argmin(metres))
    name = places.names[big[nearest]]
    km = float(metres[nearest]) / 1000
    bearing = float(_bearing(azimuth[nearest]))
    direction = compass_direction(bearing)
    return Location(
        place=name,
        distance_km=round(km, 1),
        bearing_deg=round(bearing, 1),
        direction=direction,
        text=f"Located {format_distance(km)} km {direction} of {name}",
    )
