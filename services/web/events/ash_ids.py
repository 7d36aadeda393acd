"""Ash events in URLs: `ash/<volcano>/<event time %Y%m%d%H%M%S%z>/`, as InaSAFE Django named them.

The URL names an event by its volcano and its time with the offset it was given in; the row is found by the
ash id those make (realtime.ids: `YYYYmmddHHMM+zzzz_<Volcano>`) and the exact time. Names are ASCII letters,
digits, spaces, '_' and '-' (spaces and '_' are one: the id writes spaces as '_'); times are ASCII digits.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from django.urls import register_converter

from realtime.ids import ash_id_problem, parse_ash_id

VOLCANO_NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9 _-]{0,63}"
ASH_TIME_PATTERN = r"[0-9]{14}[+-][0-9]{4}"
ASH_TIME_FORMAT = "%Y%m%d%H%M%S%z"
# The zone strings of the upload form, and the offsets they stand for (Indonesia's three zones, and UTC).
ZONE_OFFSETS = {"WIB": 7, "WITA": 8, "WIT": 9, "UTC": 0}
IANA_ZONES = {"Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT",
              "UTC": "UTC", "Etc/UTC": "UTC"}


class AshKeyError(ValueError):
    """A volcano name or event time that cannot name an ash event."""


def ash_id_for(volcano_name: str, moment: datetime) -> str:
    """'201702211904+0700_Merapi': the time in its own offset, then the name with '_' for spaces."""
    if moment.utcoffset() is None:
        raise AshKeyError("the event time needs a UTC offset, e.g. +07:00")
    text = f"{moment:%Y%m%d%H%M%z}_{'_'.join(str(volcano_name).split())}"
    if problem := ash_id_problem(text):
        raise AshKeyError(problem)
    return text


def parse_ash_time(text: str) -> datetime:
    """An event time from a URL (20170221190400+0700); AshKeyError for an impossible one."""
    if not re.fullmatch(ASH_TIME_PATTERN, text):
        raise AshKeyError(f"not an event time: {text[:30]!r}; expected YYYYmmddHHMMSS+zzzz in ASCII digits")
    if int(text[15:17]) > 14 or int(text[17:19]) > 59:
        raise AshKeyError(f"event time {text!r} holds an impossible UTC offset")
    try:
        return datetime.strptime(text, ASH_TIME_FORMAT)
    except ValueError:
        raise AshKeyError(f"event time {text!r} holds an impossible date") from None


def ash_offset(ash_id: str) -> timezone:
    """The fixed offset the event was named in, as kept in its ash id."""
    return timezone(parse_ash_id(ash_id)[0].utcoffset())


def url_time(ash_id: str, event_time: datetime) -> str:
    """The URL's time part: the stored (UTC) time on the clock of the offset kept in the ash id."""
    return f"{event_time.astimezone(ash_offset(ash_id)):{ASH_TIME_FORMAT}}"


def zone_string(moment: datetime, given: str = "") -> str:
    """WIB, WITA, WIT or UTC for the form's and the processor's zone names; else the offset, e.g. UTC+05:30."""
    given = (given or "").strip()
    if given in IANA_ZONES:
        return IANA_ZONES[given]
    if given.upper() in ZONE_OFFSETS and moment.utcoffset() == timedelta(hours=ZONE_OFFSETS[given.upper()]):
        return given.upper()
    for name, hours in ZONE_OFFSETS.items():
        if moment.utcoffset() == timedelta(hours=hours):
            return name
    offset = f"{moment:%z}"
    return f"UTC{offset[:3]}:{offset[3:]}"


class VolcanoNameConverter:
    regex = VOLCANO_NAME_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class AshTimeConverter(VolcanoNameConverter):
    regex = ASH_TIME_PATTERN


register_converter(VolcanoNameConverter, "volcano_name")
register_converter(AshTimeConverter, "ash_time")
