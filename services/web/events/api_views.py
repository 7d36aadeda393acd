"""REST views under /realtime/api/v1/: the legacy InaSAFE Django contract the processor pushes to.

Reads are public; writes need the model permissions of the 'Realtime REST User' group
(DjangoModelPermissionsOrAnonReadOnly). PUT is partial everywhere, because the processor's
create-or-update push (GET -> 404 -> POST, or GET -> 200 -> PUT) resends only what it has.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from events.filters import EARTHQUAKE_PARAMETERS, FLOOD_PARAMETERS, filter_earthquakes, filter_floods
from events.flood_serializers import FloodReportSerializer, FloodSerializer
from events import dispatch
from events.models import Earthquake, EarthquakeReport, Flood, FloodReport, UserPush, mark_published
from events.serializers import EarthquakeReportSerializer, EarthquakeSerializer, PushIndicatorSerializer

FLOOD_EVENT_HOURS = (23, 5, 11, 17)  # UTC hours of the legacy 6-hourly flood reports


class GuardedBodyMixin:
    """Turns Django's own body limits (too many fields or files) into 400s.

    Oversized bodies never get here: inasafe_web.middleware refuses them from their Content-Length.
    """

    def handle_exception(self, exc):
        if isinstance(exc, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
            exc = ParseError(f"request refused: {exc}")
        return super().handle_exception(exc)


class PartialPutMixin:
    """PUT updates only the fields sent (the legacy API's PUT was partial too)."""

    def put(self, request, *args, **kwargs):
        return self.partial_update(request, *args, **kwargs)


class PublishMixin:
    """The first save that brings a version's impact (pushed last) publishes it: stamp it, then, once the
    transaction commits, hand it to the notifications. Handing over only queues work: the push never waits."""

    def perform_create(self, serializer):
        super().perform_create(serializer)
        self._publish(serializer.instance)

    def perform_update(self, serializer):
        super().perform_update(serializer)
        self._publish(serializer.instance)

    @staticmethod
    def _publish(instance) -> None:
        if mark_published(instance):
            kind, pk = type(instance).__name__.lower(), instance.pk
            transaction.on_commit(lambda: dispatch.version_published(kind, pk))


def delete_event_files(event, *file_fields: str) -> None:
    """An event's and its reports' files go with it, so MEDIA_ROOT keeps no orphans."""
    for report in event.reports.all():
        report.delete_files()
    for name in file_fields:
        field = getattr(event, name)
        if field:
            field.delete(save=False)


# --- earthquakes ---------------------------------------------------------------------------------------

@extend_schema_view(
    get=extend_schema(summary="List earthquakes, newest first", parameters=EARTHQUAKE_PARAMETERS),
    post=extend_schema(summary="Create an earthquake version (processor)"),
)
class EarthquakeList(GuardedBodyMixin, PublishMixin, generics.ListCreateAPIView):
    """Earthquakes, newest first, 100 a page; filter by magnitude, depth, time, place name or bounding box.

    Every version is listed (initial and corrected maps of one quake are two items). Each item carries the
    epicentre as GeoJSON, the impact estimate (`impact`), its reports per language and download links.
    POST is the processor's: it creates a version when `earthquake/{shake_id}/{source_type}/` is a 404.
    """

    queryset = Earthquake.objects.prefetch_related("reports")
    serializer_class = EarthquakeSerializer

    def get_queryset(self):
        return filter_earthquakes(super().get_queryset(), self.request.query_params)


@extend_schema_view(get=extend_schema(operation_id="earthquake_by_shake_id_list",
                                       summary="List the versions of one earthquake"))
class EarthquakeByShakeId(generics.ListAPIView):
    """Every version (initial, corrected) published under one shake id."""

    queryset = Earthquake.objects.prefetch_related("reports")
    serializer_class = EarthquakeSerializer

    def get_queryset(self):
        return super().get_queryset().filter(shake_id=self.kwargs["shake_id"])


@extend_schema_view(
    get=extend_schema(summary="Read one earthquake version"),
    put=extend_schema(summary="Update an earthquake version (processor; only the fields sent)"),
    patch=extend_schema(summary="Update an earthquake version (processor; only the fields sent)"),
    delete=extend_schema(summary="Delete an earthquake version, its reports and its files (processor)"),
)
class EarthquakeDetail(GuardedBodyMixin, PublishMixin, PartialPutMixin, generics.RetrieveUpdateDestroyAPIView):
    """One earthquake version: magnitude, depth, time, epicentre, impact estimate, reports and downloads.

    `shake_grid` (also `shake_grid_download_url`) is BMKG's ShakeMap grid.xml the estimate was computed from;
    `mmi_layer_download_url` is the impact layers as a zip (MMI raster, contours, places). The processor
    uploads both here in one multipart PUT, before the reports; its `impact` comes last.
    """

    queryset = Earthquake.objects.prefetch_related("reports")
    serializer_class = EarthquakeSerializer

    def get_object(self):
        quake = get_object_or_404(self.get_queryset(), shake_id=self.kwargs["shake_id"],
                                  source_type=self.kwargs["source_type"])
        self.check_object_permissions(self.request, quake)
        return quake

    def perform_destroy(self, quake):
        delete_event_files(quake, "mmi_output", "shake_grid")
        quake.delete()


# --- reports (shared by both event types) --------------------------------------------------------------

class ReportListBase(GuardedBodyMixin, generics.ListCreateAPIView):
    """A language's report for one event. POST for a language that has one is a 400 carrying it: PUT replaces."""

    parent_field = ""  # the report's foreign key to its event

    def parent_filter(self) -> dict:
        raise NotImplementedError

    def get_parent(self):
        raise NotImplementedError

    def get_queryset(self):
        return super().get_queryset().filter(**self.parent_filter())

    def create(self, request, *args, **kwargs):
        parent = self.get_parent()  # 404 before looking at the body
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        language = serializer.validated_data["language"]
        existing = self.get_queryset().filter(language=language).first()
        if existing is not None:
            return Response({"language": [f"a '{language}' report exists; PUT to its url to replace it"],
                             "existing": self.get_serializer(existing).data}, status=status.HTTP_400_BAD_REQUEST)
        serializer.save(**{self.parent_field: parent})
        return Response(serializer.data, status=status.HTTP_201_CREATED)


class ReportDetailBase(GuardedBodyMixin, PartialPutMixin, generics.RetrieveUpdateDestroyAPIView):
    """PUT replaces the files sent (the old ones are deleted); DELETE removes the row and its files."""

    def parent_filter(self) -> dict:
        raise NotImplementedError

    def get_object(self):
        report = get_object_or_404(self.get_queryset(), language=self.kwargs["language"], **self.parent_filter())
        self.check_object_permissions(self.request, report)
        return report

    def perform_destroy(self, report):
        report.delete_files()
        report.delete()


class EarthquakeReportMixin:
    queryset = EarthquakeReport.objects.select_related("earthquake")
    serializer_class = EarthquakeReportSerializer
    parent_field = "earthquake"

    def parent_filter(self) -> dict:
        return {"earthquake__shake_id": self.kwargs["shake_id"], "earthquake__source_type": self.kwargs["source_type"]}

    def get_parent(self):
        return get_object_or_404(Earthquake, shake_id=self.kwargs["shake_id"], source_type=self.kwargs["source_type"])


class FloodReportMixin:
    queryset = FloodReport.objects.select_related("flood")
    serializer_class = FloodReportSerializer
    parent_field = "flood"

    def parent_filter(self) -> dict:
        return {"flood__event_id": self.kwargs["event_id"]}

    def get_parent(self):
        return get_object_or_404(Flood, event_id=self.kwargs["event_id"])


@extend_schema_view(get=extend_schema(summary="List the reports of an earthquake version"),
                    post=extend_schema(summary="Add a language's report (processor)"))
class EarthquakeReportList(EarthquakeReportMixin, ReportListBase):
    """The reports of one earthquake version, one per language (en, id): PDF, map image and thumbnail.

    POST for a language that already has a report is a 400 carrying that report; PUT its URL to replace it.
    """


@extend_schema_view(get=extend_schema(summary="Read one language's earthquake report"),
                    put=extend_schema(summary="Replace a report's files (processor)"),
                    patch=extend_schema(summary="Replace a report's files (processor)"),
                    delete=extend_schema(summary="Delete a report and its files (processor)"))
class EarthquakeReportDetail(EarthquakeReportMixin, ReportDetailBase):
    """One language's report of an earthquake version: the PDF, the map image (PNG) and its thumbnail."""


@extend_schema_view(get=extend_schema(summary="List the reports of a flood"),
                    post=extend_schema(summary="Add a language's report (processor)"))
class FloodReportList(FloodReportMixin, ReportListBase):
    """The reports of one flood event, one per language (en, id): the impact map PDF.

    POST for a language that already has a report is a 400 carrying that report; PUT its URL to replace it.
    """


@extend_schema_view(get=extend_schema(summary="Read one language's flood report"),
                    put=extend_schema(summary="Replace a report's files (processor)"),
                    patch=extend_schema(summary="Replace a report's files (processor)"),
                    delete=extend_schema(summary="Delete a report and its files (processor)"))
class FloodReportDetail(FloodReportMixin, ReportDetailBase):
    """One language's report of a flood event."""


# --- floods --------------------------------------------------------------------------------------------

@extend_schema_view(
    get=extend_schema(summary="List floods, newest first", parameters=FLOOD_PARAMETERS),
    post=extend_schema(summary="Create a flood event (processor)"),
)
class FloodList(GuardedBodyMixin, PublishMixin, generics.ListCreateAPIView):
    """Jakarta flood events, newest first, 100 a page: flooded RWs, people affected, reports and downloads.

    POST is the processor's, with the flood snapshot (`hazard_layer`) and the impact layer.
    """

    queryset = Flood.objects.defer("flood_data").prefetch_related("reports")
    serializer_class = FloodSerializer

    def get_queryset(self):
        return filter_floods(super().get_queryset(), self.request.query_params)


@extend_schema_view(get=extend_schema(summary="List the 6-hourly flood reports"))
class FloodEvents(generics.ListAPIView):
    """Floods reported at the 6-hourly times only (06, 12, 18 and 00 WIB; 23, 05, 11 and 17 UTC)."""

    queryset = Flood.objects.defer("flood_data").filter(time__hour__in=FLOOD_EVENT_HOURS).prefetch_related("reports")
    serializer_class = FloodSerializer


@extend_schema_view(
    get=extend_schema(summary="Read one flood event"),
    put=extend_schema(summary="Update a flood event (processor; must carry event_id)"),
    patch=extend_schema(summary="Update a flood event (processor; only the fields sent)"),
    delete=extend_schema(summary="Delete a flood event, its reports and its files (processor)"),
)
class FloodDetail(GuardedBodyMixin, PublishMixin, PartialPutMixin, generics.RetrieveUpdateDestroyAPIView):
    """One flood event: time, source, flooded RWs, people affected, impact estimate, reports and downloads.

    PUT must carry `event_id` (the legacy contract); a PUT for an unknown flood is a 404.
    """

    queryset = Flood.objects.prefetch_related("reports")
    serializer_class = FloodSerializer
    lookup_field = "event_id"

    def perform_destroy(self, flood):
        delete_event_files(flood, "hazard_layer", "impact_layer")
        flood.delete()


class FloodData(generics.GenericAPIView):
    """The flood snapshot as GeoJSON: the RW polygons and each one's flood `state`, as the source reported it."""

    queryset = Flood.objects.all()
    lookup_field = "event_id"

    @extend_schema(summary="Download a flood's snapshot (GeoJSON)",
                   responses={(200, "application/geo+json"): OpenApiTypes.OBJECT})
    def get(self, request, event_id: str):
        flood = self.get_object()
        if not flood.flood_data:
            return Response({"detail": f"flood {event_id} has no flood data"}, status=status.HTTP_404_NOT_FOUND)
        return HttpResponse(flood.flood_data, content_type="application/geo+json")


# --- session and push indicator ------------------------------------------------------------------------

class IsLoggedIn(APIView):
    """Whether this request is authenticated: the processor checks its session before a push."""

    permission_classes = [AllowAny]

    @extend_schema(summary="Is this request logged in?",
                   responses=inline_serializer("IsLoggedIn", {"is_logged_in": serializers.BooleanField()}))
    def get(self, request):
        return Response({"is_logged_in": bool(request.user and request.user.is_authenticated)})


class InRealtimeGroup(BasePermission):
    """Only the processor's push users (or a superuser) may record a push."""

    message = f"you must be in the group '{settings.REALTIME_GROUP}'"

    def has_permission(self, request, view):
        user = request.user
        return bool(user and user.is_authenticated and
                    (user.is_superuser or user.groups.filter(name=settings.REALTIME_GROUP).exists()))


class NotifyShakemapPush(GuardedBodyMixin, generics.GenericAPIView):
    """The processor's heartbeat: when it last saw a new ShakeMap (push users only)."""

    permission_classes = [IsAuthenticated, InRealtimeGroup]
    serializer_class = PushIndicatorSerializer

    @extend_schema(summary="Record the processor's last ShakeMap (processor)",
                   responses=inline_serializer("PushIndicatorResult", {"success": serializers.BooleanField()}))
    def post(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        UserPush.objects.update_or_create(user=request.user,
                                          defaults={"last_shakemap_push": serializer.validated_data["timestamp"]})
        return Response({"success": True})
