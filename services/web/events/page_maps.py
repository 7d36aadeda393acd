"""What the pages' maps show, in SVG units ready for the templates (_overview_map.html, _event_map.html).

The list page's map is all of Indonesia with the page's events, one circle each, coloured by alert and
sized by magnitude. An event's map is its ShakeMap's extent with the MMI contours, the nearby places
and the epicentre, over the same land.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from events.maps import INDONESIA, Bounds, Frame, finite, frame, land_path, path_data, star_points, units
from events.mmi_contours import read_contours

OVERVIEW_WIDTH = 2400  # 50 units a degree: a unit is about half a pixel in a desktop window
EVENT_WIDTH = 1000
AROUND_EPICENTRE = 2.0  # degrees either side when the impact has no usable grid extent
MAX_SPAN = 30.0  # a ShakeMap grid is a few degrees across; anything wider is not one
LABEL_MIN_WIDTH = 0.08  # contours narrower than this share of the map go unlabelled, as on the PDF map
MAX_PLACES = 12


@dataclass
class Marker:
    row: Any  # the page's EarthquakeRow
    cx: str
    cy: str
    r: str
    alert: str  # green, yellow, orange, red, or none
    latest: bool = False


@dataclass
class OverviewMap:
    view_box: str
    land: str
    markers: list[Marker]
    outside: int  # events of the page that lie beyond the map


def marker_radius(magnitude) -> float:
    """Circle radius in overview units: 12 at M 4, growing 1.4 times a magnitude unit, within 8 to 60."""
    value = finite(magnitude)
    if value is None:
        return 8.0
    return min(60.0, max(8.0, 12 * 1.4 ** (value - 4)))


def overview_map(rows: list, newest_shown: bool) -> OverviewMap:
    """The page's events over Indonesia; rows newest first, the first marked latest when newest_shown."""
    view = frame(INDONESIA, OVERVIEW_WIDTH)
    markers, outside = [], 0
    for index, row in enumerate(rows):
        lon, lat = finite(row.event.longitude), finite(row.event.latitude)
        if lon is None or lat is None or not view.contains(lon, lat):
            outside += 1
            continue
        x, y = view.project(lon, lat)
        radius = marker_radius(row.event.magnitude)
        marker = Marker(row, units(x), units(y), units(radius), row.alert or "none", newest_shown and index == 0)
        markers.append((radius, marker))
    markers.sort(key=lambda item: -item[0])  # the biggest first, so no circle hides a smaller one
    return OverviewMap(view.view_box, land_path(view), [marker for _, marker in markers], outside)


@dataclass
class Line:
    roman: str
    d: str


@dataclass
class Label:
    x: str
    y: str
    text: str
    anchor: str = "start"  # SVG text-anchor: start (right of the point), end (left of it) or middle


Box = tuple[float, float, float, float]  # left, top, right, bottom in SVG units


@dataclass
class Badge:
    """A contour's MMI numeral on a box of its colour, as the PDF map labels its rings."""

    box: Box
    roman: str

    @property
    def x(self) -> str:
        return units(self.box[0])

    @property
    def y(self) -> str:
        return units(self.box[1])

    @property
    def width(self) -> str:
        return units(self.box[2] - self.box[0])

    @property
    def text_x(self) -> str:
        return units((self.box[0] + self.box[2]) / 2)

    @property
    def text_y(self) -> str:
        return units((self.box[1] + self.box[3]) / 2 + 1)


PLACE_FONT = 22  # .place-label's font-size in site.css
BADGE_HEIGHT = 30


def text_width(text: str, font: float) -> float:
    """A generous estimate of a label's width (bold sans-serif runs about 0.62 em a character)."""
    return 0.62 * font * len(text)


def overlaps(box: Box, others: list[Box]) -> bool:
    return any(box[0] < o[2] and o[0] < box[2] and box[1] < o[3] and o[1] < box[3] for o in others)


def place_label(x: float, y: float, text: str, taken: list[Box], view: Frame) -> Label | None:
    """The label of a point, right, left, above or below it, whichever first clears the others and the edges."""
    width, gap = text_width(text, PLACE_FONT), 9
    candidates = (  # (text x, baseline y, anchor, box)
        (x + gap, y + 7, "start", (x + gap, y - 12, x + gap + width, y + 12)),
        (x - gap, y + 7, "end", (x - gap - width, y - 12, x - gap, y + 12)),
        (x, y - gap - 5, "middle", (x - width / 2, y - gap - 24, x + width / 2, y - gap)),
        (x, y + gap + 17, "middle", (x - width / 2, y + gap, x + width / 2, y + gap + 24)),
    )
    for text_x, baseline, anchor, box in candidates:
        inside = box[0] >= 0 and box[1] >= 0 and box[2] <= view.width and box[3] <= view.height
        if inside and not overlaps(box, taken):
            taken.append(box)
            return Label(units(text_x), units(baseline), text, anchor)
    return None


def badge(x: float, y: float, roman: str, view: Frame) -> Badge:
    """A contour label centred on x, y, moved inside the map when the point is near its edge."""
    width = 14 + 0.7 * 24 * len(roman)
    x = min(max(x, width / 2 + 2), view.width - width / 2 - 2)
    y = min(max(y, BADGE_HEIGHT / 2 + 2), view.height - BADGE_HEIGHT / 2 - 2)
    return Badge((x - width / 2, y - BADGE_HEIGHT / 2, x + width / 2, y + BADGE_HEIGHT / 2), roman)


@dataclass
class EventMap:
    view_box: str
    land: str
    contours: list[Line] = field(default_factory=list)
    contour_labels: list[Badge] = field(default_factory=list)
    levels: list[int] = field(default_factory=list)
    places: list[Label] = field(default_factory=list)
    place_dots: list[tuple[str, str]] = field(default_factory=list)
    epicentre: str = ""


def event_bounds(longitude: float, latitude: float, grid) -> Bounds:
    """The impact's grid extent when it is a plausible one around the epicentre, else a box around it."""
    grid = grid if isinstance(grid, dict) else {}
    west, south, east, north = (finite(grid.get(key)) for key in ("lon_min", "lat_min", "lon_max", "lat_max"))
    if None not in (west, south, east, north) and 0 < east - west <= MAX_SPAN and 0 < north - south <= MAX_SPAN \
            and west <= longitude <= east and south <= latitude <= north:
        return west, south, east, north
    half = AROUND_EPICENTRE
    return longitude - half, latitude - half, longitude + half, latitude + half


def event_map(event, impact: dict) -> EventMap:
    """The event's map: land, whole-level MMI contours from its mmi_output zip, places, epicentre."""
    view = frame(event_bounds(event.longitude, event.latitude, impact.get("grid")), EVENT_WIDTH)
    drawn = EventMap(view.view_box, land_path(view))
    x, y = view.project(event.longitude, event.latitude)
    star = view.width * 0.025
    drawn.epicentre = star_points(x, y, radius=star)
    taken: list[Box] = [(x - star, y - star, x + star, y + star)]  # where place names must not go
    for contour in read_contours(event):
        paths = [path_data(view, line, closed=False) for line in contour.lines]
        drawn.contours.extend(Line(contour.roman, d) for d in paths if d)
        drawn.levels.append(contour.level)
        for line in contour.lines:
            if max(p[0] for p in line) - min(p[0] for p in line) > (view.east - view.west) * LABEL_MIN_WIDTH:
                # at its southernmost point, as the PDF map labels it
                label = badge(*view.project(*min(line, key=lambda p: p[1])), contour.roman, view)
                drawn.contour_labels.append(label)
                taken.append(label.box)
    _add_places(drawn, view, impact.get("places"), taken)
    return drawn


def _add_places(drawn: EventMap, view: Frame, places, taken: list[Box]) -> None:
    """Dots and names of the impact's nearby places; a name that fits nowhere is left out, its dot kept."""
    points = []
    for place in (places if isinstance(places, list) else [])[:MAX_PLACES]:
        if not isinstance(place, dict) or not place.get("name"):
            continue
        lon, lat = finite(place.get("longitude")), finite(place.get("latitude"))
        if lon is not None and lat is not None and view.contains(lon, lat):
            points.append((*view.project(lon, lat), str(place["name"])[:60]))
    taken.extend((x - 6, y - 6, x + 6, y + 6) for x, y, _ in points)
    for x, y, name in points:  # the impact lists places by importance: the first get the best spots
        drawn.place_dots.append((units(x), units(y)))
        label = place_label(x, y, name, taken, view)
        if label:
            drawn.places.append(label)
