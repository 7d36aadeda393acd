"""The earthquake list's filters, read from and written back to the query string (shareable, back button).

Names match the feeds' (?min_magnitude= ?days= ?min_alert=) plus ?felt=1. A bad value is reported on the
page, by field, in the reader's language; it never falls back silently to "everything".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import timedelta

from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, gettext_lazy as _

from events.models import ALERT_LEVELS

MAX_DAYS = 36500
PERIODS = (("1", _("Last 24 hours")), ("7", _("Last 7 days")), ("30", _("Last 30 days")))
FELT_CLASSES = ("III", "IV", "V", "VI", "VII", "VIII", "IX", "X")
FELT_VALUES = {"1": True, "on": True, "true": True, "yes": True, "": False, "0": False, "false": False, "no": False}

# The shortcuts a duty officer uses most; "Recent large" is USGS's "significant" idea, simplified.
RECENT_LARGE = {"min_magnitude": "5", "days": "7"}
FELT = {"felt": "1"}


@dataclass
class ListFilter:
    """The valid filters of one request, and a message per bad one."""

    min_magnitude: float | None = None
    days: float | None = None  # None: all time
    min_alert: str | None = None
    felt: bool = False
    errors: list[str] = field(default_factory=list)

    def params(self) -> dict[str, str]:
        """The filters as canonical query parameters (only those set)."""
        values = {
            "min_magnitude": _plain(self.min_magnitude),
            "days": _plain(self.days),
            "min_alert": self.min_alert or "",
            "felt": "1" if self.felt else "",
        }
        return {name: value for name, value in values.items() if value}

    @property
    def query(self) -> str:
        """'min_magnitude=5&days=7&', ready to be followed by 'page=2' (empty without filters)."""
        params = self.params()
        return urlencode(params) + "&" if params else ""

    @property
    def active(self) -> bool:
        return bool(self.params())

    @property
    def is_recent_large(self) -> bool:
        return self.params() == RECENT_LARGE

    @property
    def is_felt(self) -> bool:
        return self.params() == FELT

    @property
    def period_choices(self) -> list[tuple[str, str]]:
        """The period menu, with the URL's own number of days added when it is not one of the menu's."""
        choices = [(value, str(label)) for value, label in PERIODS]
        days = _plain(self.days)
        if days and days not in dict(choices):
            choices.append((days, gettext("Last %(days)s days") % {"days": days}))
        return choices

    def apply(self, queryset: QuerySet) -> QuerySet:
        if self.min_magnitude is not None:
            queryset = queryset.filter(magnitude__gte=self.min_magnitude)
        if self.days is not None:
            queryset = queryset.filter(time__gte=timezone.now() - timedelta(days=self.days))
        if self.min_alert is not None:
            queryset = queryset.filter(impact__fatalities__alert__in=ALERT_LEVELS[ALERT_LEVELS.index(self.min_alert):])
        if self.felt:
            queryset = queryset.filter(felt_query())
        return queryset


def felt_query() -> Q:
    """Felt: BMKG's flag (the processor pushes False today), or the analysis puts at least one person at MMI III
    or more, shaking "felt quite noticeably indoors" (II is felt by a few at rest and covers whole grids)."""
    query = Q(felt=True)
    for roman in FELT_CLASSES:
        query |= Q(**{f"impact__exposure__{roman}__gte": 1})
    return query


def _plain(value: float | None) -> str:
    """5.0 -> '5', 4.5 -> '4.5', None -> ''."""
    return "" if value is None else f"{value:g}"


def _number(params: QueryDict, name: str, low: float, high: float, low_open: bool, problems: list[str],
            message: str) -> float | None:
    text = params.get(name, "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    inside = (low < value if low_open else low <= value) and value <= high  # False for NaN
    if not inside:
        problems.append(message % {"value": text[:20]})
        return None
    return value


def parse_filter(params: QueryDict) -> ListFilter:
    """Read the filters; every bad one adds a sentence to .errors."""
    problems: list[str] = []
    min_magnitude = _number(params, "min_magnitude", 0, 10, False, problems,
                            gettext("Magnitude: “%(value)s” is not a number from 0 to 10."))
    days = _number(params, "days", 0, MAX_DAYS, True, problems,
                   gettext("Period: “%(value)s” is not a number of days above 0."))
    min_alert = params.get("min_alert", "").strip().lower() or None
    if min_alert is not None and min_alert not in ALERT_LEVELS:
        problems.append(gettext("Alert level: “%(value)s” is not green, yellow, orange or red.")
                        % {"value": min_alert[:20]})
        min_alert = None
    felt_text = params.get("felt", "").strip().lower()
    if felt_text not in FELT_VALUES:
        problems.append(gettext("Felt: “%(value)s” is not 1 or 0.") % {"value": felt_text[:20]})
    return ListFilter(min_magnitude, days, min_alert, FELT_VALUES.get(felt_text, False), problems)
