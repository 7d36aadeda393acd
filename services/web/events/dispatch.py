"""From a published version to Delivery rows, and from a due Delivery to one attempt on its channel.

The push only stamps `published_at` and, after commit, calls `version_published`; that queues a task and
returns. If the broker is down the push still succeeds: the beat `sweep` plans every version published
within NOTIFY_MAX_AGE_HOURS and sends every due Delivery, so nothing is lost, and the unique constraints on
Delivery keep it to one message per recipient and version however often planning runs.

Channels (events.notify_email, events.webhooks) implement `send(delivery) -> Outcome`; this module owns
the retry bookkeeping so both channels retry, give up and log the same way.

A version whose impact.json cannot be read (events.summary raises UnreadableImpact, logged as one ERROR line
naming the event and the key) is planned for nobody: who wants it depends on the alert level it lacks. A
Delivery planned before its impact became unreadable is given up by its channel with that reason on the row.
Only the version being planned counts: an unreadable version before it (the one a correction or the next flood
report is compared with) is taken as no comparable one by events.notify_rules, so a good version is still told.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from events.models import Delivery, Earthquake, Flood, Subscriber, Webhook
from events.notify_rules import flood_skip_reason, quake_skip_reason, wants_flood, wants_quake
from events.summary import UnreadableImpact, flood_summary, quake_summary

logger = logging.getLogger(__name__)
MAX_CRASHES = 6  # a delivery whose channel keeps raising is given up after this many attempts


@dataclass(frozen=True)
class Outcome:
    """What one attempt came to. `retry_in` (seconds) asks for another attempt; None means final."""

    sent: bool
    error: str = ""
    retry_in: float | None = None
    response_code: int | None = None
    message_id: str = ""
    disable: bool = False  # the webhook answered 410 Gone: stop calling it


def recipients() -> list:
    return [*Subscriber.objects.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True),
            *Webhook.objects.filter(active=True)]


def plan(kind: str, pk: int) -> list[int]:
    """Create the pending Delivery rows this version calls for; returns the ids created now."""
    if kind == "earthquake":
        event = Earthquake.objects.prefetch_related("reports").filter(pk=pk).first()
        summarise, skip, wants, target = (quake_summary, quake_skip_reason, wants_quake, "earthquake")
    else:
        event = Flood.objects.prefetch_related("reports").filter(pk=pk).first()
        summarise, skip, wants, target = (flood_summary, flood_skip_reason, wants_flood, "flood")
    if event is None:
        return []
    try:
        summary = summarise(event)
    except UnreadableImpact:  # logged once by events.summary, naming the event and the key
        return []  # who wants it depends on the alert it lacks: nobody is told rather than told blanks
    if reason := skip(summary):  # an unreadable version before it never stops this one (events.notify_rules)
        logger.info("%s %s: no notifications (%s)", kind, event, reason)
        return []
    planned = Delivery.objects.filter(**{target: event})
    have = {("subscriber", pk) for pk in planned.exclude(subscriber=None).values_list("subscriber_id", flat=True)}
    have |= {("webhook", pk) for pk in planned.exclude(webhook=None).values_list("webhook_id", flat=True)}
    created = []
    for recipient in recipients():
        owner = {"subscriber": recipient} if isinstance(recipient, Subscriber) else {"webhook": recipient}
        if (next(iter(owner)), recipient.pk) in have or not wants(recipient, summary):
            continue  # planned already (the sweep runs every minute: no insert that the constraint refuses)
        channel = "email" if "subscriber" in owner else "webhook"
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(channel=channel, **owner, **{target: event})
        except IntegrityError:  # already planned: one message per recipient and version
            continue
        created.append(delivery.pk)
    return created


def version_published(kind: str, pk: int) -> None:
    """After the publishing commit: queue the planning. Never raises and never waits on a dead broker."""
    from events.tasks import plan_and_send  # the task module imports this one

    try:
        plan_and_send.apply_async((kind, pk), retry=False)
    except Exception as exc:  # broker down: the beat sweep plans it later
        logger.warning("could not queue notifications for %s %s (%s); the sweep will", kind, pk, exc)


def due(now=None):
    now = now or timezone.now()
    return Delivery.objects.filter(status__in=("pending", "failed"), next_attempt_at__lte=now)


def attempt(delivery_id: int, due_only: bool = False) -> Delivery | None:
    """One attempt on a delivery, with the bookkeeping. Rows already sent or given up are left alone; with
    due_only (the tasks), so is a row not due, which is how two tasks queued for one row send it once."""
    from events import notify_email, webhooks

    with transaction.atomic():
        rows = Delivery.objects.select_for_update().filter(pk=delivery_id, status__in=("pending", "failed"))
        if due_only:  # a row another attempt has claimed (its next attempt pushed ahead) is left to that one
            rows = rows.filter(next_attempt_at__lte=timezone.now())
        delivery = rows.select_related("subscriber", "webhook", "earthquake", "flood").first()
        if delivery is None:
            return None
        # Claim it: a concurrent sweep skips a row whose next attempt is in the future.
        delivery.attempts += 1
        delivery.next_attempt_at = timezone.now() + timedelta(minutes=10)
        delivery.save(update_fields=["attempts", "next_attempt_at"])
    channel = notify_email if delivery.channel == "email" else webhooks
    try:
        outcome = channel.send(delivery)
    except Exception as exc:  # a bug in a channel must not lose the message: retry it later, a few times
        logger.exception("delivery %s raised", delivery.pk)
        retry = 300 if delivery.attempts < MAX_CRASHES else None
        outcome = Outcome(sent=False, error=f"{type(exc).__name__}: {exc}", retry_in=retry)
    record(delivery, outcome)
    return delivery


def record(delivery: Delivery, outcome: Outcome) -> None:
    delivery.response_code = outcome.response_code
    delivery.message_id = outcome.message_id or delivery.message_id
    delivery.last_error = outcome.error[:2000]
    if outcome.sent:
        delivery.status, delivery.sent_at = "sent", timezone.now()
    elif outcome.retry_in is not None:
        delivery.status = "failed"
        delivery.next_attempt_at = timezone.now() + timedelta(seconds=outcome.retry_in)
    else:
        delivery.status = "gave_up"
    delivery.save()
    if outcome.disable and delivery.webhook_id:
        Webhook.objects.filter(pk=delivery.webhook_id).update(active=False)
    level = logging.INFO if outcome.sent else logging.WARNING
    logger.log(level, "delivery %s (%s) %s after %s attempt(s)%s", delivery.pk, delivery.channel,
               delivery.status, delivery.attempts, f": {delivery.last_error}" if delivery.last_error else "")


def recent_versions(now=None) -> list[tuple[str, int]]:
    """Versions the sweep re-plans: published recently enough that a notice could still go out."""
    since = (now or timezone.now()) - timedelta(hours=settings.NOTIFY_MAX_AGE_HOURS)
    quakes = Earthquake.objects.filter(published_at__gte=since).values_list("pk", flat=True)
    floods = Flood.objects.filter(published_at__gte=since).values_list("pk", flat=True)
    return [("earthquake", pk) for pk in quakes] + [("flood", pk) for pk in floods]
