"""Ash serializers: the legacy contract's names (docs/reference/ash.md §2) plus what the processor pushes.

An event is named by its volcano and its time with the offset it was given in; the server derives the ash id
(`YYYYmmddHHMM+zzzz_<Volcano>`) from them, and links the Volcano row of that name when there is one.
"""

from __future__ import annotations

from datetime import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from events.ash_ids import VOLCANO_NAME_PATTERN, AshKeyError, ash_id_for, ash_offset, url_time, zone_string
from events.impact_read import ash_impact
from events.models import ASH_ALERT_LEVELS, Ash, AshReport, Volcano
from events.serializers import (CanonicalFilesMixin, FiniteFloatField, ImpactField, ReportLanguageMixin, api_url,
                                check_language, file_url)
from events.ash_raster import tiff_file
from events.uploads import pdf_file, png_file


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with its UTC offset, kept as given: the offset is part of the ash id and the URL."""

    def enforce_timezone(self, value: datetime) -> datetime:
        if value.utcoffset() is None:
            raise serializers.ValidationError("give the UTC offset, e.g. 2017-02-21T19:04:00+07:00")
        return value


def ash_url_kwargs(ash: Ash) -> dict:
    return {"volcano_name": ash.ash_id.split("_", 1)[1], "event_time": url_time(ash.ash_id, ash.event_time)}


def find_volcano(name: str) -> Volcano | None:
    """The Volcano row of that name: case and '_' for spaces ignored."""
    wanted = " ".join(name.replace("_", " ").split())
    return Volcano.objects.filter(name__iexact=wanted).first()


class VolcanoSerializer(serializers.ModelSerializer):
    location = serializers.SerializerMethodField()

    class Meta:
        model = Volcano
        fields = ["name", "gvp_number", "latitude", "longitude", "elevation_m", "region", "timezone", "source",
                  "location"]

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_location(self, volcano) -> dict:
        return {"type": "Point", "coordinates": [volcano.longitude, volcano.latitude]}


class AshReportBriefSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = AshReport
        fields = ["language", "url", "report_map", "report_image", "report_thumbnail"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, report) -> str:
        return api_url(self, "ash-report-detail", language=report.language, **ash_url_kwargs(report.ash))


class AshSerializer(CanonicalFilesMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    ash_id = serializers.CharField(max_length=120, required=False,
                                   help_text="YYYYmmddHHMM+zzzz_<Volcano>; derived from volcano_name and event_time")
    volcano_name = serializers.RegexField(rf"^{VOLCANO_NAME_PATTERN}\Z", max_length=64, trim_whitespace=False,
                                          help_text="ASCII letters, digits, spaces, '_' and '-'")
    volcano = VolcanoSerializer(read_only=True)
    event_time = AwareDateTimeField(help_text="ISO 8601 with the UTC offset the event is named in")
    event_time_zone_string = serializers.CharField(max_length=40, required=False, allow_blank=True,
                                                   help_text="WIB, WITA, WIT or UTC (an IANA zone is taken)")
    alert_level = serializers.ChoiceField(choices=ASH_ALERT_LEVELS, required=False)
    eruption_height = FiniteFloatField(min_value=0, max_value=60000, required=False, help_text="m above the vent")
    forecast_duration = serializers.IntegerField(min_value=1, max_value=7, required=False, help_text="days")
    hazard_file = serializers.FileField(required=False, allow_null=True, validators=[tiff_file])
    reports = AshReportBriefSerializer(many=True, read_only=True)
    impact = ImpactField(required=False, allow_null=True, reader=ash_impact)

    class Meta:
        model = Ash
        fields = ["url", "id", "ash_id", "volcano_name", "volcano", "alert_level", "event_time",
                  "event_time_zone_string", "eruption_height", "forecast_duration", "hazard_file", "hazard_path",
                  "task_status", "reports", "impact", "published_at", "created_at"]
        read_only_fields = ["published_at", "created_at"]
        validators = []  # ash_id uniqueness is checked in validate() with a useful message

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, ash) -> str:
        return api_url(self, "ash-detail", **ash_url_kwargs(ash))

    def validate(self, attrs):
        instance = self.instance
        name = attrs.get("volcano_name", instance.volcano_name if instance else None)
        moment = attrs.get("event_time", instance.event_time if instance else None)
        if instance is not None:
            if "volcano_name" in attrs or "event_time" in attrs:  # the processor resends both: they must agree
                moment = attrs.get("event_time") or instance.event_time.astimezone(ash_offset(instance.ash_id))
                if self._ash_id(name, moment) != instance.ash_id or moment != instance.event_time:
                    raise serializers.ValidationError({"event_time": [
                        f"volcano_name and event_time must name this event ({instance.ash_id})"]})
            derived = instance.ash_id
        else:
            if name is None or moment is None:
                raise serializers.ValidationError("volcano_name and event_time are required")
            derived = self._ash_id(name, moment)
            if attrs.get("ash_id", derived) != derived:
                raise serializers.ValidationError({"ash_id": [f"must be {derived} (from volcano_name and event_time)"]})
            if Ash.objects.filter(ash_id=derived).exists():
                raise serializers.ValidationError({"ash_id": [
                    f"ash event {derived} already exists; PUT ash/<volcano>/<event time>/ to update it"]})
            attrs["ash_id"] = derived
            attrs["volcano"] = find_volcano(name)
        if attrs.get("ash_id", derived) != derived:
            raise serializers.ValidationError({"ash_id": [f"must be {derived} (from volcano_name and event_time)"]})
        if "event_time_zone_string" in attrs or instance is None:
            attrs["event_time_zone_string"] = zone_string(moment, attrs.get("event_time_zone_string", ""))
        return attrs

    @staticmethod
    def _ash_id(name: str, moment: datetime) -> str:
        try:
            return ash_id_for(name, moment)
        except AshKeyError as exc:
            raise serializers.ValidationError({"volcano_name": [str(exc)]}) from None

    def stored_name(self, field, ash, upload):
        return f"{ash.ash_id}-hazard.tif"


class AshReportSerializer(ReportLanguageMixin, CanonicalFilesMixin, serializers.ModelSerializer):
    """One language's report: the PDF (report_map), the page as PNG and its thumbnail; the event is the URL's."""

    url = serializers.SerializerMethodField()
    ash_url = serializers.SerializerMethodField()
    ash_id = serializers.CharField(source="ash.ash_id", read_only=True)
    language = serializers.CharField(max_length=4, validators=[check_language])
    report_map = serializers.FileField(validators=[pdf_file])
    report_image = serializers.FileField(required=False, allow_null=True, validators=[png_file])
    report_thumbnail = serializers.FileField(required=False, allow_null=True, validators=[png_file])
    report_map_filename = serializers.SerializerMethodField()
    report_map_url = serializers.SerializerMethodField()

    class Meta:
        model = AshReport
        fields = ["url", "ash_url", "id", "ash_id", "language", "report_map", "report_image", "report_thumbnail",
                  "report_map_filename", "report_map_url"]
        validators = []  # the view answers a duplicate language with the existing report

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, report) -> str:
        return api_url(self, "ash-report-detail", language=report.language, **ash_url_kwargs(report.ash))

    @extend_schema_field(OpenApiTypes.URI)
    def get_ash_url(self, report) -> str:
        return api_url(self, "ash-detail", **ash_url_kwargs(report.ash))

    @extend_schema_field(OpenApiTypes.URI)
    def get_report_map_url(self, report) -> str | None:
        return file_url(self, report.report_map)

    def get_report_map_filename(self, report) -> str:
        return f"{report.ash.ash_id}-{report.language}.pdf"

    def stored_name(self, field, report, upload):
        stem = f"{report.ash.ash_id}-{report.language}"
        return {"report_map": f"{stem}.pdf", "report_image": f"{stem}.png",
                "report_thumbnail": f"{stem}-thumbnail.png"}[field]
