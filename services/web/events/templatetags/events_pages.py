"""Filters and tags for the public pages: WIB times, localised numbers, processor status."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from django import template
from django.conf import settings
from django.utils import formats, timezone

from events.processor_status import processor_state

register = template.Library()


def display_zone() -> ZoneInfo:
    return ZoneInfo(getattr(settings, "DISPLAY_TIME_ZONE", "Asia/Jakarta"))


@register.filter
def wib(value) -> str:
    """A datetime in Western Indonesian Time: '20 Feb 2018 16:29 WIB' (month name in the current language)."""
    if not value:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    local = value.astimezone(display_zone())
    return f"{formats.date_format(local, 'j M Y H:i')} WIB"


@register.filter
def wib_iso(value) -> str:
    """The same moment as an ISO 8601 string in WIB, for <time datetime>."""
    if not value:
        return ""
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_default_timezone())
    return value.astimezone(display_zone()).isoformat()


@register.filter
def number(value, decimals=0) -> str:
    """A number with the current language's separators (1,234.5 in English, 1.234,5 in Indonesian)."""
    if value is None or value == "":
        return "–"
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    decimals = int(decimals)
    value = round(value, decimals)  # rounded as the reports round (Django's number_format would cut 18.806 to 18.80)
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@register.inclusion_tag("events/_processor_status.html")
def processor_status() -> dict:
    status = processor_state()
    return {"state": status.state, "last_answer": status.last_answer}
