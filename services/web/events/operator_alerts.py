"""Email the admins (settings.ADMINS) when the processor falls silent, comes back, or gives up on an event.

Each subject is mailed once: an OperatorAlert row (unique on kind and key) is claimed before the email goes
out, and a row whose email failed (SMTP down) is mailed again by the next beat run. An outage is keyed by
when it began (the first check the processor left unanswered); while one is open no new one is raised, so a
long outage whose first checks were pruned still makes one email, and its "back online" email closes it.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta, timezone as dt_timezone
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import mail_admins
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from events.ids import SOURCE_TYPE_PATTERN, ash_id_problem, flood_id_problem, shake_id_problem
from events.models import OperatorAlert, ProcessorCheck

logger = logging.getLogger(__name__)

SILENT, BACK, FAILED = "processor-silent", "processor-back", "event-failed"
RESEND_WITHIN = timedelta(days=1)  # an alert whose email failed is retried this long
SOURCE_TYPE = re.compile(SOURCE_TYPE_PATTERN)


def _claim(kind: str, key: str, detail: str) -> OperatorAlert | None:
    """The new alert row, or None when this subject was raised before."""
    try:
        with transaction.atomic():
            return OperatorAlert.objects.create(kind=kind, key=key, detail=detail)
    except IntegrityError:
        return None


def _mail(alert: OperatorAlert, subject: str, body: str) -> bool:
    """Send one alert's email; on success stamp it sent. An SMTP failure is logged and retried later."""
    if not settings.ADMINS:
        logger.warning("operator alert %s %s: no REALTIME_ADMINS to email", alert.kind, alert.key)
        return False
    try:
        mail_admins(subject, body, fail_silently=False)
    except Exception as exc:  # SMTP down or refused: resend_unsent tries again
        logger.warning("operator alert %s %s not emailed (%s); will retry", alert.kind, alert.key,
                       type(exc).__name__)
        return False
    OperatorAlert.objects.filter(pk=alert.pk).update(sent_at=timezone.now())
    return True


def _when(moment: datetime) -> str:
    """"2026-11-29 12:05 WIB (05:05 UTC)": duty officers read WIB, logs read UTC."""
    local = moment.astimezone(ZoneInfo(settings.DISPLAY_TIME_ZONE))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()} ({moment.astimezone(dt_timezone.utc):%H:%M} UTC)"


# --- the processor is silent ------------------------------------------------------------------------------


def silence_start(now: datetime | None = None) -> datetime | None:
    """When the current silence began: the first check sent after the last answer that went unanswered
    past the timeout; None while the processor answers."""
    now = now or timezone.now()
    last_answer = ProcessorCheck.objects.aggregate(last=Max("answered_at"))["last"]
    missed = ProcessorCheck.objects.filter(
        answered_at__isnull=True, sent_at__lte=now - timedelta(seconds=settings.PROCESSOR_CHECK_TIMEOUT))
    if last_answer is not None:
        missed = missed.filter(sent_at__gt=last_answer)
    first = missed.order_by("sent_at").first()
    return first.sent_at if first else None


def open_outage() -> OperatorAlert | None:
    """The last silence alert when no "back online" alert has closed it yet."""
    last = OperatorAlert.objects.filter(kind=SILENT).order_by("-created_at", "-pk").first()
    if last is None or OperatorAlert.objects.filter(kind=BACK, key=last.key).exists():
        return None
    return last


def watch_processor(now: datetime | None = None) -> str | None:
    """Raise a silence alert after PROCESSOR_SILENT_MINUTES, or a back-online one; returns the kind raised."""
    now = now or timezone.now()
    start = silence_start(now)
    outage = open_outage()
    if outage is not None:
        answered = ProcessorCheck.objects.filter(answered_at__gt=outage.created_at).exists()
        if start is None and answered and (alert := _claim(BACK, outage.key, f"answering again at {_when(now)}")):
            _mail(alert, "Processor back online",
                  f"The InaSAFE Realtime processor answers again (checked {_when(now)}).\n"
                  f"It had been silent since {outage.key}.\n")
            return BACK
        return None
    if start is None or now - start < timedelta(minutes=settings.PROCESSOR_SILENT_MINUTES):
        return None
    key = start.astimezone(dt_timezone.utc).isoformat(timespec="seconds")
    alert = _claim(SILENT, key, f"no answer since {key}")
    if alert is None:
        return None
    minutes = int((now - start).total_seconds() // 60)
    _mail(alert, f"Processor silent for {minutes} minutes",
          f"The InaSAFE Realtime processor has not answered the web app's checks since {_when(start)}"
          f" ({minutes} minutes; the alarm is set at {settings.PROCESSOR_SILENT_MINUTES:g}).\n\n"
          "New ShakeMaps and flood reports are not being processed. Check the worker (`realtime worker`),\n"
          "its log, and the broker both sides use. You will get one more email when it answers again.\n")
    return SILENT


# --- the processor gave up on an event --------------------------------------------------------------------


def one_line(text: str, limit: int = 300) -> str:
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[:limit - 1] + "…"


def event_failed(hazard: str, event_id: str, reason: str, source_type: str = "") -> bool:
    """Record the processor's failure report and mail the admins, once per event; False when refused or seen."""
    if hazard == "earthquake":
        problem = shake_id_problem(event_id) or (
            None if not source_type or SOURCE_TYPE.fullmatch(source_type) else "bad source type")
    elif hazard == "flood":
        problem = flood_id_problem(event_id)
    elif hazard == "ash":
        problem = ash_id_problem(event_id)
    else:
        problem = "unknown hazard"
    if problem:
        logger.warning("event failure report refused: %s", one_line(problem, 120))
        return False
    name = f"{event_id}-{source_type}" if source_type else event_id
    reason = one_line(reason)
    alert = _claim(FAILED, f"{hazard}:{name}", reason)
    if alert is None:
        return False
    _mail(alert, f"Processing failed: {hazard} {name}",
          f"The processor gave up on {hazard} {name}:\n\n    {reason}\n\n"
          "Its ledger keeps the full story: `realtime status` on the processor host; after fixing the cause,\n"
          "`realtime shake reprocess` (earthquakes) or `manage.py requestflood` (floods) runs it again.\n")
    return True


def resend_unsent(now: datetime | None = None) -> int:
    """Mail again the alerts whose email failed (within a day); returns how many went out now."""
    if not settings.ADMINS:
        return 0  # nobody to mail: _mail warned once when the alert was raised
    since = (now or timezone.now()) - RESEND_WITHIN
    sent = 0
    for alert in OperatorAlert.objects.filter(sent_at__isnull=True, created_at__gte=since):
        if alert.kind == SILENT and open_outage() != alert:
            continue  # that outage is over; its back-online email tells the story
        subject = {SILENT: "Processor silent", BACK: "Processor back online"}.get(
            alert.kind, f"Processing failed: {alert.key.replace(':', ' ', 1)}")
        sent += _mail(alert, subject, f"{alert.detail}\n\n(sent late: the first attempt to email this failed)\n")
    return sent
