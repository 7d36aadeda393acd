"""The packaged volcano table: where a volcano is when an operator gives only its name.

data/volcanoes.json stays plain JSON: the web app reads the same file through importlib.resources
without importing numpy or this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


class VolcanoError(ValueError):
    """A volcano name that is not in the packaged table."""


@dataclass(frozen=True)
class Volcano:
    name: str
    latitude: float
    longitude: float
    elevation_m: float  # summit, metres above sea level
    region: str = ""  # province
    timezone: str = "Asia/Jakarta"  # IANA zone of the summit's local clock (WIB, WITA or WIT)
    gvp: int | None = None  # Smithsonian Global Volcanism Program number
    area: str = ""  # regency or island
    source: str = ""
    esp: str | None = None  # Mastin et al. (2009) eruption source parameter type


@lru_cache(maxsize=1)
def _table() -> tuple[Volcano, ...]:
    text = resources.files("realtime.ash").joinpath("data/volcanoes.json").read_text(encoding="utf-8")
    return tuple(Volcano(**row) for row in json.loads(text)["volcanoes"])


def load_volcanoes() -> list[Volcano]:
    """Every packaged volcano, in the table's order."""
    return list(_table())


def find_volcano(name: str) -> Volcano:
    """The packaged volcano called name (case and surrounding spaces ignored; '_' reads as a space)."""
    wanted = " ".join(str(name).replace("_", " ").split()).casefold()
    for volcano in _table():
        if volcano.name.casefold() == wanted:
            return volcano
    known = ", ".join(v.name for v in _table())
    raise VolcanoError(f"unknown volcano {str(name)[:60]!r}; known: {known} (or give its position and elevation)")
