"""A flood area's GeoJSON geometry to a valid shapely (Multi)Polygon, checked before it is built.

The coordinates are walked by hand, at the fixed depth of a Polygon or
MultiPolygon, so neither deep nesting nor a huge ring ever reaches shapely;
every position must be [lon, lat] inside Indonesia. An invalid ring is repaired
(one RW of Jakarta's own boundary file crosses itself once) unless it crosses
itself more than MAX_SELF_CROSSINGS times: repair grows with the square of the
crossings, and a 301-point star takes minutes.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

from realtime.flood.errors import FloodSourceError
from realtime.flood.limits import (
    INDONESIA,
    MAX_AREA_SPAN_DEGREES,
    MAX_AREA_VERTICES,
    MAX_SELF_CROSSINGS,
)

POLYGONAL = ("Polygon", "MultiPolygon")
CROSSING_CHUNK = 64  # segments queried at once while counting crossings: bounds the memory of one query


def polygons_of(geometry: object) -> list | None:
    """The Polygon coordinate lists of a Polygon/MultiPolygon mapping, or None if it is not one."""
    if not isinstance(geometry, dict) or geometry.get("type") not in POLYGONAL:
        return None
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list):
        return []
    return [coordinates] if geometry["type"] == "Polygon" else coordinates


def vertex_count(geometry: object) -> int:
    """Positions in the rings of a (Multi)Polygon mapping, without looking at them; 0 for anything else."""
    return sum(len(ring) for polygon in polygons_of(geometry) or () if isinstance(polygon, list)
               for ring in polygon if isinstance(ring, list))


def area_geometry(geometry: object, where: str) -> BaseGeometry:
    """A valid, non-empty (Multi)Polygon, or FloodSourceError saying what is wrong with `geometry`."""
    polygons = polygons_of(geometry)
    if polygons is None:
        kind = geometry.get("type") if isinstance(geometry, dict) else None
        got = repr(kind) if isinstance(kind, str) and len(kind) <= 40 else "null" if geometry is None else "no type"
        raise FloodSourceError(f"{where} has no Polygon or MultiPolygon geometry (got {got})")
    vertices = vertex_count(geometry)
    if vertices > MAX_AREA_VERTICES:
        raise FloodSourceError(f"{where} has {vertices} vertices, more than the {MAX_AREA_VERTICES} allowed in one area")
    if not polygons:
        raise FloodSourceError(f"{where} has an empty geometry")
    parts = [_polygon(polygon, where) for polygon in polygons]
    built = parts[0] if geometry["type"] == "Polygon" else shapely.multipolygons(parts)
    west, south, east, north = built.bounds
    if max(east - west, north - south) > MAX_AREA_SPAN_DEGREES:
        raise FloodSourceError(
            f"{where} spans {max(east - west, north - south):.2f} degrees, more than the {MAX_AREA_SPAN_DEGREES:g} "
            "a flood area can (all of Jakarta spans 0.3)"
        )
    if built.is_valid:
        return built
    crossings = _self_crossings(built, MAX_SELF_CROSSINGS)
    if crossings > MAX_SELF_CROSSINGS:
        raise FloodSourceError(f"{where} has a ring that crosses itself more than {MAX_SELF_CROSSINGS} times; refused, not repaired")
    # "structure" without the collapsed parts gives (Multi)Polygons only: no lines or points beside them
    repaired = shapely.make_valid(built, method="structure", keep_collapsed=False)
    if repaired.is_empty:
        raise FloodSourceError(f"{where} has a geometry with no area once repaired")
    return repaired


def _polygon(polygon: object, where: str) -> Polygon:
    """A shapely Polygon (lon, lat; heights dropped) from checked rings, built from arrays, not point by point."""
    if not isinstance(polygon, list) or not polygon:
        raise FloodSourceError(f"{where}: a polygon is not a list of rings")
    rings = []
    for number, ring in enumerate(polygon):
        if not isinstance(ring, list):
            raise FloodSourceError(f"{where}: ring {number} is not a list of [lon, lat] positions")
        if len(ring) < 4:
            raise FloodSourceError(f"{where}: ring {number} has {len(ring)} positions; a closed ring needs at least 4")
        rings.append(shapely.linearrings(_ring_points(ring, where)))
    return shapely.polygons(rings[0], holes=rings[1:] or None)


def _ring_points(ring: list, where: str) -> np.ndarray:
    """The (n, 2) lon/lat array of `ring`, every position checked at once; a bad one is found and named."""
    positions = [position for position in ring if type(position) is list and 2 <= len(position) <= 3]
    flat = [value for position in positions for value in position]
    if len(positions) < len(ring) or not set(map(type, flat)) <= {int, float}:
        _first_bad_position(ring, where)
    if len(flat) == 2 * len(positions):
        points = np.array(flat, dtype=float).reshape(-1, 2)
    else:  # some positions carry a height
        points = np.array([position[:2] for position in positions], dtype=float)
    west, south, east, north = INDONESIA
    lon, lat = points[:, 0], points[:, 1]
    if not (np.isfinite(np.array(flat, dtype=float)).all() and (lon >= west).all() and (lon <= east).all()
            and (lat >= south).all() and (lat <= north).all()):
        _first_bad_position(ring, where)
    return points


def _first_bad_position(ring: list, where: str) -> None:
    for position in ring:
        _check_position(position, where)
    raise AssertionError("a ring refused as a whole has no bad position")  # pragma: no cover (the checks agree)


def _check_position(position: object, where: str) -> None:
    if (type(position) is not list or not 2 <= len(position) <= 3
            or any(type(value) not in (int, float) for value in position)):
        raise FloodSourceError(f"{where}: position {_shown(position)} is not [lon, lat] numbers")
    lon, lat = position[0], position[1]
    if not all(math.isfinite(value) for value in position):
        raise FloodSourceError(f"{where}: a position holds {lon!r}, {lat!r}, not a finite number")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        hint = "; are lon and lat swapped?" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        raise FloodSourceError(f"{where}: position ({lon:g}, {lat:g}) is not a longitude/latitude{hint}")
    west, south, east, north = INDONESIA
    if not (west <= lon <= east and south <= lat <= north):
        raise FloodSourceError(
            f"{where}: position ({lon:g}, {lat:g}) is outside Indonesia (lon {west:g} to {east:g}, lat {south:g} to {north:g})"
        )


def _shown(position: object) -> str:
    """A short rendering of a bad position: a nested list is not printed."""
    if isinstance(position, list) and len(position) <= 3 and not any(isinstance(v, (list, dict)) for v in position):
        return repr(position)[:60]
    return "[...]" if isinstance(position, list) else f"({type(position).__name__})"


def _self_crossings(geometry: BaseGeometry, limit: int) -> int:
    """Pairs of boundary segments that meet other than end to end, counted until `limit` is passed."""
    starts, ends, ring_ids = [], [], []
    for ring_id, ring in enumerate(shapely.get_rings(shapely.get_parts(geometry))):
        points = shapely.get_coordinates(ring)
        starts.append(points[:-1])
        ends.append(points[1:])
        ring_ids.append(np.full(len(points) - 1, ring_id))
    segments = shapely.linestrings(np.stack([np.concatenate(starts), np.concatenate(ends)], axis=1))
    ring_of = np.concatenate(ring_ids)
    position = np.arange(len(segments)) - np.searchsorted(ring_of, ring_of)  # index within its ring
    ring_length = np.bincount(ring_of)[ring_of]
    tree = shapely.STRtree(segments)
    count = 0
    for start in range(0, len(segments), CROSSING_CHUNK):
        found, other = tree.query(segments[start:start + CROSSING_CHUNK], predicate="intersects")
        found = found + start
        later = other > found
        same_ring = ring_of[found] == ring_of[other]
        gap = np.abs(position[found] - position[other])
        neighbours = same_ring & ((gap == 1) | (gap == ring_length[found] - 1))
        count += int(np.count_nonzero(later & ~neighbours))
        if count > limit:
            break
    return count
