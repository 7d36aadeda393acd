"""An eruption's metadata as the operator gives it, checked once so nothing downstream has to.

The ash id names the event folder and the web URLs, so it is built here and validated with the same
pattern the web app uses (realtime.ids).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from realtime.ash.volcanoes import Volcano
from realtime.ids import ash_id_problem

# Indonesian volcano alert levels I-IV (Permen ESDM 15/2011), lower case as the old upload form sent them.
ALERT_LEVELS: tuple[str, ...] = ("normal", "waspada", "siaga", "awas")
FORECAST_DAYS = range(1, 8)
MAX_ERUPTION_HEIGHT_M = 60_000  # above the vent: higher than any column observed (Pinatubo ~40 km)


class AshEventError(ValueError):
    """Eruption metadata that cannot describe a real event."""


@dataclass(frozen=True)
class AshEvent:
    volcano: Volcano
    time: datetime  # timezone-aware; its offset is the one written into the ash id
    eruption_height_m: float  # eruption column above the vent
    alert_level: str  # one of ALERT_LEVELS
    forecast_duration_days: int  # the forecast model's duration, 1..7
    region: str = ""  # province; the volcano's when left empty

    def __post_init__(self) -> None:
        if not isinstance(self.time, datetime) or self.time.utcoffset() is None:
            raise AshEventError("the event time must be timezone-aware (give an offset such as +07:00)")
        level = str(self.alert_level).strip().lower()
        if level not in ALERT_LEVELS:
            raise AshEventError(f"unknown alert level {str(self.alert_level)[:30]!r}; expected one of {', '.join(ALERT_LEVELS)}")
        height = float(self.eruption_height_m)
        if not math.isfinite(height) or not 0 <= height <= MAX_ERUPTION_HEIGHT_M:
            raise AshEventError(f"eruption height {self.eruption_height_m!r} m is not between 0 and {MAX_ERUPTION_HEIGHT_M} m")
        days = self.forecast_duration_days
        if isinstance(days, bool) or not isinstance(days, int) or days not in FORECAST_DAYS:
            raise AshEventError(f"forecast duration {days!r} is not a whole number of days from 1 to 7")
        object.__setattr__(self, "alert_level", level)
        object.__setattr__(self, "eruption_height_m", height)
        object.__setattr__(self, "region", self.region or self.volcano.region)
        ash_id(self)  # the volcano's name must make a valid id

    @property
    def column_height_asl_m(self) -> float:
        """Eruption column top above sea level: the height above the vent plus the summit's elevation."""
        return self.eruption_height_m + float(self.volcano.elevation_m)

    @property
    def ash_id(self) -> str:
        return ash_id(self)


def ash_id(event: AshEvent) -> str:
    """'201702211904+0700_Merapi': the event time in its own offset, then the volcano with '_' for spaces."""
    name = "_".join(event.volcano.name.split())
    text = f"{event.time:%Y%m%d%H%M%z}_{name}"
    if problem := ash_id_problem(text):
        raise AshEventError(f"volcano name {event.volcano.name[:60]!r} cannot name an event: {problem}")
    return text
