"""Parse a PetaBencana (or old PetaJakarta REM) flood snapshot into one internal shape.

Every response is hostile until proven otherwise: anything that is not a
FeatureCollection of RW polygons in Indonesia with states 0-4, within the caps of
`realtime.flood.limits`, raises `FloodSourceError` with one line naming the
source and the problem, so a broken feed never turns into an empty report, a
traceback or a stored snapshot. Text fields longer than the web app stores are
refused, not cut: a cut name could silently merge two villages.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from shapely.geometry.base import BaseGeometry

from realtime.flood.errors import FloodSourceError
from realtime.flood.geometry import POLYGONAL, area_geometry, vertex_count
from realtime.flood.json_guard import load_json
from realtime.flood.limits import MAX_AREAS, MAX_SNAPSHOT_BYTES, MAX_TEXT, MAX_VERTICES

__all__ = ["MAX_SNAPSHOT_BYTES", "POLYGONAL", "FloodArea", "FloodSnapshot", "FloodSourceError", "parse_snapshot"]


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
    """The checked snapshot; raises FloodSourceError for anything hostile or unusable."""
    collection = _feature_collection(load_json(data, name), name)
    features = collection.get("features")
    if not isinstance(features, list):
        raise FloodSourceError(f"{name}: FeatureCollection has no features list")
    if len(features) > MAX_AREAS:
        raise FloodSourceError(f"{name}: snapshot has {len(features)} areas, more than the {MAX_AREAS} allowed")
    vertices = sum(vertex_count(feature.get("geometry")) for feature in features if isinstance(feature, dict))
    if vertices > MAX_VERTICES:
        raise FloodSourceError(f"{name}: snapshot has {vertices} vertices in all, more than the {MAX_VERTICES} allowed")
    schema = "petajakarta-rem" if any("pkey" in _properties(f) for f in features[:5]) else "petabencana"
    areas: list[FloodArea] = []
    first_index: dict[str, int] = {}
    for index, feature in enumerate(features):
        area = _area(feature, f"{name}: feature {index}")
        if area.area_id in first_index:
            raise FloodSourceError(
                f"{name}: feature {index}: area_id {area.area_id!r} is also feature {first_index[area.area_id]}'s"
            )
        first_index[area.area_id] = index
        areas.append(area)
    return FloodSnapshot(areas=tuple(areas), schema=schema)


def _properties(feature: object) -> dict:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    return properties if isinstance(properties, dict) else {}


def _feature_collection(document: object, name: str) -> dict:
    if isinstance(document, dict) and "result" in document:
        document = document["result"]
        if document is None:
            raise FloodSourceError(f"{name}: 'result' is null")
    elif isinstance(document, dict) and "statusCode" in document:
        raise FloodSourceError(f"{name}: response has a statusCode but no 'result'")
    if not isinstance(document, dict):
        raise FloodSourceError(f"{name}: expected a GeoJSON FeatureCollection, got {_kind(document)}")
    if document.get("type") == "Topology":
        raise FloodSourceError(f"{name}: got TopoJSON; ask the API for geoformat=geojson")
    if document.get("type") != "FeatureCollection":
        raise FloodSourceError(f"{name}: expected a FeatureCollection, got type {_shown(document.get('type'))}")
    return document


def _area(feature: object, where: str) -> FloodArea:
    if not isinstance(feature, dict):
        raise FloodSourceError(f"{where} is not an object")
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        raise FloodSourceError(f"{where} has no properties")
    geometry = area_geometry(feature.get("geometry"), where)
    key = "area_id" if "area_id" in properties else "pkey"
    area_id = properties.get(key)
    if isinstance(area_id, int) and not isinstance(area_id, bool):
        area_id = str(area_id)
    elif not isinstance(area_id, str) and area_id is not None:
        raise FloodSourceError(f"{where}: {key} must be text or a whole number, got {_kind(area_id)}")
    area_id = _text(area_id, key, where)
    if not area_id.strip():
        raise FloodSourceError(f"{where} has no area_id or pkey")
    return FloodArea(
        area_id=area_id,
        rw=_first_text(properties, ("area_name", "level_name"), where),
        village=_first_text(properties, ("parent_name", "parent_nam"), where).strip(),
        state=_state(properties.get("state"), where),
        geometry=geometry,
        last_updated=_text(properties.get("last_updated"), "last_updated", where) or None,
    )


def _first_text(properties: dict, keys: tuple[str, ...], where: str) -> str:
    """The first of `keys` with a non-empty value (checked text), or ""."""
    for key in keys:
        value = _text(properties.get(key), key, where)
        if value:
            return value
    return ""


def _text(value: object, key: str, where: str) -> str:
    """`value` as text the web app can store: at most MAX_TEXT characters, no control characters."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise FloodSourceError(f"{where}: {key} must be text, got {_kind(value)}")
    if len(value) > MAX_TEXT:
        raise FloodSourceError(
            f"{where}: {key} is {len(value)} characters long, more than the {MAX_TEXT} the web app stores (refused, not cut)"
        )
    for character in value:
        category = unicodedata.category(character)
        if category == "Cs":
            raise FloodSourceError(f"{where}: {key} is not valid Unicode (lone surrogate U+{ord(character):04X})")
        if category == "Cc":
            raise FloodSourceError(f"{where}: {key} holds a control character (U+{ord(character):04X})")
    return value


def _state(raw: object, where: str) -> int:
    if raw is None:
        return 0
    if isinstance(raw, str):
        raw = _text(raw, "state", where)
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        raise FloodSourceError(f"{where}: state {_shown(raw)} is not a number")
    try:
        value = float(raw)
    except ValueError:
        raise FloodSourceError(f"{where}: state {_shown(raw)} is not a number") from None
    if not value.is_integer() or not 0 <= value <= 4:
        raise FloodSourceError(f"{where}: state {_shown(raw)} is outside 0-4")
    return int(value)


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "text", bool: "true/false", type(None): "null"}
    return names.get(type(value), "a number")


def _shown(value: object) -> str:
    """A short, one-line rendering of a JSON value for a message."""
    if isinstance(value, (dict, list)):
        return "{...}" if isinstance(value, dict) else "[...]"
    return repr(value[:40] + "..." if isinstance(value, str) and len(value) > 40 else value)
