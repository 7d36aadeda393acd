"""Numbers, dates and coordinates as each locale writes them (Babel), with WIB/WITA/WIT."""

from __future__ import annotations

import gettext
from datetime import datetime, timedelta

from babel.dates import format_datetime
from babel.numbers import format_decimal

from realtime.earthquake.fatalities import population_rounding

ZONE_ABBREVIATIONS = {"Asia/Jakarta": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT"}


def people(value: float, locale: str) -> str:
    """People counts as shown in tables: whole numbers with the locale's separators."""
    return format_decimal(round(value), locale=locale)


def number(value: float, locale: str, digits: int = 1) -> str:
    return format_decimal(round(value, digits), format=f"#,##0.{'0' * digits}" if digits else "#,##0", locale=locale)


def display_people(value: float, locale: str) -> str:
    """Exposure as shown to a reader: rounded up as InaSAFE displays population."""
    return format_decimal(population_rounding(value) if value >= 0.5 else 0, locale=locale)


def local_time(moment: datetime, timezone: str, locale: str) -> str:
    zone = ZONE_ABBREVIATIONS.get(timezone, moment.strftime("%Z") or "UTC")
    return f"{format_datetime(moment, 'd MMMM yyyy HH:mm:ss', locale=locale)} {zone}"


def dms(value: float, positive: str, negative: str) -> str:
    """Degrees, minutes, seconds with a hemisphere letter: 1°20'24\"N."""
    hemisphere = positive if value >= 0 else negative
    seconds_total = round(abs(value) * 3600)
    degrees, rest = divmod(seconds_total, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{degrees}°{minutes:02d}′{seconds:02d}″{hemisphere}"


def elapsed(delta: timedelta, translations: gettext.NullTranslations) -> str:
    """Time since the event in words, e.g. '2 hours 5 minutes'."""
    ngettext = translations.ngettext
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 60:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return (ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}) + " " + (
            ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
        )
    days = hours // 24
    if days < 14:
        return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    weeks, days = divmod(days, 7)
    return (ngettext("%(n)d week", "%(n)d weeks", weeks) % {"n": weeks}) + " " + (
        ngettext("%(n)d day", "%(n)d days", days) % {"n": days}
    )
