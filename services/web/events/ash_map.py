"""The ash page's map: the volcano and the affected places coloured by ash class, as inline SVG.

The web app keeps the processor's impact.json and the report PDFs, not the class polygons or the thickness
raster (reading those needs the geo stack the web image does not carry), so the map tells what impact.json
holds: the forecast's extent (the hazard raster's bounds), the volcano, and each place and airport in the
colour of the ash class that reaches it, over the coastline. Every value may be hostile: a place without
finite lon/lat near the volcano is left off the map (it stays in the table), never a 500.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from events.flood_map import ScaleBar, scale_bar
from events.maps import Bounds, bounds_of, finite, frame, land_path, padded, units
from events.page_maps import Box, Label, place_label
from events.summary import ASH_CLASS_KEYS, AshPlace, AshSummary

MAP_WIDTH = 1000
MAX_SPAN = 20.0  # degrees; a forecast raster wider than this is not one volcano's
MIN_SPAN = 0.6  # degrees (about 65 km): the volcano among its neighbourhood when nothing else is known
PAD = 0.06  # of the span, on each side
ASPECT = (0.8, 1.6)  # width / height
MAX_DOTS = 150
MAX_LABELS = 8


@dataclass
class Dot:
    x: str
    y: str
    key: str  # the ash class key, or "none"
    name: str
    airport: bool


@dataclass
class AshMap:
    view_box: str
    land: str
    scale_bar: ScaleBar
    extent: tuple[str, str, str, str] | None = None  # x, y, width, height of the forecast's bounds
    volcano: str = ""  # the triangle's points
    dots: list[Dot] = field(default_factory=list)  # mildest class first, so the worst are on top
    labels: list[Label] = field(default_factory=list)


def forecast_extent(impact: dict, longitude: float | None, latitude: float | None) -> Bounds | None:
    """impact.json's hazard_extent when it is a plausible box (holding the volcano when its position is known)."""
    extent = impact.get("hazard_extent") if isinstance(impact.get("hazard_extent"), dict) else {}
    west, south, east, north = (finite(extent.get(key)) for key in ("lon_min", "lat_min", "lon_max", "lat_max"))
    if None in (west, south, east, north) or not (0 < east - west <= MAX_SPAN and 0 < north - south <= MAX_SPAN):
        return None
    if not (-180 <= west and east <= 360 and -90 <= south and north <= 90):
        return None
    if longitude is not None and latitude is not None and not (west - 1 <= longitude <= east + 1
                                                               and south - 1 <= latitude <= north + 1):
        return None
    return west, south, east, north


def map_bounds(points: list[tuple[float, float]]) -> Bounds:
    """The points with a margin, at least MIN_SPAN across and within ASPECT."""
    return padded(bounds_of(points), PAD, MIN_SPAN, ASPECT)


def _near(place: AshPlace, box: Bounds) -> bool:
    return place.longitude is not None and place.latitude is not None \
        and box[0] <= place.longitude <= box[2] and box[1] <= place.latitude <= box[3]


def ash_map(summary: AshSummary, impact: dict) -> AshMap | None:
    """The map, or None when neither the volcano's position nor a forecast extent is known."""
    lon, lat = summary.longitude, summary.latitude
    extent = forecast_extent(impact, lon, lat)
    if extent is None and (lon is None or lat is None):
        return None
    anchor = [(lon, lat)] if lon is not None and lat is not None else []
    corners = [(extent[0], extent[1]), (extent[2], extent[3])] if extent else []
    # places far beyond the forecast (or 3 degrees from the volcano without one) are not the forecast's
    reach = extent or (lon - 3, lat - 3, lon + 3, lat + 3)
    reach = (reach[0] - 1, reach[1] - 1, reach[2] + 1, reach[3] + 1)
    places = [p for p in [*summary.places, *summary.airports] if p.class_key and _near(p, reach)][:MAX_DOTS]
    view = frame(map_bounds(anchor + corners + [(p.longitude, p.latitude) for p in places]), MAP_WIDTH)
    drawn = AshMap(view.view_box, land_path(view), scale_bar(view))
    if extent:
        x0, y0 = view.project(extent[0], extent[3])
        x1, y1 = view.project(extent[2], extent[1])
        drawn.extent = (units(x0), units(y0), units(x1 - x0), units(y1 - y0))
    taken: list[Box] = []
    if anchor:
        x, y = view.project(lon, lat)
        size = 16
        drawn.volcano = f"{units(x)},{units(y - size)} {units(x + size)},{units(y + size * 0.7)} " \
                        f"{units(x - size)},{units(y + size * 0.7)}"
        taken.append((x - size, y - size, x + size, y + size))
        if label := place_label(x, y + 4, summary.volcano[:40], taken, view):
            drawn.labels.append(label)
    points = [(view.project(p.longitude, p.latitude), p) for p in places]
    taken.extend((x - 6, y - 6, x + 6, y + 6) for (x, y), _ in points)
    for (x, y), place in sorted(points, key=lambda item: ASH_CLASS_KEYS.index(item[1].class_key)):
        drawn.dots.append(Dot(units(x), units(y), place.class_key, place.name, place.kind == "airport"))
    for (x, y), place in points[:MAX_LABELS]:  # the impact lists the worst-hit first: they get the best spots
        if label := place_label(x, y, place.name[:40], taken, view):
            drawn.labels.append(label)
    return drawn
