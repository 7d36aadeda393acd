"""Which towns are hit, and where the epicentre is in words a reader knows."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from realtime.earthquake.grid import GridSpec
from realtime.earthquake.mmi import mmi_class_index
from realtime.earthquake.sampling import sample_bilinear
from realtime.gazetteer import GEOD, Places, PlacesError, compass_direction, load_places  # noqa: F401 (re-exported)


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


def _bearing(azimuth: np.ndarray) -> np.ndarray:
    return np.mod(azimuth, 360.0)


def affected_places(spec: GridSpec, mmi: np.ndarray, places: Places, epicentre: tuple[float, float]) -> list[PlaceImpact]:
    """Every place inside the ShakeMap footprint, most shaken first, then most populous."""
    values = sample_bilinear(spec, mmi, places.lon, places.lat)
    inside = np.flatnonzero(np.isfinite(values))
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
