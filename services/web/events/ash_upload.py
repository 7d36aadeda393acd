"""/realtime/ash/upload/: staff upload an ash-fall forecast; the raster is checked before anything is queued.

A valid upload saves the Ash row and the file, copies the file into REALTIME_HAZARD_DROP (the processor reads
process_ash's ash_file_path only from there) and, once the row is committed, sends
`realtime.tasks.ash.process_ash` by name with JSON kwargs to the processor's queue. A broker that is down
never blocks the page: the event is saved and the page says it was not queued.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import timedelta, timezone
from pathlib import Path

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.files.base import ContentFile
from django.db import transaction
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from events.ash_ids import ZONE_OFFSETS, AshKeyError, ash_id_for
from events.ash_raster import AshRasterError, check_ash_raster
from events.ash_serializers import ash_url_kwargs
from events.models import ASH_ALERT_LEVELS, Ash, Volcano
from inasafe_web.celery import PROCESS_ASH, app

logger = logging.getLogger(__name__)
LOGIN_URL = "/realtime/api-auth/login/"
ZONES = [("WIB", _("WIB (UTC+7, western Indonesia)")), ("WITA", _("WITA (UTC+8, central Indonesia)")),
         ("WIT", _("WIT (UTC+9, eastern Indonesia)"))]
ALERT_LABELS = [_("Normal (level I)"), _("Waspada (level II)"), _("Siaga (level III)"), _("Awas (level IV)")]
DURATIONS = [(1, _("1 day")), (3, _("3 days"))]


class AshUploadForm(forms.Form):
    volcano = forms.ModelChoiceField(queryset=Volcano.objects.all(), label=_("Volcano"), empty_label=None)
    alert_level = forms.ChoiceField(choices=list(zip(ASH_ALERT_LEVELS, ALERT_LABELS)), label=_("Alert level"))
    event_time = forms.DateTimeField(label=_("Eruption time (local)"),
                                     input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                     widget=forms.DateTimeInput(attrs={"type": "datetime-local"},
                                                                format="%Y-%m-%dT%H:%M"))
    time_zone = forms.ChoiceField(choices=ZONES, label=_("Time zone"))
    eruption_height = forms.FloatField(label=_("Eruption column height above the vent (m)"), min_value=0,
                                       max_value=60000)
    forecast_duration = forms.TypedChoiceField(choices=DURATIONS, coerce=int, label=_("Forecast duration"))
    hazard_file = forms.FileField(label=_("Ash-fall forecast (GeoTIFF, thickness in cm)"),
                                  widget=forms.ClearableFileInput(attrs={"accept": ".tif,.tiff,image/tiff"}))

    def clean_hazard_file(self):
        upload = self.cleaned_data["hazard_file"]
        upload.seek(0)
        data = upload.read(settings.MAX_UPLOAD_BYTES + 1)
        try:
            self.facts = check_ash_raster(data, upload.name)
        except AshRasterError as exc:
            raise forms.ValidationError(str(exc)) from None
        self.data_bytes = data
        return upload

    def clean(self):
        cleaned = super().clean()
        volcano, moment = cleaned.get("volcano"), cleaned.get("event_time")
        if volcano is None or moment is None or "time_zone" not in cleaned:
            return cleaned
        zone = timezone(timedelta(hours=ZONE_OFFSETS[cleaned["time_zone"]]))
        cleaned["moment"] = moment.replace(tzinfo=None).replace(tzinfo=zone)
        try:
            cleaned["ash_id"] = ash_id_for(volcano.name, cleaned["moment"])
        except AshKeyError as exc:
            raise forms.ValidationError(str(exc)) from None
        if Ash.objects.filter(ash_id=cleaned["ash_id"]).exists():
            raise forms.ValidationError(_("The event %(ash_id)s exists already.") % {"ash_id": cleaned["ash_id"]})
        return cleaned


def drop_copy(ash_id: str, data: bytes) -> Path:
    """The raster in a fresh folder of the hazard drop, as InaSAFE Django did (mkdtemp in the drop)."""
    settings.HAZARD_DROP.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix=f"{ash_id}-", dir=settings.HAZARD_DROP))
    folder.chmod(0o755)
    target = folder / f"{ash_id}.tif"
    target.write_bytes(data)
    target.chmod(0o644)
    return target.resolve()


def task_kwargs(ash: Ash, path: Path) -> dict:
    """process_ash's keyword arguments (docs/reference/ash.md §1, step 3) as JSON values."""
    volcano = ash.volcano
    return {"ash_file_path": str(path), "volcano_name": volcano.name, "region": volcano.region,
            "latitude": volcano.latitude, "longitude": volcano.longitude, "alert_level": ash.alert_level,
            "event_time": ash.event_time.isoformat(), "eruption_height": ash.eruption_height,
            "vent_height": volcano.elevation_m, "forecast_duration": ash.forecast_duration}


def send_process_ash(ash_pk: int, kwargs: dict) -> bool:
    """Queue process_ash; False (and the row says so) when the broker cannot take it now."""
    try:
        # One attempt on a connection of its own: kombu's default reconnect loop would hold the page ~6 s
        # (and a result subscription ~20 s) when Redis is down; nobody waits for this task's result.
        with app.connection_for_write() as connection:
            connection.transport_options.update(max_retries=0)
            app.send_task(PROCESS_ASH, kwargs=kwargs, queue=settings.PROCESSOR_QUEUE, retry=False,
                          ignore_result=True, connection=connection)
    except Exception as exc:  # noqa: BLE001 - broker down: the event is saved; the page says it was not queued
        logger.warning("process_ash for %s not queued (%s: %s)", kwargs.get("volcano_name"), type(exc).__name__, exc)
        Ash.objects.filter(pk=ash_pk).update(task_status="NOT QUEUED")
        return False
    Ash.objects.filter(pk=ash_pk).update(task_status="QUEUED")
    return True


def save_and_queue(form: AshUploadForm) -> tuple[Ash, bool]:
    data = form.cleaned_data
    volcano = data["volcano"]
    outcome = {}
    with transaction.atomic():
        ash = Ash(volcano=volcano, ash_id=data["ash_id"], volcano_name=volcano.name, alert_level=data["alert_level"],
                  event_time=data["moment"], event_time_zone_string=data["time_zone"],
                  eruption_height=data["eruption_height"], forecast_duration=data["forecast_duration"])
        ash.hazard_file.save(f"{ash.ash_id}-hazard.tif", ContentFile(form.data_bytes), save=False)
        ash.save()
        path = drop_copy(ash.ash_id, form.data_bytes)
        kwargs = task_kwargs(ash, path)
        transaction.on_commit(lambda: outcome.setdefault("queued", send_process_ash(ash.pk, kwargs)))
    ash.refresh_from_db(fields=["task_status"])
    return ash, outcome.get("queued", False)


@never_cache
@login_required(login_url=LOGIN_URL)
@permission_required("events.add_ash", raise_exception=True)
def ash_upload(request):
    form = AshUploadForm(request.POST or None, request.FILES or None)
    context = {"section": "ash", "form": form, "volcano_count": Volcano.objects.count(),
               "max_mb": settings.MAX_UPLOAD_BYTES // (1024 * 1024), "max_pixels": settings.ASH_MAX_PIXELS}
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "events/ash_upload.html", context, status=400)
        ash, queued = save_and_queue(form)
        context.update(ash=ash, queued=queued, facts=form.facts, form=AshUploadForm(),
                       detail_url=reverse("api:ash-detail", kwargs=ash_url_kwargs(ash)))
    return render(request, "events/ash_upload.html", context)
