"""Who hears about which version: the rules every channel (email, webhook) applies, in one place.

A version is announced at most once per recipient (the Delivery unique constraints), never when it is older
than NOTIFY_MAX_AGE_HOURS (reprocessing the archive spams nobody, as PAGER never mails >8 h after origin),
and a corrected map only when its alert level or fatality range differs from the initial one.

A version compared with the one before it (a correction, the next flood report) whose earlier version cannot be
read is treated as having no comparable one: it goes out as a first version would, with one WARNING naming both
versions and the key. The unreadable one already had its ERROR line; it must never silence a good one.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, TypeVar

from django.conf import settings
from django.utils import timezone

from events.models import Flood
from events.summary import (FloodSummary, QuakeSummary, UnreadableImpact, alert_rank, earlier_versions,
                            flood_summary, quake_name, quake_summary)

logger = logging.getLogger(__name__)
S = TypeVar("S")
JAKARTA = (106.85, -6.2)  # where every flood report is, for a subscriber's bounding box


def too_old(origin: datetime, now: datetime | None = None) -> bool:
    return (now or timezone.now()) - origin > timedelta(hours=settings.NOTIFY_MAX_AGE_HOURS)


def quake_skip_reason(summary: QuakeSummary, now: datetime | None = None) -> str | None:
    """Why nobody is told about this version, or None when it goes out."""
    if summary.published_at is None:
        return "not complete yet (no impact)"
    if too_old(summary.time, now):
        return f"older than {settings.NOTIFY_MAX_AGE_HOURS:g} h"
    if summary.is_update and (earlier := earlier_versions(summary.event)):
        before = told_before(quake_summary, earlier[-1], quake_name, summary.event)  # the last told, not the first
        if before and (before.alert, before.fatalities_range) == (summary.alert, summary.fatalities_range):
            return "corrected map with the same alert level and fatality range as the version before it"
    return None


def flood_name(flood: Flood) -> str:
    return f"flood {flood.event_id}"


def told_before(summarise: Callable[[object], S], previous, name: Callable[[object], str], event) -> S | None:
    """The summary of the version `event` is compared with; None (no comparable version) when it is unreadable."""
    try:
        return summarise(previous)
    except UnreadableImpact as error:  # its ERROR line is logged by events.summary
        logger.warning("%s: the version before it, %s, cannot be read (%s): told as a first version",
                       name(event), name(previous), error)
        return None


def flood_skip_reason(summary: FloodSummary, now: datetime | None = None) -> str | None:
    """Floods are requested every hour: only a report with flooding that differs from the last one goes out."""
    if summary.published_at is None:
        return "not complete yet (no impact)"
    if too_old(summary.time, now):
        return f"older than {settings.NOTIFY_MAX_AGE_HOURS:g} h"
    if not summary.flooded_rw and not summary.caution_rw:
        return "no RW flooded or to watch"
    previous = (Flood.objects.filter(published_at__isnull=False, time__lt=summary.time)
                .exclude(pk=summary.event.pk).order_by("-time").first())
    if previous is not None and (before := told_before(flood_summary, previous, flood_name, summary.event)):
        if (before.flooded_rw, before.caution_rw, before.affected) == \
                (summary.flooded_rw, summary.caution_rw, summary.affected):
            return "the same flooding as the report before it"
    return None


def in_box(recipient, longitude: float, latitude: float) -> bool:
    """True with no box; a box may cross the antimeridian (west > east)."""
    box = (recipient.bbox_west, recipient.bbox_south, recipient.bbox_east, recipient.bbox_north)
    if any(v is None for v in box):
        return True
    west, south, east, north = box
    inside_lon = west <= longitude <= east if west <= east else (longitude >= west or longitude <= east)
    return inside_lon and south <= latitude <= north


def wants_quake(recipient, summary: QuakeSummary) -> bool:
    """A subscriber or webhook's own thresholds (webhooks have no magnitude or box: their defaults pass)."""
    if not recipient.earthquakes or alert_rank(summary.alert) < alert_rank(recipient.min_alert):
        return False
    if summary.magnitude < getattr(recipient, "min_magnitude", 0):
        return False
    return in_box(recipient, summary.longitude, summary.latitude) if hasattr(recipient, "bbox_west") else True


def wants_flood(recipient, summary: FloodSummary) -> bool:
    if not recipient.floods:
        return False
    return in_box(recipient, *JAKARTA) if hasattr(recipient, "bbox_west") else True
