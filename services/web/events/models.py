"""Earthquakes, floods, ash falls and their per-language reports, as the processor pushes them."""

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
    shake_grid = models.FileField(upload_to="earthquake/grid", blank=True, null=True, help_text="BMKG's grid.xml")
    mmi_output = models.FileField(upload_to="earthquake/mmi_output", blank=True, null=True)
    mmi_layer_saved = models.BooleanField(default=False)
    impact = models.JSONField(blank=True, null=True, help_text="the processor's impact.json")
    has_corrected = models.BooleanField(default=False)
    generated_time = models.DateTimeField(auto_now=True)
    published_at = models.DateTimeField(
        blank=True, null=True, db_index=True,
        help_text="when the whole version first arrived (its impact, pushed last); feeds, CAP and notices use it")

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
    published_at = models.DateTimeField(
        blank=True, null=True, db_index=True,
        help_text="when the whole version first arrived (its impact, pushed last); feeds, CAP and notices use it")

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


def mark_published(instance) -> bool:
    """Stamp the version's first complete arrival; True only the first time (the caller then notifies)."""
    if not instance.impact or instance.published_at is not None:
        return False
    moment = timezone.now()
    # Conditional: of two pushes racing, only the one that stamps it publishes (and notifies).
    if not type(instance).objects.filter(pk=instance.pk, published_at__isnull=True).update(published_at=moment):
        instance.refresh_from_db(fields=["published_at"])
        return False
    instance.published_at = moment
    return True


ALERT_LEVELS = ["green", "yellow", "orange", "red"]  # PAGER order: a level is "at least" those before it
ALERT_CHOICES = [(level, level) for level in ALERT_LEVELS]
LANGUAGE_CHOICES = [("en", "English"), ("id", "Bahasa Indonesia")]


class Subscriber(models.Model):
    """Someone who gets an email for each event version that passes their thresholds (double opt-in)."""

    email = models.EmailField(unique=True)
    language = models.CharField(max_length=2, choices=LANGUAGE_CHOICES, default="en")
    min_alert = models.CharField(max_length=6, choices=ALERT_CHOICES, default="green")
    min_magnitude = models.FloatField(default=0)
    # All four or none: west, south, east, north in degrees (WGS 84).
    bbox_west = models.FloatField(blank=True, null=True)
    bbox_south = models.FloatField(blank=True, null=True)
    bbox_east = models.FloatField(blank=True, null=True)
    bbox_north = models.FloatField(blank=True, null=True)
    earthquakes = models.BooleanField(default=True)
    floods = models.BooleanField(default=False)
    token = models.CharField(max_length=64, unique=True, help_text="secret in the confirm and unsubscribe links")
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(blank=True, null=True)
    unsubscribed_at = models.DateTimeField(blank=True, null=True)

    def __str__(self) -> str:
        return self.email

    @property
    def active(self) -> bool:
        return self.confirmed_at is not None and self.unsubscribed_at is None


class Webhook(models.Model):
    """An HTTP endpoint that gets a signed JSON payload (Standard Webhooks) for each qualifying version."""

    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=200, help_text="whsec_ followed by base64; never logged")
    min_alert = models.CharField(max_length=6, choices=ALERT_CHOICES, default="green")
    earthquakes = models.BooleanField(default=True)
    floods = models.BooleanField(default=False)
    active = models.BooleanField(default=True, help_text="turned off when the receiver answers 410 Gone")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One message to one recipient about one event version: the at-most-once ledger and the delivery log."""

    CHANNELS = [("email", "email"), ("webhook", "webhook")]
    STATUSES = [("pending", "pending"), ("sent", "sent"), ("failed", "failed"), ("gave_up", "gave up")]

    channel = models.CharField(max_length=8, choices=CHANNELS)
    subscriber = models.ForeignKey(Subscriber, blank=True, null=True, on_delete=models.CASCADE)
    webhook = models.ForeignKey(Webhook, blank=True, null=True, on_delete=models.CASCADE)
    earthquake = models.ForeignKey(Earthquake, blank=True, null=True, on_delete=models.CASCADE)
    flood = models.ForeignKey(Flood, blank=True, null=True, on_delete=models.CASCADE)
    status = models.CharField(max_length=8, choices=STATUSES, default="pending", db_index=True)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now, db_index=True)
    last_error = models.TextField(blank=True, default="")
    response_code = models.IntegerField(blank=True, null=True)
    message_id = models.CharField(max_length=64, blank=True, default="", help_text="webhook-id or Message-ID")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(blank=True, null=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "earthquake"], name="one_email_per_quake_version"),
            models.UniqueConstraint(fields=["subscriber", "flood"], name="one_email_per_flood"),
            models.UniqueConstraint(fields=["webhook", "earthquake"], name="one_call_per_quake_version"),
            models.UniqueConstraint(fields=["webhook", "flood"], name="one_call_per_flood"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.subscriber or self.webhook} {self.earthquake or self.flood} {self.status}"


class OperatorAlert(models.Model):
    """An email already sent to the admins, so one outage or one failed event is reported once."""

    kind = models.CharField(max_length=30)  # "processor-silent", "event-failed"
    key = models.CharField(max_length=120)  # what it is about: the silence's start, the event id
    detail = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(blank=True, null=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="one_operator_alert_per_subject")]


# Volcanic ash (issue 15) ------------------------------------------------------------------------------
ASH_ALERT_LEVELS = ["normal", "waspada", "siaga", "awas"]  # Badan Geologi's levels I-IV, in order
ASH_ALERT_CHOICES = [(level, level.capitalize()) for level in ASH_ALERT_LEVELS]


class Volcano(models.Model):
    """A volcano staff can pick on the ash upload page; loaded by `manage.py loadvolcanoes`
    from the processor's packaged table, so both sides know the same summits."""

    name = models.CharField(max_length=100, unique=True)
    gvp_number = models.CharField(max_length=10, blank=True, default="", help_text="Smithsonian GVP volcano number")
    latitude = models.FloatField()
    longitude = models.FloatField()
    elevation_m = models.FloatField(help_text="summit, m above sea level")
    region = models.CharField(max_length=255, blank=True, default="")
    timezone = models.CharField(max_length=40, blank=True, default="", help_text="IANA name, e.g. Asia/Jakarta")
    source = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Ash(models.Model):
    """One ash-fall forecast: uploaded by staff (or POSTed), then completed by the processor's pushes."""

    volcano = models.ForeignKey(Volcano, blank=True, null=True, on_delete=models.SET_NULL, related_name="ash_events")
    ash_id = models.CharField(max_length=120, unique=True, help_text="YYYYmmddHHMM+zzzz_<Volcano>")
    volcano_name = models.CharField(max_length=100)
    alert_level = models.CharField(max_length=10, choices=ASH_ALERT_CHOICES, default="normal")
    event_time = models.DateTimeField()
    event_time_zone_string = models.CharField(max_length=10, default="WIB", help_text="WIB, WITA, WIT or UTC")
    eruption_height = models.FloatField(default=0, help_text="eruption column, m above the vent")
    forecast_duration = models.PositiveSmallIntegerField(default=1, help_text="days")
    hazard_file = models.FileField(upload_to="ash/hazard_file/%Y/%m/%d", blank=True, null=True)
    hazard_path = models.CharField(max_length=255, blank=True, null=True)
    task_status = models.CharField(max_length=30, default="None")
    impact = models.JSONField(blank=True, null=True, help_text="the processor's impact.json")
    published_at = models.DateTimeField(
        blank=True, null=True, db_index=True,
        help_text="when the whole version first arrived (its impact, pushed last); feeds, CAP and notices use it")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-event_time"]
        verbose_name_plural = "ash"

    def __str__(self) -> str:
        return self.ash_id


class AshReport(models.Model):
    ash = models.ForeignKey(Ash, related_name="reports", on_delete=models.CASCADE)
    language = models.CharField(max_length=4, default="id")
    report_map = models.FileField(upload_to="reports/ash/pdf")
    report_image = models.FileField(upload_to="reports/ash/png", blank=True, null=True)
    report_thumbnail = models.FileField(upload_to="reports/ash/thumbnail", blank=True, null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ash", "language"], name="unique_ash_language")]

    def delete_files(self) -> None:
        for field in (self.report_map, self.report_image, self.report_thumbnail):
            if field:
                field.delete(save=False)
