"""Earthquake serializers plus the pieces flood_serializers shares: the REST contract's field names.

Field names and semantics follow docs/reference/earthquake.md §4 (the legacy InaSAFE Django API), so
the processor's create-or-update push works unchanged.
"""

from __future__ import annotations

import json
import math
from datetime import datetime, timezone
from typing import Any, Callable

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from events.ids import shake_id_problem
from events.impact_read import UnreadableImpact, quake_impact
from events.models import Earthquake, EarthquakeReport
from events.uploads import check_json_depth, grid_file, layer_file, loads_json, pdf_file, png_file
from realtime.ids import SOURCE_TYPES

PUSH_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # INASAFE_REALTIME_DATETIME_FORMAT of the processor


def api_url(serializer: serializers.Serializer, name: str, **kwargs) -> str:
    """Absolute when the serializer has a request (API answers), relative otherwise."""
    return reverse(f"api:{name}", kwargs=kwargs, request=serializer.context.get("request"))


def file_url(serializer: serializers.Serializer, field) -> str | None:
    if not field:
        return None
    request = serializer.context.get("request")
    return request.build_absolute_uri(field.url) if request else field.url


class FiniteFloatField(serializers.FloatField):
    """DRF's FloatField takes 'nan' and 'inf' from form data; a magnitude or depth never is one."""

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            raise serializers.ValidationError("a finite number is required")
        return value


class ImpactField(serializers.JSONField):
    """The processor's impact.json body: a JSON object, stored as is (no NaN, which JSON cannot hold).

    `reader` is the hazard's events.impact_read reader, the one the pages, feeds, CAP and notifications read the
    stored document with: a document it cannot read (a key renamed or mistyped by a processor the web app does
    not match) is refused with a 400 naming the key, at push time, instead of being stored and failing on every
    page. No impact yet ({} or null, a record pushed before its analysis) is taken, as the reader takes it."""

    def __init__(self, *args, reader: Callable[[Any], Any] | None = None, **kwargs):
        self.reader = reader
        super().__init__(*args, **kwargs)

    def to_internal_value(self, data):
        is_text = getattr(data, "is_json_string", False)  # multipart sends it as text; DRF marks it
        value = loads_json(data, "impact") if is_text else data
        check_json_depth(value, "impact")
        if not isinstance(value, dict):
            raise serializers.ValidationError("impact must be a JSON object (the processor's impact.json)")
        try:
            json.dumps(value, allow_nan=False)
        except ValueError:
            raise serializers.ValidationError("impact holds NaN or Infinity, which is not JSON") from None
        if self.reader is not None:
            try:
                self.reader(value)
            except UnreadableImpact as error:
                raise serializers.ValidationError(f"{error}: this web app cannot read the document") from None
        return value


POINT_SCHEMA = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["Point"]},
        "coordinates": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 3},
    },
    "required": ["type", "coordinates"],
    "example": {"type": "Point", "coordinates": [96.55, 4.92]},
}


@extend_schema_field(POINT_SCHEMA)
class GeoJSONPointField(serializers.Field):
    """The contract's GeoJSON `location`, stored in the plain longitude/latitude columns (no GIS needed)."""

    def __init__(self, **kwargs):
        super().__init__(source="*", **kwargs)

    def to_representation(self, instance):
        return {"type": "Point", "coordinates": [instance.longitude, instance.latitude]}

    def to_internal_value(self, data):
        if isinstance(data, str):  # multipart sends the GeoJSON as text
            try:
                data = loads_json(data, "location")
            except serializers.ValidationError as exc:
                raise serializers.ValidationError(
                    f'{exc.detail[0]}; expected GeoJSON, e.g. {{"type": "Point", "coordinates": [lon, lat]}}') from None
        if not isinstance(data, dict) or data.get("type") != "Point":
            raise serializers.ValidationError("location must be a GeoJSON object with type 'Point'")
        coordinates = data.get("coordinates")
        if not isinstance(coordinates, (list, tuple)) or len(coordinates) not in (2, 3) or not all(
            isinstance(c, (int, float)) and not isinstance(c, bool) and math.isfinite(c) for c in coordinates
        ):
            raise serializers.ValidationError("coordinates must be [longitude, latitude] as finite numbers")
        longitude, latitude = float(coordinates[0]), float(coordinates[1])
        if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
            raise serializers.ValidationError("longitude must be in [-180, 180] and latitude in [-90, 90]")
        return {"longitude": longitude, "latitude": latitude}


class CanonicalFilesMixin:
    """Stores uploads under predictable names and deletes a replaced file, so MEDIA_ROOT never keeps orphans.

    Subclasses name each file with `stored_name(field, target, upload)`; `target` is the row (or an unsaved
    model built from the validated data on create). The old file is deleted before the new one is saved
    so the new one gets the same name.
    """

    def stored_name(self, field: str, target, upload: UploadedFile) -> str:
        raise NotImplementedError

    def _rename_uploads(self, validated_data: dict, target) -> None:
        for field, value in validated_data.items():
            if isinstance(value, UploadedFile):
                value.name = self.stored_name(field, target, value)

    def create(self, validated_data):
        plain = {k: v for k, v in validated_data.items() if not isinstance(v, UploadedFile)}
        self._rename_uploads(validated_data, self.Meta.model(**plain))
        return super().create(validated_data)

    def update(self, instance, validated_data):
        for field, value in validated_data.items():
            old = getattr(instance, field, None)
            if hasattr(old, "storage") and old and (value is None or isinstance(value, UploadedFile)):
                old.delete(save=False)
        self._rename_uploads(validated_data, instance)
        return super().update(instance, validated_data)


def check_language(language: str) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    if language not in codes:
        raise serializers.ValidationError(f"language must be one of {codes}")
    return language


def check_shake_id(shake_id: str) -> str:
    if problem := shake_id_problem(shake_id):
        raise serializers.ValidationError(problem)
    return shake_id


class ReportLanguageMixin:
    """A report's language comes from its URL on update: the body may repeat it, never change it."""

    def validate_language(self, language):
        if self.instance is not None and language != self.instance.language:
            raise serializers.ValidationError(f"must match the URL ({self.instance.language})")
        return language


class EarthquakeReportBriefSerializer(serializers.ModelSerializer):
    """A report as listed inside its earthquake: the language and where to download it."""

    url = serializers.SerializerMethodField()

    class Meta:
        model = EarthquakeReport
        fields = ["language", "url", "report_pdf", "report_image", "report_thumbnail"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, report) -> str:
        quake = report.earthquake
        return api_url(self, "earthquake-report-detail", shake_id=quake.shake_id, source_type=quake.source_type,
                       language=report.language)


class EarthquakeSerializer(CanonicalFilesMixin, serializers.ModelSerializer):
    url = serializers.SerializerMethodField()
    shake_id = serializers.CharField(max_length=50, trim_whitespace=False, validators=[check_shake_id])
    source_type = serializers.ChoiceField(choices=SOURCE_TYPES, required=False)
    shake_grid = serializers.FileField(
        required=False, allow_null=True, validators=[grid_file],
        help_text="BMKG's ShakeMap grid.xml this version was computed from (the processor uploads it); "
                  "answered as its download URL, null until uploaded")
    mmi_output = serializers.FileField(required=False, allow_null=True, validators=[layer_file],
                                       help_text="the processor's layers (MMI raster, contours, places) as a zip")
    magnitude = FiniteFloatField(min_value=-2, max_value=10)
    depth = FiniteFloatField(min_value=-10, max_value=1000, help_text="km")
    location = GeoJSONPointField()
    reports = EarthquakeReportBriefSerializer(many=True, read_only=True)
    event_id_formatted = serializers.CharField(read_only=True)
    shake_grid_download_url = serializers.SerializerMethodField()
    mmi_layer_download_url = serializers.SerializerMethodField()
    grid_xml_filename = serializers.SerializerMethodField()
    mmi_layer_filename = serializers.SerializerMethodField()
    impact = ImpactField(required=False, allow_null=True, reader=quake_impact)

    class Meta:
        model = Earthquake
        fields = ["url", "shake_id", "shake_grid", "mmi_output", "magnitude", "time", "depth", "location",
                  "location_description", "felt", "reports", "hazard_path", "source_type", "event_id_formatted",
                  "shake_grid_download_url", "mmi_layer_download_url", "grid_xml_filename", "mmi_layer_filename",
                  "mmi_layer_saved", "has_corrected", "impact"]
        read_only_fields = ["has_corrected"]
        validators = []  # (shake_id, source_type) uniqueness is checked in validate() with a useful message

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, quake) -> str:
        return api_url(self, "earthquake-detail", shake_id=quake.shake_id, source_type=quake.source_type)

    @extend_schema_field(OpenApiTypes.URI)
    def get_shake_grid_download_url(self, quake) -> str | None:
        return file_url(self, quake.shake_grid)

    @extend_schema_field(OpenApiTypes.URI)
    def get_mmi_layer_download_url(self, quake) -> str | None:
        return file_url(self, quake.mmi_output)

    def get_grid_xml_filename(self, quake) -> str:
        return f"{quake.event_id_formatted}-grid.xml"

    def get_mmi_layer_filename(self, quake) -> str:
        return f"{quake.event_id_formatted}-mmi.geojson"

    def validate(self, attrs):
        if self.instance is not None:
            for key in ("shake_id", "source_type"):
                if key in attrs and attrs[key] != getattr(self.instance, key):
                    raise serializers.ValidationError({key: [f"must match the URL ({getattr(self.instance, key)})"]})
            return attrs
        attrs.setdefault("source_type", "initial")
        if Earthquake.objects.filter(shake_id=attrs["shake_id"], source_type=attrs["source_type"]).exists():
            raise serializers.ValidationError({"shake_id": [
                f"earthquake {attrs['shake_id']} ({attrs['source_type']}) already exists; "
                f"PUT earthquake/{attrs['shake_id']}/{attrs['source_type']}/ to update it"]})
        return attrs

    def stored_name(self, field, quake, upload):
        if field == "shake_grid":
            return self.get_grid_xml_filename(quake)
        suffix = ".zip" if not upload.name.lower().endswith((".json", ".geojson")) else ".geojson"
        return f"{quake.event_id_formatted}-mmi-output{suffix}"


class EarthquakeReportSerializer(ReportLanguageMixin, CanonicalFilesMixin, serializers.ModelSerializer):
    """One language's PDF, map image and thumbnail; the event comes from the URL, never the body."""

    url = serializers.SerializerMethodField()
    shake_id = serializers.CharField(source="earthquake.shake_id", read_only=True)
    source_type = serializers.CharField(source="earthquake.source_type", read_only=True)
    shake_url = serializers.SerializerMethodField()
    language = serializers.CharField(max_length=4, validators=[check_language])
    report_pdf = serializers.FileField(validators=[pdf_file])
    report_image = serializers.FileField(validators=[png_file])
    report_thumbnail = serializers.FileField(validators=[png_file])
    report_map_filename = serializers.SerializerMethodField()

    class Meta:
        model = EarthquakeReport
        fields = ["url", "shake_id", "source_type", "shake_url", "language", "report_pdf", "report_image",
                  "report_thumbnail", "report_map_filename"]
        validators = []  # the view answers a duplicate language with the existing report

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, report) -> str:
        quake = report.earthquake
        return api_url(self, "earthquake-report-detail", shake_id=quake.shake_id, source_type=quake.source_type,
                       language=report.language)

    @extend_schema_field(OpenApiTypes.URI)
    def get_shake_url(self, report) -> str:
        quake = report.earthquake
        return api_url(self, "earthquake-detail", shake_id=quake.shake_id, source_type=quake.source_type)

    def get_report_map_filename(self, report) -> str:
        return f"{report.earthquake.event_id_formatted}-{report.language}.pdf"

    def stored_name(self, field, report, upload):
        stem = f"{report.earthquake.event_id_formatted}-{report.language}"
        return {"report_pdf": f"{stem}.pdf", "report_image": f"{stem}.png",
                "report_thumbnail": f"{stem}-thumbnail.png"}[field]


class PushIndicatorSerializer(serializers.Serializer):
    """The processor's "I just saw a shakemap" ping: a UTC '%Y-%m-%d %H:%M:%S' stamp (ISO 8601 also taken)."""

    timestamp = serializers.CharField(max_length=64)

    def validate_timestamp(self, text: str) -> datetime:
        try:
            moment = datetime.strptime(text, PUSH_TIME_FORMAT)
        except ValueError:
            try:
                moment = parse_datetime(text)
            except ValueError:
                moment = None
        if moment is None:
            raise serializers.ValidationError(f"expected a UTC time as {PUSH_TIME_FORMAT!r} or ISO 8601")
        return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
