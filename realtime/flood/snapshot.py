"""Parse a PetaBencana (or old PetaJakarta REM) flood snapshot into one internal shape.

Every response is hostile until proven otherwise: anything that is not a
FeatureCollection of RW polygons with states 0-4 raises `FloodSourceError`
saying what was wrong, so a broken feed never turns into an empty report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from shapely.geometry import Polygon, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.validation import make_valid

MAX_SNAPSHOT_BYTES = 100 * 1024 * 1024
POLYGONAL = ("Polygon", "MultiPolygon")


class FloodSourceError(ValueError):
    """A flood snapshot that cannot be used; the message names the source and the problem."""


@dataclass(frozen=True)
class FloodArea:
    area_id: str
    rw: str
    village: str
    state: int  # 0 no flood, 1 use caution, 2 low, 3 medium, 4 high
    geometry: BaseGeometry
    last_updated: str | None = None


@dataclass(frozen=True)
class FloodSnapshot:
    areas: tuple[FloodArea, ...]
    schema: str  # "petabencana" or "petajakarta-rem"

    def with_state_at_least(self, state: int) -> list[FloodArea]:
        return [area for area in self.areas if area.state >= state]


def parse_snapshot(data: bytes, name: str = "<snapshot>") -> FloodSnapshot:
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise FloodSourceError(f"{name}: response is larger than {MAX_SNAPSHOT_BYTES} bytes")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        start = data[:60].decode("utf-8", "replace").strip()
        raise FloodSourceError(f"{name}: response is not JSON (it starts with {start!r})") from None
    collection = _feature_collection(document, name)
    features = collection.get("features")
    if not isinstance(features, list):
        raise FloodSourceError(f"{name}: FeatureCollection has no features list")
    schema = "petajakarta-rem" if any("pkey" in (f.get("properties") or {}) for f in features[:5] if isinstance(f, dict)) else "petabencana"
    areas = tuple(_area(feature, index, name) for index, feature in enumerate(features))
    return FloodSnapshot(areas=areas, schema=schema)


def _feature_collection(document, name: str) -> dict:
    if isinstance(document, dict) and "result" in document:
        document = document["result"]
        if document is None:
            raise FloodSourceError(f"{name}: 'result' is null")
    elif isinstance(document, dict) and "statusCode" in document:
        raise FloodSourceError(f"{name}: response has a statusCode but no 'result'")
    if not isinstance(document, dict):
        raise FloodSourceError(f"{name}: expected a GeoJSON FeatureCollection, got {type(document).__name__}")
    if document.get("type") == "Topology":
        raise FloodSourceError(f"{name}: got TopoJSON; ask the API for geoformat=geojson")
    if document.get("type") != "FeatureCollection":
        raise FloodSourceError(f"{name}: expected a FeatureCollection, got type {document.get('type')!r}")
    return document


def _area(feature, index: int, name: str) -> FloodArea:
    where = f"{name}: feature {index}"
    if not isinstance(feature, dict):
        raise FloodSourceError(f"{where} is not an object")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise FloodSourceError(f"{where} has no properties")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGONAL:
        raise FloodSourceError(f"{where} has no Polygon or MultiPolygon geometry")
    try:
        polygon = shape(geometry)
    except (ValueError, TypeError, AttributeError, IndexError) as exc:
        raise FloodSourceError(f"{where} has broken coordinates ({exc})") from None
    if polygon.is_empty:
        raise FloodSourceError(f"{where} has an empty geometry")
    if not polygon.is_valid:
        polygon = _polygonal_part(make_valid(polygon))
        if polygon.is_empty:
            raise FloodSourceError(f"{where} has a geometry with no area once repaired")
    area_id = properties.get("area_id", properties.get("pkey"))
    if area_id is None or str(area_id).strip() == "":
        raise FloodSourceError(f"{where} has no area_id or pkey")
    return FloodArea(
        area_id=str(area_id),
        rw=str(properties.get("area_name") or properties.get("level_name") or ""),
        village=str(properties.get("parent_name") or properties.get("parent_nam") or "").strip(),
        state=_state(properties.get("state"), where),
        geometry=polygon,
        last_updated=properties.get("last_updated"),
    )


def _polygonal_part(geometry: BaseGeometry) -> BaseGeometry:
    """Repairing a self-crossing ring can leave lines or points beside the polygons: drop them."""
    if geometry.geom_type in POLYGONAL:
        return geometry
    parts = [part for part in getattr(geometry, "geoms", []) if part.geom_type in POLYGONAL]
    return unary_union(parts) if parts else Polygon()


def _state(raw, where: str) -> int:
    if raw is None:
        return 0
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise FloodSourceError(f"{where}: state {raw!r} is not a number")
    try:
        value = float(raw)
    except ValueError:
        raise FloodSourceError(f"{where}: state {raw!r} is not a number") from None
    if not value.is_integer() or not 0 <= value <= 4:
        raise FloodSourceError(f"{where}: state {raw!r} is outside 0-4")
    return int(value)
