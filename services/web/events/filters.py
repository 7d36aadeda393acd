"""Query-string filters of the list endpoints (the legacy API's names); a bad value is a 400, not an empty list."""

from __future__ import annotations

import math
from datetime import datetime, time, timedelta
from datetime import timezone as dt_timezone

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError

from events.ids import flood_id_problem


def _number(params, name: str) -> float | None:
    text = params.get(name)
    if text in (None, ""):
        return None
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise ValidationError({name: [f"{text[:40]!r} is not a number"]})
    return value


def _moment(params, name: str):
    text = params.get(name)
    if text in (None, ""):
        return None
    try:
        moment = parse_datetime(text)
        if moment is None and (day := parse_date(text)) is not None:
            moment = datetime.combine(day, time.min)
    except ValueError:  # well formed but impossible, e.g. month 13
        moment = None
    if moment is None:
        raise ValidationError({name: [f"{text[:40]!r} is not an ISO date or date-time"]})
    return moment if timezone.is_aware(moment) else moment.replace(tzinfo=dt_timezone.utc)


def _bbox(params) -> tuple[float, ...] | None:
    text = params.get("in_bbox")
    if text in (None, ""):
        return None
    try:
        box = tuple(float(part) for part in text.split(","))
    except ValueError:
        box = ()
    if len(box) != 4 or not all(math.isfinite(v) for v in box) or box[0] > box[2] or box[1] > box[3]:
        raise ValidationError({"in_bbox": ["expected min_lon,min_lat,max_lon,max_lat"]})
    return box


def filter_earthquakes(queryset: QuerySet, params) -> QuerySet:
    lookups = {
        "depth__gte": _number(params, "min_depth"),
        "depth__lte": _number(params, "max_depth"),
        "magnitude__gte": _number(params, "min_magnitude"),
        "magnitude__lte": _number(params, "max_magnitude"),
        "time__gte": _moment(params, "min_time"),
        "time__lte": _moment(params, "max_time"),
    }
    for name, unit in (("since_last_days", "days"), ("since_last_hours", "hours")):
        amount = _number(params, name)
        if amount is not None:
            if not 0 <= amount <= 36500 * (24 if unit == "hours" else 1):
                raise ValidationError({name: ["must be between 0 and 100 years"]})
            since = timezone.now() - timedelta(**{unit: amount})
            lookups["time__gte"] = max(filter(None, (lookups["time__gte"], since)))
    if description := params.get("location_description"):
        lookups["location_description__icontains"] = description
    if box := _bbox(params):
        lookups.update(longitude__gte=box[0], latitude__gte=box[1], longitude__lte=box[2], latitude__lte=box[3])
    return queryset.filter(**{key: value for key, value in lookups.items() if value is not None})


def filter_floods(queryset: QuerySet, params) -> QuerySet:
    if event_id := params.get("event_id"):
        if problem := flood_id_problem(event_id):
            raise ValidationError({"event_id": [problem]})
        queryset = queryset.filter(event_id=event_id)
    interval = _number(params, "interval")
    if interval is not None:
        if interval != int(interval):
            raise ValidationError({"interval": ["must be a whole number of hours"]})
        queryset = queryset.filter(interval=int(interval))
    return queryset


def _query(name: str, kind, description: str) -> OpenApiParameter:
    return OpenApiParameter(name, kind, OpenApiParameter.QUERY, required=False, description=description)


EARTHQUAKE_PARAMETERS = [
    _query("min_depth", OpenApiTypes.NUMBER, "Shallowest hypocentre depth, in km."),
    _query("max_depth", OpenApiTypes.NUMBER, "Deepest hypocentre depth, in km."),
    _query("min_magnitude", OpenApiTypes.NUMBER, "Smallest magnitude, e.g. 5."),
    _query("max_magnitude", OpenApiTypes.NUMBER, "Largest magnitude."),
    _query("min_time", OpenApiTypes.DATETIME, "Earliest origin time, ISO 8601 (a date or a date-time; without an "
                                              "offset it is UTC), e.g. 2018-02-20T00:00+07:00."),
    _query("max_time", OpenApiTypes.DATETIME, "Latest origin time, ISO 8601 as for min_time."),
    _query("since_last_days", OpenApiTypes.NUMBER, "Only earthquakes of the last N days (0 to 36500)."),
    _query("since_last_hours", OpenApiTypes.NUMBER, "Only earthquakes of the last N hours."),
    _query("location_description", OpenApiTypes.STR, "A part of BMKG's place name, any case, e.g. Sulawesi."),
    _query("in_bbox", OpenApiTypes.STR, "Epicentres inside min_lon,min_lat,max_lon,max_lat (WGS 84 degrees), "
                                        "e.g. 118.7,-6.2,125.4,2.1."),
]
FLOOD_PARAMETERS = [
    _query("event_id", OpenApiTypes.STR, "One flood by its id, e.g. 2017022105-6-rw."),
    _query("interval", OpenApiTypes.INT, "Hours the report covers: 1, 3 or 6."),
]
