"""Email to subscribers: one multipart message (text + HTML, report PDF attached) per Delivery.

The message is written in the subscriber's language and carries the RFC 8058 one-click unsubscribe headers.
SMTP failures become an Outcome: an outage or a 4xx is retried on a widening schedule, a 5xx refusal of the
recipient or the message is final (sending the same message again cannot succeed). So is a version whose
impact.json cannot be read: no mail with a blank alert or fatality range goes out; the Delivery is given up with
the key named (the duty officer sees it in the admin's delivery log, the ERROR line in the web log).
"""

from __future__ import annotations

import logging
import re
import smtplib
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.core.mail.message import make_msgid
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext

from events.dispatch import Outcome
from events.models import Delivery, Subscriber
from events.notify_rules import JAKARTA
from events.page_views import EXPOSURE_CLASSES, people
from events.summary import FloodSummary, QuakeSummary, UnreadableImpact, absolute, flood_summary, quake_summary
from events.templatetags.event_times import local_time, utc_time

logger = logging.getLogger(__name__)

# Seconds to wait after attempt n (1-based); the attempt after the last entry is the last one.
RETRY_SCHEDULE = (60, 300, 1800, 7200, 7200)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
# The public feeds as the README documents them (absolute in the message: a mail has no request).
FEEDS = {"earthquake": ("/realtime/feeds/earthquakes.atom", "/realtime/feeds/earthquakes.geojson",
                        "/realtime/feeds/cap.atom"),
         "flood": ("/realtime/feeds/floods.atom", "/realtime/feeds/cap.atom")}


# --- what the message says ------------------------------------------------------------------------------

def quake_subject(summary: QuakeSummary, language: str) -> str:
    """"RED alert – M 7.6 – 91 km W of Padang" / "Peringatan MERAH – …", "UPDATE: " for a corrected map."""
    with translation.override(language):
        parts = [f"M {summary.magnitude:.1f}", summary.where(language)]
        if word := summary.alert_word(language):
            parts.insert(0, gettext("%(level)s alert") % {"level": word})
        prefix = gettext("UPDATE: ") if summary.is_update else ""
    return prefix + " – ".join(parts)


def flood_subject(summary: FloodSummary, language: str) -> str:
    """The flood's one-line title ("Jakarta flood … – 158 RW flooded – …"), as the feeds write it."""
    return summary.title(language)


def number(value: float | int, decimals: int = 0) -> str:
    return formats.number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def number_range(text: str | None) -> str | None:
    """The processor's "1,000 - 10,000" with the active language's separators ("1.000 - 10.000")."""
    if text is None or not re.fullmatch(r"[\d,]+( - [\d,]+)?", text):
        return text
    return " - ".join(number(int(part.replace(",", ""))) for part in text.split(" - "))


def unsubscribe_url(subscriber: Subscriber) -> str:
    return absolute(reverse("subscribe-unsubscribe", kwargs={"token": subscriber.token}))


def quake_context(summary: QuakeSummary, language: str) -> dict:
    """Values for the templates, formatted in the active language."""
    exposure = [{"roman": roman, "shaking": str(shaking), "people": number(people(summary.exposure.get(roman)))}
                for roman, _colour, shaking in EXPOSURE_CLASSES if people(summary.exposure.get(roman))]
    return {
        "local_time": local_time(summary.time, summary.longitude),  # the epicentre's clock: WIB, WITA or WIT
        "utc_time": utc_time(summary.time),
        "magnitude": number(summary.magnitude, 1),
        "depth": number(summary.depth_km),
        "latitude": number(summary.latitude, 2),
        "longitude": number(summary.longitude, 2),
        "where": summary.where(language),
        "alert_word": summary.alert_word(language),
        "fatalities": number_range(summary.fatalities_range),
        "mmi": summary.mmi_roman,
        "exposure": exposure,
        "feeds": [absolute(path) for path in FEEDS["earthquake"]],
    }


def flood_context(summary: FloodSummary) -> dict:
    def count(value):
        return number(value) if value is not None else None

    return {
        "local_time": local_time(summary.time, JAKARTA[0]),
        "utc_time": utc_time(summary.time),
        "affected": count(summary.affected), "displaced": count(summary.displaced),
        "flooded_rw": count(summary.flooded_rw), "caution_rw": count(summary.caution_rw),
        "villages": count(summary.villages),
        "detail_url": absolute(reverse("flood-detail", kwargs={"event_id": summary.event_id})),
        "feeds": [absolute(path) for path in FEEDS["flood"]],
    }


def attachment(summary: QuakeSummary | FloodSummary, language: str):
    """The report PDF in the reader's language (else another language's), or None when there is none."""
    if isinstance(summary, QuakeSummary):
        return summary.pdf(language)
    pdfs = [d for d in summary.documents if d.path]
    ranked = sorted(pdfs, key=lambda d: (d.language != language, d.kind != "report"))
    return ranked[0] if ranked else None


def alert_message(delivery: Delivery) -> EmailMultiAlternatives:
    """The whole message for one delivery, rendered in the subscriber's language."""
    subscriber = delivery.subscriber
    language = subscriber.language if subscriber.language in ("en", "id") else "en"
    with translation.override(language):
        if delivery.earthquake_id:
            summary = quake_summary(delivery.earthquake)
            subject, name, context = quake_subject(summary, language), "quake", quake_context(summary, language)
        else:
            summary = flood_summary(delivery.flood)
            subject, name, context = flood_subject(summary, language), "flood", flood_context(summary)
        document = attachment(summary, language)
        context.update(summary=summary, subject=subject, subscriber=subscriber, document=document,
                       unsubscribe_url=unsubscribe_url(subscriber), site_url=settings.SITE_URL)
        text = render_to_string(f"events/email/{name}.txt", context)
        html = render_to_string(f"events/email/{name}.html", context)
    message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [subscriber.email],
                                     headers=unsubscribe_headers(subscriber))
    message.attach_alternative(html, "text/html")
    if document is not None and document.path:
        try:
            with open(document.path, "rb") as pdf:
                message.attach(pdf_name(summary, language), pdf.read(), "application/pdf")
        except OSError as exc:  # the file went missing: the message still goes, with its links
            logger.warning("delivery %s: report PDF not attached (%s)", delivery.pk, exc)
    return message


def pdf_name(summary: QuakeSummary | FloodSummary, language: str) -> str:
    event_id = f"{summary.shake_id}-{summary.source_type}" if isinstance(summary, QuakeSummary) else summary.event_id
    return f"{event_id}-{language}.pdf"


def unsubscribe_headers(subscriber: Subscriber) -> dict[str, str]:
    """RFC 2369 and RFC 8058: the mail client may POST "List-Unsubscribe=One-Click" to the link."""
    return {"List-Unsubscribe": f"<{unsubscribe_url(subscriber)}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Message-ID": make_msgid(domain=urlsplit(settings.SITE_URL).hostname or "localhost")}


# --- sending --------------------------------------------------------------------------------------------

def send(delivery: Delivery) -> Outcome:
    """One attempt to mail this delivery; the Outcome says whether and when to try again."""
    if not delivery.subscriber.active:  # unsubscribed while the message waited for a retry
        return Outcome(sent=False, error="the subscriber unsubscribed before it was sent")
    try:
        message = alert_message(delivery)
    except UnreadableImpact as error:  # logged once by events.summary; final: the same document cannot be read later
        return Outcome(sent=False, error=f"not sent: the version's impact summary cannot be read: {error}")
    message_id = message.extra_headers["Message-ID"]
    try:
        message.send(fail_silently=False)
    except Exception as exc:  # noqa: BLE001 - every failure becomes an Outcome; dispatch records it
        return failure(exc, delivery.attempts)
    return Outcome(sent=True, message_id=message_id if len(message_id) <= 64 else "")


def failure(exc: Exception, attempts: int) -> Outcome:
    """A 5xx refusal of this recipient or message is final; anything else (outage, 4xx, login) is retried."""
    code = smtp_code(exc)
    error = f"{type(exc).__name__}: {describe(exc)}"
    if code is not None and 500 <= code < 600 and isinstance(exc, (smtplib.SMTPRecipientsRefused,
                                                                    smtplib.SMTPDataError)):
        return Outcome(sent=False, error=error, response_code=code)
    if attempts >= MAX_ATTEMPTS:
        return Outcome(sent=False, error=f"gave up after {attempts} attempts: {error}", response_code=code)
    return Outcome(sent=False, error=error, response_code=code, retry_in=RETRY_SCHEDULE[max(0, attempts - 1)])


def smtp_code(exc: Exception) -> int | None:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [answer[0] for answer in exc.recipients.values()]
        return max(codes) if codes else None
    return getattr(exc, "smtp_code", None)


def describe(exc: Exception) -> str:
    """The server's answer, never our credentials (smtplib puts none in its exceptions; we add none)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return "; ".join(f"{address}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
                         for address, (code, text) in exc.recipients.items())
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else exc.smtp_error
        return f"{exc.smtp_code} {text}"
    return str(exc) or type(exc).__name__


# --- the subscription's own mail ------------------------------------------------------------------------

def confirmation_message(subscriber: Subscriber, confirm_url: str, language: str) -> EmailMessage:
    """The double opt-in mail: one link to a page whose button confirms (scanners only ever GET it)."""
    with translation.override(language):
        context = {"confirm_url": confirm_url, "site_url": settings.SITE_URL, "subscriber": subscriber}
        subject = gettext("Confirm your InaSAFE Realtime alerts")
        text = render_to_string("events/email/confirm.txt", context)
    return EmailMessage(subject, text, settings.DEFAULT_FROM_EMAIL, [subscriber.email])
