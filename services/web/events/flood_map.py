"""The flood page's map: the snapshot's RWs coloured by flood class, as inline SVG, with a scale bar.

It reads the snapshot the processor uploaded with the flood (Flood.flood_data, PetaBencana's GeoJSON): the
same polygons and states the report's map draws, framed on the flooded RWs. The web app has no kelurahan
boundaries (they live in the processor's analysis data) and its coastline (events/static/events/geo, simplified
by 0.02°, about 2 km) is too coarse at a city's scale: it cut through Jakarta's northern RWs, so the map draws
none; the most affected villages are named at the middle of their flooded RWs, as the report's map marks them.
Anything in the stored text may be hostile: a part that is not a polygon of finite lon/lat numbers near
Jakarta is left out, never a 500.
"""

from __future__ import annotations

import logging
import math
from collections import defaultdict
from dataclasses import dataclass, field

from rest_framework.exceptions import ValidationError

from events.maps import Bounds, Frame, bounds_of, frame, padded, path_data, units
from events.mmi_contours import lonlat_line
from events.page_maps import Box, Label, place_label
from events.uploads import flood_state, loads_json, snapshot_features

logger = logging.getLogger(__name__)

JAKARTA: Bounds = (106.68, -6.38, 106.98, -6.08)  # DKI Jakarta's mainland: the frame when no RW is drawn
NEAR = 0.5  # degrees around JAKARTA: an RW beyond is not Jakarta's and is left out
MAP_WIDTH = 1000
MIN_SPAN = 0.06  # degrees (about 7 km): one flooded RW is shown among its neighbourhood, not filling the map
PAD = 0.05  # of the flooded RWs' span, on each side
ASPECT = (0.8, 1.4)  # width / height the frame is widened or heightened into
KM_PER_DEGREE = 111.32  # of latitude; of longitude times cos(latitude)
SCALE_STEPS_KM = (0.5, 1, 2, 5, 10, 20, 50, 100, 200)  # the larger for the ash map
MAX_POINTS = 400_000  # vertices drawn at most; a real snapshot of all Jakarta's RWs has about 300,000
MAX_LABELS = 6
PHONE_LABELS = 3  # a phone's map is a third as wide: its names are drawn larger, so fewer fit
CLASS_OF_STATE = {4: "high", 3: "medium", 2: "low", 1: "use_caution"}  # realtime.flood.classes


@dataclass
class Area:
    """One RW's outline (all its rings, drawn evenodd) and its flood class key."""

    key: str
    d: str
    name: str


@dataclass
class ScaleBar:
    d: str  # the bar with its end ticks
    x: str  # where its label starts
    y: str
    label: str


@dataclass
class FloodMap:
    view_box: str
    scale_bar: ScaleBar | None = None
    areas: list[Area] = field(default_factory=list)  # least severe first, so the worst are on top
    labels: list[tuple[Label, bool]] = field(default_factory=list)  # and whether a phone leaves it out
    dots: list[tuple[str, str]] = field(default_factory=list)
    has_snapshot: bool = False


def _ring(value) -> list[tuple[float, float]] | None:
    """A ring of finite lon/lat pairs (four at least, closed as GeoJSON writes it), else None."""
    points = lonlat_line(value)
    return points if points and len(points) >= 4 else None


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


def near_jakarta(area: _Feature) -> bool:
    west, south, east, north = bounds_of([point for ring in area.rings for point in ring])
    return west >= JAKARTA[0] - NEAR and east <= JAKARTA[2] + NEAR and south >= JAKARTA[1] - NEAR \
        and north <= JAKARTA[3] + NEAR


def map_bounds(areas: list[_Feature]) -> Bounds:
    """The RWs with a margin, at least MIN_SPAN across and within ASPECT; Jakarta when there are none."""
    if not areas:
        return JAKARTA
    return padded(bounds_of([point for area in areas for ring in area.rings for point in ring]), PAD, MIN_SPAN, ASPECT)


def scale_bar(view: Frame) -> ScaleBar:
    """A bar of a round length, about a fifth of the map wide, in its lower left corner."""
    km_per_unit = KM_PER_DEGREE * math.cos(math.radians((view.north + view.south) / 2)) / view.scale
    wanted = view.width / 5 * km_per_unit
    km = max((step for step in SCALE_STEPS_KM if step <= wanted), default=SCALE_STEPS_KM[0])
    margin, length, tick = view.width * 0.03, km / km_per_unit, 12
    x, y = margin, view.height - margin
    d = f"M{units(x)} {units(y - tick)}v{tick}h{units(length)}v{-tick}"
    return ScaleBar(d, units(x), units(y - tick - 8), f"{km:g} km")


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
    visible = [area for area in areas or [] if near_jakarta(area)]
    view = frame(map_bounds(visible), MAP_WIDTH)
    drawn = FloodMap(view.view_box, scale_bar(view), has_snapshot=areas is not None)
    order = list(CLASS_OF_STATE.values())[::-1]  # use_caution, low, medium, high
    for area in sorted(visible, key=lambda a: order.index(a.key)):
        d = "".join(path_data(view, ring, closed=True) for ring in area.rings)
        if d:
            drawn.areas.append(Area(area.key, d, " – ".join(filter(None, (area.rw, village_label(area.village))))))
    centres = _centres(visible, view)
    named = [(centres[str(name).upper()], str(name)) for name in villages if str(name).upper() in centres]
    named = named[:MAX_LABELS]
    taken: list[Box] = [(x - 6, y - 6, x + 6, y + 6) for (x, y), _ in named]  # no name covers another's dot
    for rank, ((x, y), name) in enumerate(named):  # most affected first: they get the best spots
        drawn.dots.append((units(x), units(y)))
        if label := place_label(x, y, village_label(name)[:40], taken, view):
            drawn.labels.append((label, rank >= PHONE_LABELS))
    return drawn
