"""The flood page's map: the snapshot's RWs coloured by flood class over Jakarta's coast, as inline SVG.

It reads the snapshot the processor uploaded with the flood (Flood.flood_data, PetaBencana's GeoJSON): the
same polygons and states the report's map draws. The web app has no kelurahan boundaries (they live in the
processor's analysis data), so the land and the RWs are the whole map; the most affected villages are named
at the middle of their flooded RWs, as the report's map marks them. Anything in the stored text may be
hostile: a part that is not a polygon of finite lon/lat numbers is left out, never a 500.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from rest_framework.exceptions import ValidationError

from events.maps import Bounds, Frame, bounds_of, finite, frame, land_path, path_data, units
from events.page_maps import Box, Label, place_label
from events.uploads import flood_state, loads_json, snapshot_features

logger = logging.getLogger(__name__)

JAKARTA: Bounds = (106.68, -6.38, 106.98, -6.08)  # DKI Jakarta's mainland with a margin of sea
MAP_WIDTH = 1000
MAX_SPAN = 1.0  # degrees: RWs of Jakarta beyond this from it are not Jakarta's; the frame stays on the city
PAD = 0.01  # degrees around the flooded RWs
MAX_POINTS = 400_000  # vertices drawn at most; a real snapshot of all Jakarta's RWs has about 300,000
MAX_LABELS = 6
CLASS_OF_STATE = {4: "high", 3: "medium", 2: "low", 1: "use_caution"}  # realtime.flood.classes


@dataclass
class Area:
    """One RW's outline (all its rings, drawn evenodd) and its flood class key."""

    key: str
    d: str
    name: str


@dataclass
class FloodMap:
    view_box: str
    land: str
    areas: list[Area] = field(default_factory=list)  # least severe first, so the worst are on top
    labels: list[Label] = field(default_factory=list)
    dots: list[tuple[str, str]] = field(default_factory=list)
    has_snapshot: bool = False


def _ring(value) -> list[tuple[float, float]] | None:
    """A ring of finite lon/lat pairs within the globe, else None."""
    if not isinstance(value, list) or len(value) < 4:
        return None
    points = []
    for point in value:
        if not isinstance(point, list) or len(point) < 2:
            return None
        lon, lat = finite(point[0]), finite(point[1])
        if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
            return None
        points.append((lon, lat))
    return points


def _rings(geometry) -> list[list[tuple[float, float]]]:
    """The rings of a Polygon or MultiPolygon; broken rings are dropped."""
    if not isinstance(geometry, dict) or not isinstance(geometry.get("coordinates"), list):
        return []
    coordinates = geometry["coordinates"]
    polygons = [coordinates] if geometry.get("type") == "Polygon" else \
        coordinates if geometry.get("type") == "MultiPolygon" else []
    rings = []
    for polygon in polygons:
        for ring in polygon if isinstance(polygon, list) else []:
            if (points := _ring(ring)) is not None:
                rings.append(points)
    return rings


@dataclass
class _Feature:
    key: str
    rings: list[list[tuple[float, float]]]
    village: str
    rw: str


def read_areas(text: str) -> list[_Feature] | None:
    """The snapshot's RWs at state 1 to 4 with their rings; None when the text is no flood snapshot."""
    try:
        features = snapshot_features(loads_json(text, "flood_data"))
    except ValidationError as exc:
        logger.warning("flood map drawn without RWs: %s", exc.detail)
        return None
    found, budget = [], MAX_POINTS
    for feature in features:
        key = CLASS_OF_STATE.get(flood_state(feature))
        if key is None:
            continue
        rings = _rings(feature.get("geometry"))
        budget -= sum(len(ring) for ring in rings)
        if budget < 0:
            logger.warning("flood map stops at %d RWs: the snapshot has more than %d points", len(found), MAX_POINTS)
            break
        if rings:
            properties = feature.get("properties") if isinstance(feature.get("properties"), dict) else {}
            village = properties.get("parent_name")
            rw = properties.get("area_name") or properties.get("level_name")
            found.append(_Feature(key, rings, str(village)[:60] if village else "", str(rw)[:40] if rw else ""))
    return found


def map_bounds(areas: list[_Feature]) -> Bounds:
    """Jakarta, widened to the flooded RWs when they lie near it."""
    lons = [lon for area in areas for ring in area.rings for lon, _ in ring]
    lats = [lat for area in areas for ring in area.rings for _, lat in ring]
    if not lons:
        return JAKARTA
    west, south = min(min(lons) - PAD, JAKARTA[0]), min(min(lats) - PAD, JAKARTA[1])
    east, north = max(max(lons) + PAD, JAKARTA[2]), max(max(lats) + PAD, JAKARTA[3])
    if east - west > MAX_SPAN or north - south > MAX_SPAN:
        return JAKARTA
    return west, south, east, north


def village_label(name: str) -> str:
    """PetaBencana writes kelurahan in capitals; the report (realtime.reporting.flood_map) uses title case."""
    return name.title() if name.isupper() else name


def _centres(areas: list[_Feature], view: Frame) -> dict[str, tuple[float, float]]:
    """Each village's middle in SVG units: the mean of its RWs' bounding-box centres."""
    sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])
    for area in areas:
        if area.village and area.key != "use_caution":
            lons = [lon for ring in area.rings for lon, _ in ring]
            lats = [lat for ring in area.rings for _, lat in ring]
            x, y = view.project((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)
            entry = sums[area.village.upper()]
            entry[0], entry[1], entry[2] = entry[0] + x, entry[1] + y, entry[2] + 1
    return {name: (sx / n, sy / n) for name, (sx, sy, n) in sums.items()}


def flood_map(snapshot: str, villages: list[str]) -> FloodMap:
    """The map of a flood's snapshot; `villages` are the impact's, most affected first (named up to MAX_LABELS)."""
    areas = read_areas(snapshot) if snapshot else None
    view = frame(map_bounds(areas or []), MAP_WIDTH)
    drawn = FloodMap(view.view_box, land_path(view), has_snapshot=areas is not None)
    order = list(CLASS_OF_STATE.values())[::-1]  # use_caution, low, medium, high
    visible = [area for area in areas or [] if view.overlaps(bounds_of([p for ring in area.rings for p in ring]))]
    for area in sorted(visible, key=lambda a: order.index(a.key)):
        d = "".join(path_data(view, ring, closed=True) for ring in area.rings)
        if d:
            drawn.areas.append(Area(area.key, d, " – ".join(filter(None, (area.rw, village_label(area.village))))))
    centres = _centres(visible, view)
    named = [(centres[str(name).upper()], str(name)) for name in villages if str(name).upper() in centres]
    named = named[:MAX_LABELS]
    taken: list[Box] = [(x - 6, y - 6, x + 6, y + 6) for (x, y), _ in named]  # no name covers another's dot
    for (x, y), name in named:  # most affected first: they get the best spots
        drawn.dots.append((units(x), units(y)))
        if label := place_label(x, y, village_label(name)[:40], taken, view):
            drawn.labels.append(label)
    return drawn
