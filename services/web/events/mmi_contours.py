"""An earthquake's MMI contours, read from the mmi_output zip the processor pushed (its contours.geojson).

The zip arrived over the API, so it is read as hostile: the member is read to a bounded size, its JSON
through uploads.loads_json, every feature checked; any fault means a map without contours and one log
line, never a broken page. Only whole MMI levels are kept, as the PDF report's map draws them.
"""

from __future__ import annotations

import logging
import zipfile
from dataclasses import dataclass, field

from rest_framework.exceptions import ValidationError

from events.maps import Point, finite
from events.uploads import ZIP_READ_ERRORS, loads_json

logger = logging.getLogger(__name__)

MEMBER = "contours.geojson"  # realtime.earthquake.products.CONTOURS, zipped by realtime.runtime.push
MAX_BYTES = 16 * 1024 * 1024  # a great quake's contours are well under 1 MB
MAX_POINTS = 200_000
ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")


class ContourError(ValueError):
    """The zip holds no usable contours."""


@dataclass
class Contour:
    level: int
    lines: list[list[Point]] = field(default_factory=list)

    @property
    def roman(self) -> str:
        return ROMANS[min(self.level, 10) - 1]


def read_contours(event) -> list[Contour]:
    """The whole-level contours of an event, lowest level first; [] when it has none or they cannot be read."""
    if not event.mmi_output:
        return []
    try:
        with event.mmi_output.open("rb") as stored, zipfile.ZipFile(stored) as archive:
            try:
                info = archive.getinfo(MEMBER)
            except KeyError:
                raise ContourError(f"the zip has no {MEMBER}") from None
            if info.file_size > MAX_BYTES:
                raise ContourError(f"{MEMBER} is {info.file_size} bytes; the limit is {MAX_BYTES}")
            with archive.open(info) as member:
                data = member.read(MAX_BYTES + 1)
        if len(data) > MAX_BYTES:
            raise ContourError(f"{MEMBER} is larger than {MAX_BYTES} bytes")
        return whole_contours(loads_json(data, MEMBER))
    except (*ZIP_READ_ERRORS, ValidationError, ContourError) as exc:
        detail = exc.detail[0] if isinstance(exc, ValidationError) and isinstance(exc.detail, list) else exc
        logger.warning("earthquake %s: map drawn without MMI contours: %s: %s", event, type(exc).__name__, detail)
        return []


def whole_contours(document) -> list[Contour]:
    """Contours by whole MMI level from a GeoJSON FeatureCollection of (Multi)LineStrings; bad features skipped."""
    if not isinstance(document, dict) or not isinstance(document.get("features"), list):
        raise ContourError(f"{MEMBER} is not a GeoJSON FeatureCollection")
    levels: dict[int, Contour] = {}
    count = 0
    for feature in document["features"]:
        level = _level(feature)
        if level is None:
            continue
        for line in _lines(feature.get("geometry")):
            count += len(line)
            if count > MAX_POINTS:
                raise ContourError(f"{MEMBER} has more than {MAX_POINTS} points")
            levels.setdefault(level, Contour(level)).lines.append(line)
    return [levels[level] for level in sorted(levels)]


def _level(feature) -> int | None:
    properties = feature.get("properties") if isinstance(feature, dict) else None
    value = finite(properties.get("mmi")) if isinstance(properties, dict) else None
    if value is None or not value.is_integer() or not 1 <= value <= 12:
        return None
    return int(value)


def _lines(geometry) -> list[list[Point]]:
    if not isinstance(geometry, dict) or not isinstance(geometry.get("coordinates"), list):
        return []
    kind, coordinates = geometry.get("type"), geometry["coordinates"]
    candidates = [coordinates] if kind == "LineString" else coordinates if kind == "MultiLineString" else []
    lines = []
    for candidate in candidates:
        line = lonlat_line(candidate)
        if line:
            lines.append(line)
    return lines


def lonlat_line(coordinates) -> list[Point] | None:
    """GeoJSON positions as (lon, lat) when every one is a pair of finite degrees, else None (flood_map too)."""
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        return None
    line = []
    for position in coordinates:
        if not isinstance(position, list) or len(position) < 2:
            return None
        lon, lat = finite(position[0]), finite(position[1])
        if lon is None or lat is None or not (-180 <= lon <= 360 and -90 <= lat <= 90):
            return None
        line.append((lon, lat))
    return line
