"""Shake ids are folder names built from hostile input: validate them strictly."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

INITIAL_ID = re.compile(r"[0-9]{14}")
# <origin>_<mag*10>_<lat*1000>_<lon*1000>_<stamp>, e.g. 20180220162928_50_01400_124450_20180220162928
CORRECTED_ID = re.compile(r"([0-9]{14})_([0-9]{1,3})_(-?[0-9]{1,6})_(-?[0-9]{1,7})_([0-9]{14})")

SOURCE_TYPES = ("initial", "corrected")


def _is_timestamp(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y%m%d%H%M%S")
    except ValueError:
        return False
    return True


def is_initial_id(shake_id: str) -> bool:
    return isinstance(shake_id, str) and bool(INITIAL_ID.fullmatch(shake_id)) and _is_timestamp(shake_id)


def is_corrected_id(shake_id: str) -> bool:
    match = CORRECTED_ID.fullmatch(shake_id) if isinstance(shake_id, str) else None
    return bool(match) and _is_timestamp(match.group(1)) and _is_timestamp(match.group(5))


def is_shake_id(shake_id: str) -> bool:
    return is_initial_id(shake_id) or is_corrected_id(shake_id)


def source_type_of(shake_id: str) -> str:
    """'corrected' for the long corrected form, otherwise 'initial'."""
    return "corrected" if is_corrected_id(shake_id) else "initial"


# Where a grid lies inside its event folder: BMKG pushes `<id>/grid.xml`, the old processor `<id>/output/grid.xml`.
GRID_LOCATIONS = ("grid.xml", "output/grid.xml")


def folder_event_id(grid_path: str | Path) -> str | None:
    """The event id of the folder a grid lies in, or None for a loose file outside any event folder.

    The folder BMKG pushed into is the event's identity: a grid inside it must name the same event.
    """
    path = Path(grid_path)
    for location in GRID_LOCATIONS:
        depth = location.count("/") + 1
        if "/".join(path.parts[-depth:]) == location and len(path.parts) > depth:
            candidate = path.parts[-depth - 1]
            if is_shake_id(candidate):
                return candidate
    return None
