"""Ash under /realtime/api/v1/: the legacy contract's paths (docs/reference/ash.md §2), on the shared bases.

`ash/<volcano>/<event time %Y%m%d%H%M%S%z>/` names an event; its reports are `ash-report/.../<lang>/`.
The processor pushes the event, then each language's report, then its impact (which publishes it).
"""

from __future__ import annotations

from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import generics
from rest_framework.permissions import AllowAny
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from events.api_views import (GuardedBodyMixin, PartialPutMixin, PublishMixin, ReportDetailBase, ReportListBase,
                              delete_event_files)
from events.ash_ids import AshKeyError, ash_id_for, ash_offset, parse_ash_time
from events.ash_serializers import AshReportSerializer, AshSerializer, VolcanoSerializer, ash_url_kwargs
from events.models import Ash, AshReport, Volcano, mark_published


class AshPublishMixin(PublishMixin):
    """Stamps published_at when the impact arrives, as for the other hazards, but plans no notifications:
    events.dispatch.plan knows earthquakes and floods only (it would read an ash pk as a flood's)."""

    @staticmethod
    def _publish(instance) -> None:
        mark_published(instance)


def ash_key(kwargs: dict) -> dict:
    """The row filter for a URL's volcano and time; a 404 for a time or name that names no event."""
    try:
        moment = parse_ash_time(kwargs["event_time"])
        return {"ash_id": ash_id_for(kwargs["volcano_name"], moment), "event_time": moment}
    except AshKeyError as exc:
        raise Http404(str(exc)) from None


@extend_schema_view(get=extend_schema(summary="List ash-fall events, newest first"),
                    post=extend_schema(summary="Create an ash-fall event (processor or staff)"))
class AshList(GuardedBodyMixin, AshPublishMixin, generics.ListCreateAPIView):
    """Volcanic ash-fall forecasts, newest first, 100 a page: volcano, alert level, eruption height, reports.

    POST creates an event from `volcano_name` and `event_time` (ISO 8601 with its UTC offset); the ash id
    `YYYYmmddHHMM+zzzz_<Volcano>` is derived from them. The upload page, not this, queues the processing.
    """

    queryset = Ash.objects.select_related("volcano").prefetch_related("reports")
    serializer_class = AshSerializer


@extend_schema_view(
    get=extend_schema(summary="Read one ash-fall event"),
    put=extend_schema(summary="Update an ash-fall event (processor; only the fields sent)"),
    patch=extend_schema(summary="Update an ash-fall event (processor; only the fields sent)"),
    delete=extend_schema(summary="Delete an ash-fall event, its reports and its files"),
)
class AshDetail(GuardedBodyMixin, AshPublishMixin, PartialPutMixin, generics.RetrieveUpdateDestroyAPIView):
    """One ash-fall event by volcano and event time (`20170221190400+0700`, the offset it was named in)."""

    queryset = Ash.objects.select_related("volcano").prefetch_related("reports")
    serializer_class = AshSerializer

    def get_object(self):
        ash = get_object_or_404(self.get_queryset(), **ash_key(self.kwargs))
        self.check_object_permissions(self.request, ash)
        return ash

    def perform_destroy(self, ash):
        delete_event_files(ash, "hazard_file")
        ash.delete()


class AshReportMixin:
    queryset = AshReport.objects.select_related("ash")
    serializer_class = AshReportSerializer
    parent_field = "ash"

    def parent_filter(self) -> dict:
        return {f"ash__{key}": value for key, value in ash_key(self.kwargs).items()}

    def get_parent(self):
        return get_object_or_404(Ash, **ash_key(self.kwargs))


@extend_schema_view(get=extend_schema(summary="List the reports of an ash-fall event"),
                    post=extend_schema(summary="Add a language's report (processor)"))
class AshReportList(AshReportMixin, ReportListBase):
    """The reports of one ash-fall event, one per language (en, id): PDF, page image and thumbnail.

    POST for a language that already has a report is a 400 carrying that report; PUT its URL to replace it.
    """


@extend_schema_view(get=extend_schema(summary="Read one language's ash report"),
                    put=extend_schema(summary="Replace a report's files (processor)"),
                    patch=extend_schema(summary="Replace a report's files (processor)"),
                    delete=extend_schema(summary="Delete a report and its files (processor)"))
class AshReportDetail(AshReportMixin, ReportDetailBase):
    """One language's report of an ash-fall event."""


def ash_position(ash: Ash) -> tuple[float, float] | None:
    """(longitude, latitude) of the volcano: its row, else the processor's impact.json."""
    if ash.volcano is not None:
        return ash.volcano.longitude, ash.volcano.latitude
    volcano = (ash.impact or {}).get("volcano") if isinstance(ash.impact, dict) else None
    if isinstance(volcano, dict):
        lon, lat = volcano.get("longitude"), volcano.get("latitude")
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (lon, lat)):
            return float(lon), float(lat)
    return None


class AshFeature(APIView):
    """Every ash-fall event as a GeoJSON point at its volcano, newest first (events with no known position
    are left out)."""

    permission_classes = [AllowAny]

    @extend_schema(summary="Ash-fall events as GeoJSON (the volcano's point)",
                   responses={(200, "application/geo+json"): OpenApiTypes.OBJECT})
    def get(self, request):
        features = []
        for ash in Ash.objects.select_related("volcano"):
            position = ash_position(ash)
            if position is None:
                continue
            summary = (ash.impact or {}).get("summary") if isinstance(ash.impact, dict) else None
            features.append({"type": "Feature", "id": ash.ash_id,
                             "geometry": {"type": "Point", "coordinates": list(position)},
                             "properties": {
                                 "ash_id": ash.ash_id, "volcano_name": ash.volcano_name,
                                 "alert_level": ash.alert_level,
                                 "event_time": ash.event_time.astimezone(ash_offset(ash.ash_id)).isoformat(),
                                 "eruption_height": ash.eruption_height, "forecast_duration": ash.forecast_duration,
                                 "task_status": ash.task_status,
                                 "published_at": ash.published_at.isoformat() if ash.published_at else None,
                                 "summary": summary if isinstance(summary, dict) else None,
                                 "url": reverse("api:ash-detail", kwargs=ash_url_kwargs(ash), request=request)}})
        return JsonResponse({"type": "FeatureCollection", "features": features},
                            content_type="application/geo+json")


@extend_schema_view(get=extend_schema(summary="List the volcanoes the upload page offers"))
class VolcanoList(generics.ListAPIView):
    """Every volcano in the table (`manage.py loadvolcanoes`): name, GVP number, position, summit elevation."""

    queryset = Volcano.objects.all()
    serializer_class = VolcanoSerializer
    pagination_class = None
