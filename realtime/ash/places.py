"""Where the ash falls on people's places: towns and airports with their class, and land cover in km².

Distance and direction are measured from the volcano (InaSAFE never gave them for ash), on the WGS84
ellipsoid, with the earthquake side's geodesic and compass so both hazards word them alike.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from realtime.ash.classes import ASH_CLASSES, classify
from realtime.ash.hazard import AshHazard
from realtime.ash.volcanoes import Volcano
from realtime.gazetteer import GEOD, Places, PlacesError, compass_direction, load_places

LANDCOVER_CLASSES = ("settlement", "rice_field", "plantation", "water_supply", "forest", "other")
LANDCOVER_FIELDS = ("class", "landcover", "land_cover", "type", "tutupan")  # first one present, any case
# Badan Geologi's land-cover names (badan_geologi_landcover_classes) and their Indonesian report labels.
LANDCOVER_ALIASES = {
    "settlement": "settlement", "pemukiman": "settlement", "permukiman": "settlement",
    "rice_field": "rice_field", "ricefield": "rice_field", "sawah": "rice_field",
    "plantation": "plantation", "perkebunan": "plantation",
    "water_supply": "water_supply", "persediaan_air": "water_supply",
    "forest": "forest", "hutan": "forest",
}


@dataclass(frozen=True)
class AshPlace:
    name: str
    population: int
    thickness_cm: float
    class_key: str
    distance_km: float
    bearing_deg: float  # from the volcano to the place
    direction: str
    longitude: float
    latitude: float
    kind: str = "place"  # or "airport"
    iata: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Airports:
    """Airports as a places layer (population 0) with their IATA codes alongside."""

    places: Places
    iata: tuple[str | None, ...]

    def __len__(self) -> int:
        return len(self.places)


def load_airports(path: str | Path) -> Airports:
    """Point features with ``name`` and ``iata`` (context/airports.geojson, written by `realtime data init`)."""
    places = load_places(path)
    features = json.loads(Path(path).read_text(encoding="utf-8"))["features"]
    return Airports(places, tuple((f.get("properties") or {}).get("iata") or None for f in features))


def _affected(hazard: AshHazard, places: Places, volcano: Volcano, kind: str, iata=None) -> list[AshPlace]:
    """Places in an ash class, worst class first, then most populous, then by name."""
    thickness = np.atleast_1d(hazard.sample(places.lon, places.lat))  # the cell holding each place
    classes = classify(thickness)
    hit = np.flatnonzero(classes >= 0)
    azimuth, _, metres = GEOD.inv(
        np.full(hit.size, volcano.longitude), np.full(hit.size, volcano.latitude), places.lon[hit], places.lat[hit]
    )
    found = [
        (int(classes[k]), AshPlace(
            name=places.names[k],
            population=int(places.population[k]),
            thickness_cm=round(float(thickness[k]), 3),
            class_key=ASH_CLASSES[int(classes[k])].key,
            distance_km=round(float(metres[n]) / 1000, 1),
            bearing_deg=round(float(np.mod(azimuth[n], 360.0)), 1),
            direction=compass_direction(float(azimuth[n])),
            longitude=float(places.lon[k]),
            latitude=float(places.lat[k]),
            kind=kind,
            iata=iata[k] if iata is not None else None,
        ))
        for n, k in enumerate(hit)
    ]
    found.sort(key=lambda item: (-item[0], -item[1].population, item[1].name))
    return [place for _, place in found]


def affected_places(hazard: AshHazard, places: Places, volcano: Volcano) -> list[AshPlace]:
    """Every place under ash (thickness above 0.01 cm), worst class first, then most populous."""
    return _affected(hazard, places, volcano, "place")


def affected_airports(hazard: AshHazard, airports: Airports, volcano: Volcano) -> list[AshPlace]:
    """Airports under ash, worst class first, then by name: listed apart from the towns."""
    return _affected(hazard, airports.places, volcano, "airport", airports.iata)


def landcover_class(value: object) -> str:
    """A land-cover value (English key or Badan Geologi's Indonesian name) as one of LANDCOVER_CLASSES."""
    key = "_".join(str(value or "").strip().lower().replace("-", " ").split())
    return LANDCOVER_ALIASES.get(key, "other")


def _class_field(columns, path) -> str:
    by_lower = {str(column).lower(): column for column in columns}
    for name in LANDCOVER_FIELDS:
        if name in by_lower:
            return by_lower[name]
    raise PlacesError(f"{path}: land cover has no class field (one of {', '.join(LANDCOVER_FIELDS)})")


def ash_footprint(hazard: AshHazard):
    """Where any ash class falls, as one shapely (multi)polygon in the hazard's CRS."""
    from rasterio.features import shapes
    from shapely.geometry import shape
    from shapely.ops import unary_union

    inside = classify(hazard.thickness) >= 0
    patches = shapes(inside.astype(np.uint8), mask=inside, transform=hazard.transform, connectivity=4)
    return unary_union([shape(geometry) for geometry, _ in patches])


def landcover_km2(hazard: AshHazard, path: str | Path | None) -> dict[str, float] | None:
    """km² of each land-cover class under ash (any class), in an equal-area projection; None without a file."""
    if path is None or not Path(path).exists():
        return None
    import geopandas as gpd
    from shapely.geometry import box

    west, south, east, north = hazard.lonlat_bounds()
    extent = gpd.GeoSeries([box(west, south, east, north)], crs="EPSG:4326")
    try:
        layer = gpd.read_file(path, bbox=extent)
    except Exception as exc:  # any GDAL/OGR failure: one line naming the file
        raise PlacesError(f"{path}: land cover cannot be read ({exc})") from exc
    areas = dict.fromkeys(LANDCOVER_CLASSES, 0.0)
    layer = layer[layer.geometry.notna() & layer.geom_type.isin(["Polygon", "MultiPolygon"])]
    if layer.empty:
        return areas
    field = _class_field(layer.columns, path)
    # Lambert azimuthal equal-area centred on the plume: areas true to well under 1 % over a few hundred km.
    equal_area = f"+proj=laea +lat_0={(south + north) / 2} +lon_0={(west + east) / 2} +datum=WGS84 +units=m"
    footprint = gpd.GeoSeries([ash_footprint(hazard)], crs=hazard.crs.to_wkt()).to_crs(equal_area).iloc[0]
    covered = (layer if layer.crs is not None else layer.set_crs("EPSG:4326")).to_crs(equal_area)
    covered = covered.set_geometry(covered.geometry.make_valid())
    clipped = gpd.clip(covered, footprint)  # spatial index: only polygons near the ash are cut
    for value, km2 in zip(clipped[field], clipped.geometry.area / 1e6):
        areas[landcover_class(value)] += float(km2)
    return {key: round(km2, 3) for key, km2 in areas.items()}
