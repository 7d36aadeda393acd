"""Flood event ids: ``YYYYMMDDHH-<duration>-<level>`` with the UTC hour."""

from __future__ import annotations

import re
from datetime import datetime, timezone

DURATIONS = (1, 3, 6)
LEVELS = ("subdistrict", "village", "rw")
FLOOD_ID = re.compile(r"(?P<stamp>[0-9]{10})-(?P<duration>[136])-(?P<level>subdistrict|village|rw)")


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
    match = FLOOD_ID.fullmatch(flood_id) if isinstance(flood_id, str) else None
    if not match:
        raise FloodIdError(f"flood id {str(flood_id)[:40]!r} is not YYYYMMDDHH-<1|3|6>-<subdistrict|village|rw>")
    try:
        moment = datetime.strptime(match.group("stamp"), "%Y%m%d%H").replace(tzinfo=timezone.utc)
    except ValueError:
        raise FloodIdError(f"flood id {flood_id!r} holds an impossible date") from None
    return moment, int(match.group("duration")), match.group("level")
