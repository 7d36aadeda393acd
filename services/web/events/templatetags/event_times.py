"""Times on the earthquake pages: on the epicentre's clock (WIB/WITA/WIT, see events.local_time) and in UTC."""

from __future__ import annotations

from datetime import datetime, timezone as dt_timezone

from django import template
from django.utils import formats, timezone

from events.local_time import local

register = template.Library()

FORMAT = "j M Y H:i"  # '20 Feb 2018 17:29', month name in the current language


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value, dt_timezone.utc) if timezone.is_naive(value) else value


@register.filter
def local_time(value, longitude=None) -> str:
    """'20 Feb 2018 17:29 WITA': the moment on the clock of the epicentre at this longitude."""
    if not isinstance(value, datetime):
        return ""
    moment, abbreviation = local(_aware(value), longitude)
    return f"{formats.date_format(moment, FORMAT)} {abbreviation}"


@register.filter
def local_iso(value, longitude=None) -> str:
    """The same moment as ISO 8601 with the zone's offset, for <time datetime>."""
    if not isinstance(value, datetime):
        return ""
    return local(_aware(value), longitude)[0].isoformat()


@register.filter
def utc_time(value) -> str:
    """'20 Feb 2018 09:29 UTC'."""
    if not isinstance(value, datetime):
        return ""
    return f"{formats.date_format(_aware(value).astimezone(dt_timezone.utc), FORMAT)} UTC"
