"""PetaBencana flood states as data: class, wording, displacement rate and colour.

States are set by BPBD DKI Jakarta. State 1 means "use caution": shown, but
nobody is counted as affected. 0 or null means no flooding.
"""

from __future__ import annotations

from dataclasses import dataclass

from realtime.text import N_


@dataclass(frozen=True)
class FloodClass:
    state: int
    key: str
    name: str
    depth: str
    affected: bool
    displacement_rate: float
    colour: str


FLOOD_CLASSES: tuple[FloodClass, ...] = (
    FloodClass(4, "high", N_("High"), N_("over 150 cm"), True, 0.05, "#08306b"),
    FloodClass(3, "medium", N_("Medium"), N_("71 - 150 cm"), True, 0.03, "#2171b5"),
    FloodClass(2, "low", N_("Low"), N_("10 - 70 cm"), True, 0.01, "#6baed6"),
    FloodClass(1, "use_caution", N_("Use caution"), N_("unknown depth"), False, 0.0, "#fdae6b"),
)
CLASS_BY_STATE: dict[int, FloodClass] = {c.state: c for c in FLOOD_CLASSES}
CLASS_BY_KEY: dict[str, FloodClass] = {c.key: c for c in FLOOD_CLASSES}
MIN_AFFECTED_STATE = 2
