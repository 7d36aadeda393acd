"""The MMI scale as data: one table drives classification, colours and wording.

Class k covers (k - 0.5, k + 0.5]; values at or below 1.5 are class I and
values above 10.5 are class X, so every exposed person falls in one class.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from realtime.text import N_


@dataclass(frozen=True)
class MMIClass:
    value: int
    roman: str
    colour: str
    shaking: str  # English; reports translate it through the gettext catalog
    damage: str


MMI_CLASSES: tuple[MMIClass, ...] = (
    MMIClass(1, "I", "#ffffff", N_("Not felt"), N_("None")),
    MMIClass(2, "II", "#209fff", N_("Weak"), N_("None")),
    MMIClass(3, "III", "#00cfff", N_("Weak"), N_("None")),
    MMIClass(4, "IV", "#55ffff", N_("Light"), N_("None")),
    MMIClass(5, "V", "#aaffff", N_("Moderate"), N_("Very light")),
    MMIClass(6, "VI", "#fff000", N_("Strong"), N_("Light")),
    MMIClass(7, "VII", "#ffa800", N_("Very strong"), N_("Moderate")),
    MMIClass(8, "VIII", "#ff7000", N_("Severe"), N_("Moderate/Heavy")),
    MMIClass(9, "IX", "#ff0000", N_("Violent"), N_("Heavy")),
    MMIClass(10, "X", "#dd0000", N_("Extreme"), N_("Very heavy")),
)
_EXTRA_COLOURS = {11: "#880000", 12: "#440000"}

ROMANS: tuple[str, ...] = tuple(c.roman for c in MMI_CLASSES)
CLASS_BY_ROMAN: dict[str, MMIClass] = {c.roman: c for c in MMI_CLASSES}


def mmi_class_index(mmi: np.ndarray) -> np.ndarray:
    """Class number 1..10 for each MMI value, as uint8."""
    k = np.ceil(np.asarray(mmi) - 0.5)
    return np.clip(k, 1, 10).astype(np.uint8)


def mmi_class_of(value: float) -> MMIClass:
    k = int(min(10, max(1, math.ceil(value - 0.5))))
    return MMI_CLASSES[k - 1]


def mmi_colour(value: float) -> str:
    """Colour of the whole MMI value below `value`, as the old maps drew it."""
    k = int(value)
    if k in _EXTRA_COLOURS:
        return _EXTRA_COLOURS[k]
    return MMI_CLASSES[min(10, max(1, k)) - 1].colour


def roman(value: int) -> str:
    if 1 <= value <= 10:
        return ROMANS[value - 1]
    return {11: "XI", 12: "XII"}.get(value, "")
