"""Minimum needs and vulnerable groups of displaced people, from data files, not code."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

DATA = resources.files("realtime.flood") / "data"


@dataclass(frozen=True)
class Need:
    key: str
    name: str
    unit: str
    per_person: float
    frequency: str  # "weekly" or "once"


def load_needs_profile(path: str | Path | None = None) -> tuple[str, list[Need]]:
    """(provenance, needs) of a minimum-needs profile; the BNPB one by default."""
    text = Path(path).read_text() if path else (DATA / "bnpb_minimum_needs.json").read_text()
    profile = json.loads(text)
    return profile["provenance"], [Need(**need) for need in profile["needs"]]


def load_vulnerability_ratios(path: str | Path | None = None) -> list[dict]:
    text = Path(path).read_text() if path else (DATA / "vulnerability_ratios.json").read_text()
    return json.loads(text)["groups"]


def minimum_needs(displaced: int, needs: list[Need]) -> list[dict]:
    """Amount of each item for `displaced` people, rounded up (a part of a kit is a whole kit)."""
    return [
        {"key": n.key, "name": n.name, "unit": n.unit, "frequency": n.frequency,
         "amount": int(math.ceil(round(displaced * n.per_person, 9)))}
        for n in needs
    ]


def vulnerable_groups(displaced: float, ratios: list[dict]) -> list[dict]:
    return [{"key": g["key"], "name": g["name"], "ratio": g["ratio"], "people": displaced * g["ratio"]} for g in ratios]
