"""Every event id, in one place, with nothing but the standard library.

Ids become folder names and URLs, and they arrive from outside (BMKG's folders,
grid.xml attributes, web requests), so they are matched strictly: ASCII digits
(`[0-9]`, never `\\d`, which takes other scripts' digits) to the very end
(`fullmatch`, never `$`, which lets a trailing newline through), then the
calendar. The web app imports this module and nothing else of the processor.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path

# Shake ids ---------------------------------------------------------------------------------------------
# <origin> for an initial map; <origin>_<mag*10>_<lat*1000>_<lon*1000>_<stamp> for a corrected one,
# e.g. 20180220162928_50_01400_124450_20180220162928.
INITIAL_ID_PATTERN = r"[0-9]{14}"
CORRECTED_ID_PATTERN = r"[0-9]{14}_[0-9]{1,3}_-?[0-9]{1,6}_-?[0-9]{1,7}_[0-9]{14}"
SHAKE_ID_PATTERN = rf"{INITIAL_ID_PATTERN}(?:_[0-9]{{1,3}}_-?[0-9]{{1,6}}_-?[0-9]{{1,7}}_[0-9]{{14}})?"
SHAKE_ID_FORMS = "YYYYMMDDHHMMSS or the corrected form <origin>_<mag>_<lat>_<lon>_<stamp>, in ASCII digits"
_CORRECTED = re.compile(r"([0-9]{14})_([0-9]{1,3})_(-?[0-9]{1,6})_(-?[0-9]{1,7})_([0-9]{14})")

SOURCE_TYPES = ("initial", "corrected")
SOURCE_TYPE_PATTERN = "|".join(SOURCE_TYPES)

# Where a grid lies inside its event folder: BMKG pushes `<id>/grid.xml`, the old processor `<id>/output/grid.xml`.
GRID_LOCATIONS = ("grid.xml", "output/grid.xml")


def _is_timestamp(text: str, form: str = "%Y%m%d%H%M%S") -> bool:
    try:
        datetime.strptime(text, form)
    except ValueError:
        return False
    return True


def is_initial_id(shake_id: str) -> bool:
    return isinstance(shake_id, str) and bool(re.fullmatch(INITIAL_ID_PATTERN, shake_id)) and _is_timestamp(shake_id)


def is_corrected_id(shake_id: str) -> bool:
    match = _CORRECTED.fullmatch(shake_id) if isinstance(shake_id, str) else None
    return bool(match) and _is_timestamp(match.group(1)) and _is_timestamp(match.group(5))


def is_shake_id(shake_id: str) -> bool:
    return is_initial_id(shake_id) or is_corrected_id(shake_id)


def source_type_of(shake_id: str) -> str:
    """'corrected' for the long corrected form, otherwise 'initial'."""
    return "corrected" if is_corrected_id(shake_id) else "initial"


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


# Flood ids ---------------------------------------------------------------------------------------------
# YYYYMMDDHH-<duration>-<level> with the UTC hour, e.g. 2017022105-6-rw.
DURATIONS = (1, 3, 6)
LEVELS = ("subdistrict", "village", "rw")
FLOOD_ID_PATTERN = r"[0-9]{10}-[136]-(?:subdistrict|village|rw)"
FLOOD_ID_FORM = "YYYYMMDDHH-<1|3|6>-<subdistrict|village|rw>, in ASCII digits"
_FLOOD = re.compile(r"(?P<stamp>[0-9]{10})-(?P<duration>[136])-(?P<level>subdistrict|village|rw)")


class FloodIdError(ValueError):
    """A flood id that does not follow YYYYMMDDHH-<1|3|6>-<subdistrict|village|rw>."""


def flood_id_for(moment: datetime, duration: int = 6, level: str = "rw") -> str:
    if moment.tzinfo is None:
        raise FloodIdError("the flood time must be timezone-aware")
    if duration not in DURATIONS or level not in LEVELS:
        raise FloodIdError(f"duration must be one of {DURATIONS} and level one of {LEVELS}")
    return f"{moment.astimezone(timezone.utc):%Y%m%d%H}-{duration}-{level}"


def parse_flood_id(flood_id: str) -> tuple[datetime, int, str]:
    """(UTC time, duration, level); raises FloodIdError for anything else."""
    match = _FLOOD.fullmatch(flood_id) if isinstance(flood_id, str) else None
    if not match:
        raise FloodIdError(f"flood id {str(flood_id)[:40]!r} is not YYYYMMDDHH-<1|3|6>-<subdistrict|village|rw>")
    if not _is_timestamp(match.group("stamp"), "%Y%m%d%H"):
        raise FloodIdError(f"flood id {flood_id!r} holds an impossible date")
    moment = datetime.strptime(match.group("stamp"), "%Y%m%d%H").replace(tzinfo=timezone.utc)
    return moment, int(match.group("duration")), match.group("level")


# Ash ids -----------------------------------------------------------------------------------------------
# <event time %Y%m%d%H%M%z>_<volcano, spaces as '_'>, e.g. 201702211904+0700_Merapi, as the old processor named
# its ashmaps folders. The name part is ASCII letters, digits, '_' and '-' (no dots or slashes: it is a folder).
ASH_ID_PATTERN = r"[0-9]{12}[+-][0-9]{4}_[A-Za-z0-9][A-Za-z0-9_-]{0,63}"
ASH_ID = ASH_ID_PATTERN
ASH_ID_FORM = "YYYYmmddHHMM+zzzz_<Volcano>, e.g. 201702211904+0700_Merapi, in ASCII"
_ASH = re.compile(r"(?P<stamp>[0-9]{12}[+-][0-9]{4})_(?P<name>[A-Za-z0-9][A-Za-z0-9_-]{0,63})")


class AshIdError(ValueError):
    """An ash id that does not follow YYYYmmddHHMM+zzzz_<Volcano>."""


def parse_ash_id(ash_id: str) -> tuple[datetime, str]:
    """(event time with its offset, volcano name with '_' for spaces); raises AshIdError for anything else."""
    match = _ASH.fullmatch(ash_id) if isinstance(ash_id, str) else None
    if not match:
        raise AshIdError(f"not an ash id: {str(ash_id)[:60]!r}; expected {ASH_ID_FORM}")
    stamp = match.group("stamp")
    hours, minutes = int(stamp[13:15]), int(stamp[15:17])
    if hours > 14 or minutes > 59:
        raise AshIdError(f"ash id {ash_id!r} holds an impossible UTC offset {stamp[12:]}")
    try:
        moment = datetime.strptime(stamp, "%Y%m%d%H%M%z")
    except ValueError:
        raise AshIdError(f"ash id {ash_id!r} holds an impossible date") from None
    return moment, match.group("name")


def ash_id_problem(text: str) -> str | None:
    """None for a valid ash id, else one line saying why it is refused."""
    try:
        parse_ash_id(text)
    except AshIdError as exc:
        return str(exc)
    return None
