"""Subscribing, confirming and unsubscribing, shared by the public pages and `manage.py addsubscriber`.

Double opt-in without telling anyone whether an address is already subscribed: a request never changes an
existing row. The wanted preferences travel signed in the confirmation link and are applied only when the
owner of the mailbox presses "confirm", so nobody can change or silence someone else's alerts.
"""

from __future__ import annotations

import secrets

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext

from events.models import ALERT_LEVELS, Subscriber

PREFERENCE_FIELDS = ("language", "min_alert", "min_magnitude", "bbox_west", "bbox_south", "bbox_east",
                     "bbox_north", "earthquakes", "floods")
HAZARDS = ("earthquake", "flood")
SALT = "events.subscriptions.confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600  # a confirmation link works for a week


def new_token() -> str:
    return secrets.token_urlsafe(32)  # 43 characters, 256 bits


def bbox_problem(west: float, south: float, east: float, north: float) -> str | None:
    """What is wrong with a W,S,E,N box, or None. West > east is allowed: the box crosses 180°."""
    if not all(-180 <= value <= 180 for value in (west, east)):
        return gettext("West and east must be longitudes between -180 and 180.")
    if not all(-90 <= value <= 90 for value in (south, north)):
        return gettext("South and north must be latitudes between -90 and 90.")
    if south >= north:
        return gettext("South must be less than north.")
    return None


def parse_bbox(text: str) -> tuple[float, float, float, float]:
    """"W,S,E,N" in degrees; ValueError with a readable message."""
    parts = [part.strip() for part in text.split(",")]
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise ValueError(f"--bbox wants four numbers W,S,E,N, got {text!r}") from None
    if problem := bbox_problem(west, south, east, north):
        raise ValueError(f"--bbox {text}: {problem}")
    return west, south, east, north


def magnitude_problem(value: float) -> str | None:
    return None if 0 <= value <= 10 else gettext("The minimum magnitude must be between 0 and 10.")


def alert_problem(value: str) -> str | None:
    if value in ALERT_LEVELS:
        return None
    return gettext("The alert level must be one of %(levels)s.") % {"levels": ", ".join(ALERT_LEVELS)}


def hazards_preferences(hazards) -> dict[str, bool]:
    return {"earthquakes": "earthquake" in hazards, "floods": "flood" in hazards}


def request_subscription(email: str, preferences: dict) -> tuple[Subscriber, str]:
    """The subscriber row for this address (created unconfirmed if new) and the signed wanted preferences."""
    subscriber = Subscriber.objects.filter(email__iexact=email).first()
    if subscriber is None:
        subscriber = Subscriber.objects.create(email=email, token=new_token(), **preferences)
    return subscriber, signing.dumps({"pk": subscriber.pk, **preferences}, salt=SALT, compress=True)


def signed_preferences(subscriber: Subscriber, blob: str) -> dict | None:
    """The preferences a confirmation link carries, if it is genuine, recent and this subscriber's."""
    try:
        data = signing.loads(blob, salt=SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("pk") != subscriber.pk:
        return None
    return {name: data[name] for name in PREFERENCE_FIELDS if name in data}


def confirm(subscriber: Subscriber, preferences: dict | None = None) -> None:
    """Apply the confirmed preferences and (re)activate the subscription."""
    for name, value in (preferences or {}).items():
        setattr(subscriber, name, value)
    subscriber.confirmed_at = timezone.now()
    subscriber.unsubscribed_at = None
    subscriber.save()


def unsubscribe(subscriber: Subscriber) -> None:
    if subscriber.unsubscribed_at is None:
        subscriber.unsubscribed_at = timezone.now()
        subscriber.save(update_fields=["unsubscribed_at"])
