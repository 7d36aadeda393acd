"""Maps for the public pages as inline SVG drawn here: no tiles, no scripts, nothing fetched from elsewhere.

The projection is plate carrée, north up: x = (lon - west) * scale, y = (north - lat) * scale, in SVG
user units (the viewBox). Near the equator, where Indonesia lies, it distorts shapes by under 2 %.
Coordinates are written as whole units, each step relative to the last, which keeps the whole
archipelago's coastline to some tens of kilobytes; the scale is chosen so a unit is under a pixel.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

logger = logging.getLogger(__name__)

Bounds = tuple[float, float, float, float]  # west, south, east, north
Point = tuple[float, float]  # lon, lat
INDONESIA: Bounds = (94.0, -12.0, 142.0, 7.0)  # realtime.geography.INDONESIA, the land file's bbox
LAND_FILE = Path(__file__).resolve().parent / "static" / "events" / "geo" / "land.geojson"


@dataclass(frozen=True)
class Frame:
    """A lon/lat box drawn at `scale` SVG units per degree."""

    west: float
    south: float
    east: float
    north: float
    scale: float

    @property
    def width(self) -> float:
        return (self.east - self.west) * self.scale

    @property
    def height(self) -> float:
        return (self.north - self.south) * self.scale

    @property
    def view_box(self) -> str:
        return f"0 0 {round(self.width)} {round(self.height)}"

    def project(self, lon: float, lat: float) -> tuple[float, float]:
        """SVG x, y of a lon/lat point."""
        return (lon - self.west) * self.scale, (self.north - lat) * self.scale

    def contains(self, lon: float, lat: float) -> bool:
        return self.west <= lon <= self.east and self.south <= lat <= self.north

    def overlaps(self, bounds: Bounds) -> bool:
        west, south, east, north = bounds
        return west <= self.east and east >= self.west and south <= self.north and north >= self.south


def frame(bounds: Bounds, width: float) -> Frame:
    """The frame of bounds, `width` units wide."""
    west, south, east, north = bounds
    return Frame(west, south, east, north, width / (east - west))


def path_data(frame: Frame, line: list[Point], closed: bool) -> str:
    """SVG path data of a line or ring: whole units, relative steps, repeated points dropped ("" if it vanishes)."""
    points = [frame.project(lon, lat) for lon, lat in line]
    steps, (x0, y0) = [], (round(points[0][0]), round(points[0][1]))
    last = (x0, y0)
    for x, y in points[1:]:
        here = (round(x), round(y))
        if here != last:
            steps.append(f"{here[0] - last[0]} {here[1] - last[1]}")
            last = here
    if len(steps) < (2 if closed else 1):
        return ""
    return f"M{x0} {y0}l{' '.join(steps)}{'z' if closed else ''}"


def bounds_of(points: list[Point]) -> Bounds:
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    return min(lons), min(lats), max(lons), max(lats)


def _widen(low: float, high: float, span: float) -> tuple[float, float]:
    """low..high grown about its middle to at least span."""
    grow = max(0.0, span - (high - low)) / 2
    return low - grow, high + grow


def padded(bounds: Bounds, pad: float, min_span: float, aspect: tuple[float, float]) -> Bounds:
    """A map's frame around bounds: a margin of `pad` of the span on each side, at least min_span degrees
    across, then widened or heightened until width / height lies within aspect (lowest, highest)."""
    west, south, east, north = bounds
    margin = max(east - west, north - south) * pad
    west, east = _widen(west - margin, east + margin, min_span)
    south, north = _widen(south - margin, north + margin, min_span)
    west, east = _widen(west, east, (north - south) * aspect[0])
    south, north = _widen(south, north, (east - west) / aspect[1])
    return west, south, east, north


@lru_cache(maxsize=1)
def land_polygons() -> tuple[tuple[Bounds, tuple[list[Point], ...]], ...]:
    """The land file's polygons as (bounds, rings), read once per process; none if the file is unreadable."""
    try:
        document = json.loads(LAND_FILE.read_text(encoding="utf-8"))
        polygons = []
        for feature in document["features"]:
            rings = tuple([(float(x), float(y)) for x, y in ring] for ring in feature["geometry"]["coordinates"])
            polygons.append((bounds_of(rings[0]), rings))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        logger.error("maps drawn without land: %s is unreadable (%s)", LAND_FILE, exc)
        return ()
    return tuple(polygons)


@lru_cache(maxsize=64)
def land_path(frame: Frame) -> str:
    """Path data of the land that overlaps the frame (the SVG viewport clips the rest); draw it evenodd."""
    parts = []
    for bounds, rings in land_polygons():
        if frame.overlaps(bounds):
            parts.extend(filter(None, (path_data(frame, ring, closed=True) for ring in rings)))
    return "".join(parts)


def finite(value) -> float | None:
    """A finite float, or None (for values read from impact.json and uploaded files)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def units(value: float) -> str:
    """A coordinate or length for an SVG attribute: never localised, one decimal at most."""
    return f"{round(value, 1):g}"


def star_points(x: float, y: float, radius: float) -> str:
    """A five-pointed star's polygon points, centred on x, y: the epicentre, as on the PDF map."""
    corners = []
    for k in range(10):
        angle = math.pi * k / 5 - math.pi / 2
        r = radius if k % 2 == 0 else radius * 0.45
        corners.append(f"{units(x + r * math.cos(angle))},{units(y + r * math.sin(angle))}")
    return " ".join(corners)
