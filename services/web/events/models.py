"""Earthquakes, floods and their per-language reports, as the processor pushes them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class Earthquake(models.Model):
    shake_id = models.CharField(max_length=50)
    source_type = models.CharField(max_length=30, default="initial")
    magnitude = models.FloatField()
    time = models.DateTimeField()
    depth = models.FloatField(help_text="km")
    longitude = models.FloatField()
    latitude = models.FloatField()
    location_description = models.CharField(max_length=255, blank=True, default="")
    felt = models.BooleanField(default=False)
    hazard_path = models.CharField(max_length=255, blank=True, null=True)
    mmi_output = models.FileField(upload_to="earthquake/mmi_output", blank=True, null=True)
    mmi_layer_saved = models.BooleanField(default=False)
    impact = models.JSONField(blank=True, null=True, help_text="the processor's impact.json")
    has_corrected = models.BooleanField(default=False)
    generated_time = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-time"]
        constraints = [models.UniqueConstraint(fields=["shake_id", "source_type"], name="unique_shake_source")]

    def __str__(self) -> str:
        return f"{self.shake_id}-{self.source_type}"

    @property
    def event_id_formatted(self) -> str:
        return f"{self.shake_id}-{self.source_type}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.mark_corrected_pairs()

    def mark_corrected_pairs(self) -> None:
        """An initial event has a corrected one when a corrected event has the same origin time."""
        if self.source_type == "corrected":
            Earthquake.objects.filter(time=self.time, source_type="initial").update(has_corrected=True)
        else:
            found = Earthquake.objects.filter(time=self.time, source_type="corrected").exists()
            if found != self.has_corrected:
                Earthquake.objects.filter(pk=self.pk).update(has_corrected=found)
                self.has_corrected = found


class EarthquakeReport(models.Model):
    earthquake = models.ForeignKey(Earthquake, related_name="reports", on_delete=models.CASCADE)
    language = models.CharField(max_length=4, default="id")
    report_pdf = models.FileField(upload_to="earthquake/pdf")
    report_image = models.FileField(upload_to="earthquake/png")
    report_thumbnail = models.FileField(upload_to="earthquake/thumbnail")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["earthquake", "language"], name="unique_earthquake_language")]

    def delete_files(self) -> None:
        for field in (self.report_pdf, self.report_image, self.report_thumbnail):
            if field:
                field.delete(save=False)


class Flood(models.Model):
    event_id = models.CharField(max_length=20, unique=True)
    time = models.DateTimeField()
    interval = models.IntegerField(default=0)
    data_source = models.CharField(max_length=255, blank=True, default="")
    source = models.CharField(max_length=255, blank=True, default="")
    region = models.CharField(max_length=255, default="Jakarta")
    hazard_layer = models.FileField(upload_to="reports/flood/zip", blank=True, null=True)
    impact_layer = models.FileField(upload_to="reports/flood/zip", blank=True, null=True)
    hazard_path = models.CharField(max_length=255, blank=True, null=True)
    total_affected = models.IntegerField(default=0)
    boundary_flooded = models.IntegerField(default=0)
    flood_data = models.TextField(blank=True, default="")
    impact = models.JSONField(blank=True, null=True, help_text="the processor's impact.json")

    class Meta:
        ordering = ["-time"]

    def __str__(self) -> str:
        return self.event_id


class FloodReport(models.Model):
    flood = models.ForeignKey(Flood, related_name="reports", on_delete=models.CASCADE)
    language = models.CharField(max_length=4, default="id")
    impact_report = models.FileField(upload_to="reports/flood/pdf", blank=True, null=True)
    impact_map = models.FileField(upload_to="reports/flood/pdf")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flood", "language"], name="unique_flood_language")]

    def delete_files(self) -> None:
        for field in (self.impact_report, self.impact_map):
            if field:
                field.delete(save=False)


class UserPush(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    last_shakemap_push = models.DateTimeField(default=timezone.now)


class ProcessorCheck(models.Model):
    """One check_broker_connection sent to the processor, and when (if ever) its answer came back.

    Beat sends one every PROCESSOR_CHECK_SECONDS; the processor's reply arrives as a callback task on the
    web app's queue, so no task ever waits for another. The pages derive online/offline from these rows.
    """

    sent_at = models.DateTimeField(default=timezone.now, db_index=True)
    answered_at = models.DateTimeField(blank=True, null=True, db_index=True)

    class Meta:
        ordering = ["-sent_at"]
