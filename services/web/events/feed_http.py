"""What every public feed shares: its query parameters, the published versions they select, conditional GET.

Feed readers poll every minute or so; most polls must cost one aggregate query and answer 304. The validators
come from the filtered queryset itself (newest stamp, row count, report count) plus the parameters, so a new
version, a replaced report or a different `?lang=` gives a new ETag without rendering the feed.

Use:
    @feed_view
    def my_feed(request, params: FeedParams):
        rows = params.quakes()  # or params.floods(), params.ashes(), or params.filter(queryset)
        return serve_feed(request, rows, params, render=lambda items, updated: HttpResponse(...))

`?min_alert=` and `?min_magnitude=` apply to earthquakes only; floods and ash falls are filtered by `?days=` alone
(an ash fall's time is its eruption's, Ash.event_time).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import wraps
from typing import Callable

from django.db.models import Count, Max, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.http import http_date, quote_etag
from django.views.decorators.http import require_safe

from rest_framework.exceptions import ValidationError

from events.filters import _number as api_number
from events.models import ALERT_LEVELS, Ash, Earthquake, Flood

DEFAULT_DAYS = 30
MAX_DAYS = 365
MAX_AGE_SECONDS = 60  # feeds change when a version is published; a minute is what USGS readers expect
FEED_LANGUAGES = ("en", "id")
MAX_ITEMS = 500  # newest first; a year of BMKG events would be megabytes of Atom


class FeedParamError(ValueError):
    """A query parameter a feed cannot honour; answered 400 with this one-line message."""


@dataclass(frozen=True)
class FeedParams:
    """The validated `?min_alert=`, `?min_magnitude=`, `?days=` and `?lang=` of one feed request."""

    min_alert: str | None = None
    min_magnitude: float | None = None
    days: float = DEFAULT_DAYS
    language: str = "en"
    query: str = ""  # the canonical query string, part of the ETag

    @property
    def since(self) -> datetime:
        return timezone.now() - timedelta(days=self.days)

    def filter(self, queryset: QuerySet) -> QuerySet:
        """Published versions of the model within the window, newest first; alert/magnitude for quakes only."""
        time = "event_time" if queryset.model is Ash else "time"
        queryset = queryset.filter(published_at__isnull=False, **{f"{time}__gte": self.since})
        if queryset.model is Earthquake:
            if self.min_magnitude is not None:
                queryset = queryset.filter(magnitude__gte=self.min_magnitude)
            if self.min_alert is not None:
                levels = ALERT_LEVELS[ALERT_LEVELS.index(self.min_alert):]
                queryset = queryset.filter(impact__fatalities__alert__in=levels)
        return queryset.order_by(f"-{time}", "-published_at", "-pk")

    def quakes(self) -> QuerySet:
        return self.filter(Earthquake.objects.all())

    def floods(self) -> QuerySet:
        return self.filter(Flood.objects.all())

    def ashes(self) -> QuerySet:
        return self.filter(Ash.objects.select_related("volcano"))


def _finite(request: HttpRequest, name: str) -> float | None:
    """The API's number parsing (events.filters), its 400 told as one line."""
    try:
        return api_number(request.GET, name)
    except ValidationError as error:
        raise FeedParamError(f"{name}: {error.detail[name][0]}") from None


def parse_feed_params(request: HttpRequest) -> FeedParams:
    """Validate the common parameters; raises FeedParamError naming the first bad one."""
    min_alert = request.GET.get("min_alert", "").strip().lower() or None
    if min_alert is not None and min_alert not in ALERT_LEVELS:
        raise FeedParamError(f"min_alert: {min_alert[:40]!r} is not one of {', '.join(ALERT_LEVELS)}")
    min_magnitude = _finite(request, "min_magnitude")
    days = _finite(request, "days")
    if days is None:
        days = DEFAULT_DAYS
    elif not 0 < days <= MAX_DAYS:
        raise FeedParamError(f"days: must be more than 0 and at most {MAX_DAYS}")
    language = request.GET.get("lang", "").strip().lower() or "en"
    if language not in FEED_LANGUAGES:
        raise FeedParamError(f"lang: {language[:40]!r} is not one of {', '.join(FEED_LANGUAGES)}")
    query = f"min_alert={min_alert or ''}&min_magnitude={min_magnitude if min_magnitude is not None else ''}" \
            f"&days={days:g}&lang={language}"
    return FeedParams(min_alert, min_magnitude, days, language, query)


def feed_view(view: Callable[..., HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    """Give the view validated FeedParams; a bad parameter is a plain-text 400, never an empty feed.
    Feeds are read-only: anything but GET/HEAD is a 405."""

    @require_safe
    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            params = parse_feed_params(request)
        except FeedParamError as error:
            return HttpResponseBadRequest(f"{error}\n", content_type="text/plain; charset=utf-8")
        return view(request, params, *args, **kwargs)

    return wrapper


@dataclass(frozen=True)
class Validators:
    etag: str  # weak (W/"…"): equal data, but a body may differ in its render time (GeoJSON `generated`)
    last_modified: datetime | None  # newest published_at (or row change), None for an empty feed


def feed_validators(queryset: QuerySet, params: FeedParams, kind: str) -> Validators:
    """ETag and Last-Modified from one aggregate query over the filtered rows."""
    stamps = {"stamp_published": Max("published_at"), "stamp_rows": Count("pk", distinct=True),
              "stamp_reports": Count("reports", distinct=True), "stamp_report_max": Max("reports__pk")}
    if any(f.name == "generated_time" for f in queryset.model._meta.get_fields()):
        stamps["stamp_changed"] = Max("generated_time")
    values = queryset.order_by().aggregate(**stamps)
    moments = [v for k, v in values.items() if k in ("stamp_published", "stamp_changed") and v is not None]
    last_modified = max(moments) if moments else None
    text = "|".join([kind, params.query] + [f"{k}={values[k]}" for k in sorted(values)])
    return Validators("W/" + quote_etag(hashlib.sha256(text.encode()).hexdigest()[:32]), last_modified)


def _stamp(response: HttpResponse, validators: Validators, language: str) -> HttpResponse:
    response["ETag"] = validators.etag
    response["Content-Language"] = language  # the feed's ?lang=, not the browser's (LocaleMiddleware keeps it)
    if validators.last_modified is not None:
        response["Last-Modified"] = http_date(validators.last_modified.timestamp())
    patch_cache_control(response, public=True, max_age=MAX_AGE_SECONDS)
    return response


def serve_feed(request: HttpRequest, queryset: QuerySet, params: FeedParams, kind: str,
               render: Callable[[list, datetime | None], HttpResponse]) -> HttpResponse:
    """304 when the reader's ETag / date still match, else render(rows, last_modified) with the validators.

    `rows` are the newest MAX_ITEMS of the queryset, their reports prefetched.
    `kind` names the feed (e.g. "earthquakes.atom") so two feeds over the same rows never share an ETag.
    """
    validators = feed_validators(queryset, params, kind)
    last_modified = validators.last_modified
    not_modified = get_conditional_response(
        request, etag=validators.etag,
        last_modified=int(last_modified.timestamp()) if last_modified is not None else None)
    if not_modified is not None:
        return _stamp(not_modified, validators, params.language)
    rows = list(queryset.prefetch_related("reports")[:MAX_ITEMS])
    return _stamp(render(rows, last_modified), validators, params.language)
