"""impact.json as the pages read it: strictly, so a renamed or mistyped key is an error, never a blank.

The processor always writes the keys read here (realtime/earthquake/impact.py ShakeImpact.as_dict,
realtime/flood/impact.py analyse_flood, realtime/ash/impact.py AshImpact.document), and the push sends the
document whole (realtime/runtime/push.py), so a missing one means the processor and the web app disagree. Each
reader raises UnreadableImpact naming the key, and `read` logs it as one ERROR line with the event.

Optional are only the keys the processor itself may leave out or set to null: an earthquake's `location`
(no town near enough) and `generated_at`, an ash forecast's `airports` and `landcover` (no such layer in the
analysis data) and `max_thickness_cm`. No impact at all (null or {}) is a version whose analysis has not
arrived yet, not an error. Every document this processor has written has schema_version 1 (earthquake, ash; no
web app existed before that) or none (flood, whose writer has never written one); another version is refused.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

log = logging.getLogger(__name__)

SCHEMA_VERSIONS = (1,)
ROMANS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
PAGER_ALERTS = ("green", "yellow", "orange", "red")
COMPASS = ("N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W", "WNW", "NW", "NNW")
FLOOD_CLASS_KEYS = ("high", "medium", "low", "use_caution")  # realtime.flood.classes
ASH_CLASS_KEYS = ("very_low", "low", "medium", "high", "very_high")  # realtime.ash.classes, mildest first
MISSING = object()
T = TypeVar("T")


class UnreadableImpact(ValueError):
    """impact.json lacks a key a page needs, or holds the wrong type there."""

    def __init__(self, key: str, problem: str = ""):
        self.key, self.problem = key, problem
        super().__init__(f"impact.json {problem}" if problem.startswith("has") or not key else
                         f"impact.json: '{key}' {problem}" if problem else f"impact.json lacks '{key}'")


class Node:
    """One object of impact.json at a dotted path; every accessor names the whole key when it fails."""

    def __init__(self, value: Any, path: str = ""):
        if not isinstance(value, dict):
            raise UnreadableImpact(path, "is not an object")
        self.value, self.path = value, path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def get(self, name: str, optional: bool = False) -> Any:
        value = self.value.get(name, MISSING)
        if value is MISSING or value is None:
            if optional:
                return None
            raise UnreadableImpact(self.key(name), "" if value is MISSING else "is null")
        return value

    def number(self, name: str, optional: bool = False) -> float | None:
        """A finite number >= 0 (every figure a page shows is a count, a distance or an intensity)."""
        value = self.get(name, optional)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
            raise UnreadableImpact(self.key(name), "is not a non-negative number")
        return float(value)

    def count(self, name: str) -> int:
        value = self.number(name)
        if value != int(value):
            raise UnreadableImpact(self.key(name), "is not a whole number")
        return int(value)

    def text(self, name: str, optional: bool = False, choices: tuple[str, ...] = (), empty: bool = False) -> str | None:
        value = self.get(name, optional)
        if value is None:
            return None
        if not isinstance(value, str) or not (empty or value.strip()):
            raise UnreadableImpact(self.key(name), "is not a text")
        if choices and value not in choices:
            raise UnreadableImpact(self.key(name), f"is not one of {', '.join(choices)}")
        return value

    def node(self, name: str, optional: bool = False) -> Node | None:
        value = self.get(name, optional)
        return None if value is None else Node(value, self.key(name))

    def nodes(self, name: str, optional: bool = False) -> list[Node] | None:
        value = self.get(name, optional)
        if value is None:
            return None
        if not isinstance(value, list):
            raise UnreadableImpact(self.key(name), "is not a list")
        return [Node(item, f"{self.key(name)}[{k}]") for k, item in enumerate(value)]

    def by_key(self, name: str, keys: tuple[str, ...]) -> dict[str, Node]:
        """A list of rows with a "key" each, as {key: row}; every one of `keys` must be there."""
        rows = {row.text("key"): row for row in self.nodes(name) or []}
        for wanted in keys:
            if wanted not in rows:
                raise UnreadableImpact(f"{self.key(name)}[key={wanted}]")
        return rows


def document(impact: Any) -> Node | None:
    """The document's root, None when no impact has arrived yet; an unknown schema_version is refused."""
    if impact is None or impact == {}:
        return None
    root = Node(impact)
    version = root.value.get("schema_version", 1)
    if version not in SCHEMA_VERSIONS or isinstance(version, bool):
        shown = version if isinstance(version, int) and not isinstance(version, bool) else "of another type"
        raise UnreadableImpact("schema_version", f"has schema_version {shown}, which this web app cannot read")
    return root


def read(reader: Callable[[Any], T], impact: Any, event: str) -> T | None:
    """reader(impact), None before the impact arrives; an unreadable one is logged on one line and re-raised."""
    try:
        return reader(impact)
    except UnreadableImpact as error:
        log.error("%s: %s", event, error)
        raise


# Earthquakes -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class QuakePlace:
    name: str
    population: float
    mmi: float
    distance_km: float
    direction: str


@dataclass(frozen=True)
class QuakeLocation:
    place: str
    distance_km: float
    direction: str


@dataclass(frozen=True)
class QuakeImpact:
    magnitude: float
    time: str
    max_mmi: float
    exposure: dict[str, float]  # people per MMI class, I to X
    exposure_total: float
    fatalities_range: str
    alert: str
    model: str
    places: list[QuakePlace]
    location: QuakeLocation | None
    generated_at: str | None
    fatalities_total: float = 0.0  # the model's unrounded estimate (feeds, webhooks)


def quake_impact(impact: Any) -> QuakeImpact | None:
    root = document(impact)
    if root is None:
        return None
    event, fatalities, exposure = root.node("event"), root.node("fatalities"), root.node("exposure")
    location = root.node("location", optional=True)
    return QuakeImpact(
        magnitude=event.number("magnitude"),
        time=event.text("time"),
        max_mmi=root.node("grid").number("max_mmi"),
        exposure={roman: exposure.number(roman) for roman in ROMANS},
        exposure_total=root.number("exposure_total"),
        fatalities_range=fatalities.text("range"),
        alert=fatalities.text("alert", choices=PAGER_ALERTS),
        model=fatalities.text("name"),
        places=[QuakePlace(place.text("name"), place.number("population"), place.number("mmi"),
                           place.number("distance_km"), place.text("direction", choices=COMPASS))
                for place in root.nodes("places")],
        location=QuakeLocation(location.text("place"), location.number("distance_km"),
                               location.text("direction", choices=COMPASS))
        if location else None,
        generated_at=root.text("generated_at", optional=True),
        fatalities_total=fatalities.number("total"),
    )


# Floods ----------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FloodRow:
    """One flood class or one village: its RWs, people affected and displaced."""

    key: str
    rw_count: int
    affected: float
    displaced: float
    worst_state: int | None = None  # villages only


@dataclass(frozen=True)
class FloodNeed:
    key: str
    name: str
    unit: str
    frequency: str
    amount: float


@dataclass(frozen=True)
class FloodImpact:
    affected: float
    displaced: float
    flooded_rw: int
    caution_rw: int
    flooded_villages: int
    classes: dict[str, FloodRow]
    villages: list[FloodRow]
    needs_displaced: int
    needs: list[FloodNeed]
    vulnerable: dict[str, float]  # people per vulnerable group key


def flood_impact(impact: Any) -> FloodImpact | None:
    root = document(impact)
    if root is None:
        return None
    summary, needs = root.node("summary"), root.node("needs")
    return FloodImpact(
        affected=summary.number("affected"),
        displaced=summary.number("displaced"),
        flooded_rw=summary.count("flooded_rw"),
        caution_rw=summary.count("caution_rw"),
        flooded_villages=summary.count("flooded_villages"),
        classes={key: FloodRow(key, row.count("rw_count"), row.number("affected"), row.number("displaced"))
                 for key, row in root.by_key("classes", FLOOD_CLASS_KEYS).items()},
        villages=[FloodRow(row.text("name"), row.count("flooded_rw"), row.number("affected"),
                           row.number("displaced"), row.count("worst_state")) for row in root.nodes("villages")],
        needs_displaced=needs.count("displaced"),
        needs=[FloodNeed(item.text("key"), item.text("name"), item.text("unit", empty=True), item.text("frequency"),
                         item.number("amount")) for item in needs.nodes("items")],
        vulnerable={group.text("key"): group.number("people") for group in root.nodes("vulnerable")},
    )


# Volcanic ash ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AshImpact:
    exposure: dict[str, float]  # people per ash class key, mildest first
    affected: float
    displaced: float
    impact_text: dict[str, dict[str, str]]  # class key -> {en, id}: what the fall does there
    class_displaced: dict[str, float]
    places: int
    airports: int | None  # None: no airports layer in the analysis data
    landcover: dict[str, float] | None  # None: no land-cover layer


def _ash_places(nodes: list[Node] | None) -> int | None:
    """Checks every place the page lists (name, class, thickness, distance, direction); returns how many."""
    for place in nodes or []:
        place.text("name")
        place.text("class_key", choices=ASH_CLASS_KEYS)
        place.text("direction", choices=COMPASS)
        for name in ("population", "thickness_cm", "distance_km"):
            place.number(name)
    return None if nodes is None else len(nodes)


def ash_impact(impact: Any) -> AshImpact | None:
    root = document(impact)
    if root is None:
        return None
    exposure, summary = root.node("exposure"), root.node("summary")
    classes = root.by_key("classes", ASH_CLASS_KEYS)
    landcover = root.node("landcover", optional=True)
    root.number("max_thickness_cm", optional=True)
    return AshImpact(
        exposure={key: exposure.number(key) for key in ASH_CLASS_KEYS},
        affected=summary.number("affected"),
        displaced=summary.number("displaced"),
        impact_text={key: {language: classes[key].node("impact").text(language) for language in ("en", "id")}
                     for key in ASH_CLASS_KEYS},
        class_displaced={key: classes[key].number("displaced") for key in ASH_CLASS_KEYS},
        places=_ash_places(root.nodes("places")) or 0,
        airports=_ash_places(root.nodes("airports", optional=True)),
        landcover=None if landcover is None else {key: landcover.number(key) for key in landcover.value},
    )
