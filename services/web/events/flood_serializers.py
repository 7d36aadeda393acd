"""Flood serializers: the field names of docs/reference/flood.md §5 (the legacy InaSAFE Django API).

The server derives what the legacy Django computed on receipt: `flood_data` and `boundary_flooded` from an
uploaded GeoJSON hazard layer, and `total_affected` from the processor's impact.json summary.

`boundary_flooded` is the report's count of flooded RWs (flood state 2 or more): the impact summary's
`flooded_rw` once it arrives, the snapshot's count before. RWs at "use caution" (state 1) are not in it; they
are `impact.summary.caution_rw`. The legacy Django counted state > 0, so it said 161 where the report says
158 + 3 to watch; one count now serves the API, the pages, the feeds and the report (events.summary.rw_counts).
"""

from __future__ import annotations

import json
import math
import zoneinfo

from django.conf import settings
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from events.ids import flood_id_problem
from events.impact_read import UnreadableImpact, flood_impact
from events.models import Flood, FloodReport
from events.serializers import (CanonicalFilesMixin, ImpactField, ReportLanguageMixin, api_url, check_language,
                                file_url)
from events.summary import rw_counts
from events.uploads import count_flooded, layer_file, parse_json_bytes, pdf_file, read_flood_snapshot
from realtime.ids import parse_flood_id


def check_flood_id(event_id: str) -> str:
    if problem := flood_id_problem(event_id):
        raise serializers.ValidationError(problem)
    return event_id


class FloodReportBriefSerializer(serializers.ModelSerializer):
    """A report as listed inside its flood."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = FloodReport
        fields = ["language", "url", "impact_map", "impact_report"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, report) -> str:
        return api_url(self, "flood-report-detail", event_id=report.flood.event_id, language=report.language)


class FloodSerializer(CanonicalFilesMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    event_id = serializers.CharField(max_length=20, trim_whitespace=False, validators=[check_flood_id],
                                     help_text="YYYYMMDDHH-<1|3|6>-<subdistrict|village|rw>; required on PUT too")
    event_id_formatted = serializers.CharField(source="event_id", read_only=True)
    time_description = serializers.SerializerMethodField()
    interval = serializers.IntegerField(min_value=0, required=False, help_text="hours; defaults to the id's duration")
    total_affected = serializers.IntegerField(min_value=0, required=False)
    boundary_flooded = serializers.IntegerField(
        min_value=0, required=False,
        help_text="RWs flooded (state 2 or more), as the report counts them; RWs at 'use caution' are "
                  "impact.summary.caution_rw")
    hazard_layer = serializers.FileField(required=False, allow_null=True, validators=[layer_file])
    impact_layer = serializers.FileField(required=False, allow_null=True, validators=[layer_file])
    reports = FloodReportBriefSerializer(many=True, read_only=True)
    flood_data_download_url = serializers.SerializerMethodField()
    impact = ImpactField(required=False, allow_null=True, reader=flood_impact)

    class Meta:
        model = Flood
        fields = ["url", "event_id", "data_source", "event_id_formatted", "time", "time_description",
                  "total_affected", "boundary_flooded", "interval", "source", "region", "hazard_layer",
                  "impact_layer", "reports", "hazard_path", "flood_data_download_url", "impact"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, flood) -> str:
        return api_url(self, "flood-detail", event_id=flood.event_id)

    def get_time_description(self, flood) -> str:
        local = flood.time.astimezone(zoneinfo.ZoneInfo(settings.DISPLAY_TIME_ZONE))
        return f"{flood.interval} hour report for {local:%d %B %Y at %H:%M:%S}"

    @extend_schema_field(OpenApiTypes.URI)
    def get_flood_data_download_url(self, flood) -> str | None:
        return api_url(self, "flood-data", event_id=flood.event_id) if flood.flood_data else None

    def to_representation(self, flood):
        data = super().to_representation(flood)
        try:
            data["boundary_flooded"] = rw_counts(flood)[0] or 0  # a row stored with the legacy count says 158 too
        except UnreadableImpact:  # stored before the push was checked (logged once): its column, with `impact` raw
            data["boundary_flooded"] = flood.boundary_flooded
        return data

    def validate(self, attrs):
        if self.instance is not None:
            # The legacy API required event_id in a PUT body; it names the row and may not change it.
            if "event_id" not in attrs:
                raise serializers.ValidationError({"event_id": ["this field is required on update"]})
            if attrs["event_id"] != self.instance.event_id:
                raise serializers.ValidationError({"event_id": [f"must match the URL ({self.instance.event_id})"]})
        elif Flood.objects.filter(event_id=attrs["event_id"]).exists():
            raise serializers.ValidationError({"event_id": [
                f"flood {attrs['event_id']} already exists; PUT flood/{attrs['event_id']}/ to update it"]})
        if self.instance is None and "interval" not in attrs:
            attrs["interval"] = parse_flood_id(attrs["event_id"])[1]
        if attrs.get("hazard_layer"):
            attrs.update(self._snapshot_fields(attrs["hazard_layer"]))
        elif "hazard_layer" in attrs:  # an explicit null drops the layer and the snapshot read from it
            attrs["flood_data"] = ""
        if attrs.get("impact"):
            attrs.update(self._impact_fields(attrs["impact"]))
        return attrs

    @staticmethod
    def _snapshot_fields(upload) -> dict:
        """flood_data and boundary_flooded from a GeoJSON hazard layer (or the flood_data.json in its zip)."""
        try:
            data = read_flood_snapshot(upload)
            if data is None:
                return {}
            document = parse_json_bytes(data, upload.name)
            flooded = count_flooded(document)
        except serializers.ValidationError as exc:
            raise serializers.ValidationError({"hazard_layer": exc.detail}) from None
        try:
            text = data.decode("utf-8")  # keep the snapshot byte for byte when we can
        except UnicodeDecodeError:  # UTF-16/32 JSON parses too; store it re-encoded
            text = json.dumps(document)
        return {"flood_data": text, "boundary_flooded": flooded}

    @staticmethod
    def _impact_fields(impact: dict) -> dict:
        summary = impact.get("summary")
        summary = summary if isinstance(summary, dict) else {}
        fields = {}
        for key, field in (("affected", "total_affected"), ("flooded_rw", "boundary_flooded")):
            value = summary.get(key)
            if value is None:
                continue
            number = isinstance(value, (int, float)) and not isinstance(value, bool)
            if not number or not math.isfinite(value) or value < 0:
                raise serializers.ValidationError({"impact": [f"summary.{key} must be a non-negative number"]})
            fields[field] = int(round(value))
        return fields

    def stored_name(self, field, flood, upload):
        suffix = ".geojson" if upload.name.lower().endswith((".json", ".geojson")) else ".zip"
        return f"{flood.event_id}-{field.split('_')[0]}{suffix}"


class FloodReportSerializer(ReportLanguageMixin, CanonicalFilesMixin, serializers.ModelSerializer):
    """One language's impact map (and optional table) PDFs; the flood comes from the URL."""

    url = serializers.SerializerMethodField()
    flood_url = serializers.SerializerMethodField()
    event_id = serializers.CharField(source="flood.event_id", read_only=True)
    language = serializers.CharField(max_length=4, validators=[check_language])
    impact_map = serializers.FileField(validators=[pdf_file])
    impact_report = serializers.FileField(required=False, allow_null=True, validators=[pdf_file])
    impact_report_url = serializers.SerializerMethodField()
    impact_map_filename = serializers.SerializerMethodField()
    impact_map_url = serializers.SerializerMethodField()

    class Meta:
        model = FloodReport
        fields = ["url", "flood_url", "event_id", "language", "impact_report", "impact_map", "impact_report_url",
                  "impact_map_filename", "impact_map_url"]
        validators = []  # the view answers a duplicate language with the existing report

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, report) -> str:
        return api_url(self, "flood-report-detail", event_id=report.flood.event_id, language=report.language)

    @extend_schema_field(OpenApiTypes.URI)
    def get_flood_url(self, report) -> str:
        return api_url(self, "flood-detail", event_id=report.flood.event_id)

    @extend_schema_field(OpenApiTypes.URI)
    def get_impact_report_url(self, report) -> str | None:
        return file_url(self, report.impact_report)

    @extend_schema_field(OpenApiTypes.URI)
    def get_impact_map_url(self, report) -> str | None:
        return file_url(self, report.impact_map)

    def get_impact_map_filename(self, report) -> str:
        return f"{report.flood.event_id}_{report.language}.pdf"

    def stored_name(self, field, report, upload):
        stem = f"{report.flood.event_id}_{report.language}"
        return f"{stem}.pdf" if field == "impact_map" else f"{stem}-table.pdf"
