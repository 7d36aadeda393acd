"""The five InaSAFE ash-fall classes, read from data/classes.json so the table stays data.

A thickness v (cm) is in a class when min < v <= max, as InaSAFE reclassified rasters: 0.01 cm is in
no class, 0.1 cm is very low, 10 cm is high. The comparison is made in float32, the precision of
forecast rasters, so a raster's 0.1 (0.10000000149 once widened to a Python float) is very low
whether it is classified in the grid or sampled at a place and classified alone.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources

import numpy as np


@dataclass(frozen=True)
class AshClass:
    key: str
    min_cm: float  # exclusive
    max_cm: float | None  # inclusive; None for the open-ended very high class
    label: dict[str, str]  # {"en": ..., "id": ...}
    colour: str
    displacement_rate: float
    impact: dict[str, str]  # potential impact, {"en": ..., "id": ...}

    def range_text(self) -> str:
        """'0.01 - 0.1' or '> 10', in cm, as the report's thickness column."""
        return f"> {self.min_cm:g}" if self.max_cm is None else f"{self.min_cm:g} - {self.max_cm:g}"


def _load() -> tuple[AshClass, ...]:
    text = resources.files("realtime.ash").joinpath("data/classes.json").read_text(encoding="utf-8")
    classes = tuple(AshClass(**row) for row in json.loads(text)["classes"])
    for lower, upper in zip(classes, classes[1:]):  # contiguous and rising, or classify would be wrong
        if lower.max_cm is None or lower.max_cm != upper.min_cm or not lower.min_cm < lower.max_cm:
            raise ValueError(f"ash classes {lower.key} and {upper.key} do not meet")
    return classes


ASH_CLASSES: tuple[AshClass, ...] = _load()
CLASS_KEYS: tuple[str, ...] = tuple(c.key for c in ASH_CLASSES)
CLASS_BY_KEY: dict[str, AshClass] = {c.key: c for c in ASH_CLASSES}
LOWEST_CM: float = ASH_CLASSES[0].min_cm
_EDGES = np.array([c.min_cm for c in ASH_CLASSES], dtype=np.float32)


def classify(thickness: np.ndarray) -> np.ndarray:
    """Index into ASH_CLASSES per cell (int8); -1 for no class (NaN, infinite, <= 0.01 cm)."""
    with np.errstate(over="ignore"):  # beyond float32's range is infinite: no class
        values = np.asarray(thickness, dtype=np.float32)
    index = np.asarray(np.searchsorted(_EDGES, values, side="left"), dtype=np.int8) - 1  # edges below v, minus one
    index[~np.isfinite(values)] = -1
    return index


def class_of(value: float) -> AshClass | None:
    """The class of one thickness in cm, or None below 0.01 cm or for NaN/infinity."""
    if value is None or not math.isfinite(value):
        return None
    index = int(classify(np.array([value]))[0])
    return ASH_CLASSES[index] if index >= 0 else None
