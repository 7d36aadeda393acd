"""Webhook calls signed per Standard Webhooks 1.0: one POST per Delivery, retried on the spec's schedule.

The body of a Delivery is the same on every attempt (its `timestamp` is when the version was published, not
when it is sent) and so is its `webhook-id`, so a receiver can dedupe retries; only `webhook-timestamp` and
the signature are fresh each time. Redirects are not followed (3xx is a failure), 410 Gone turns the webhook
off, 429/502/504 wait as long as Retry-After asks. The secret and the URL's path never reach a log or the
delivery log: errors name the host only. A version whose impact.json cannot be read is not sent (the payload
would carry a null alert and counts): the Delivery is given up naming the key.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import hashlib
import hmac
import json
import random
import time
from datetime import datetime, timezone as dt_timezone
from urllib.parse import urlsplit

import requests
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from events.dispatch import Outcome
from events.models import Delivery
from events.summary import FloodSummary, QuakeSummary, UnreadableImpact, absolute, flood_summary, quake_summary

SECRET_PREFIX = "whsec_"
MIN_SECRET_BYTES = 24  # the spec: 24 to 64 bytes of randomness
TIMEOUT = 15.0  # seconds, the spec's lower bound
MAX_BODY = 20 * 1024  # the spec: keep payloads under 20 KB
# Wait after attempt n (1-based) before attempt n + 1: the spec's schedule after the immediate first try.
SCHEDULE = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 14 * 3600, 20 * 3600, 24 * 3600)
THROTTLED = (429, 502, 504)  # the receiver asks us to slow down: Retry-After wins over the schedule
USER_AGENT = "InaSAFE-Realtime-Webhooks/1.0"


class SecretError(ValueError):
    """A webhook secret that is not `whsec_` followed by base64 of at least 24 bytes."""


def secret_key(secret: str) -> bytes:
    """The HMAC key inside a `whsec_…` secret (the message never contains the secret)."""
    if not secret.startswith(SECRET_PREFIX):
        raise SecretError(f"the secret must start with {SECRET_PREFIX}")
    try:
        key = base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
    except (binascii.Error, ValueError):
        raise SecretError(f"the secret after {SECRET_PREFIX} must be base64") from None
    if len(key) < MIN_SECRET_BYTES:
        raise SecretError(f"the secret must hold at least {MIN_SECRET_BYTES} bytes (it holds {len(key)})")
    return key


def new_secret() -> str:
    """A fresh secret of 32 random bytes, as `addwebhook --generate-secret` prints it."""
    import secrets

    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256 of "id.timestamp.body">`, the spec's webhook-signature value."""
    digest = hmac.new(secret_key(secret), f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(dt_timezone.utc).isoformat().replace("+00:00", "Z") if value else None


def cap_url(identifier: str) -> str:
    return absolute(f"/realtime/cap/{identifier}.xml")


def _documents(summary: QuakeSummary | FloodSummary) -> dict:
    """{kind: {language: url}} for every product of the version ("grid" has no language)."""
    links: dict = {}
    for document in summary.documents:
        if document.language:
            links.setdefault(document.kind, {})[document.language] = document.url
        else:
            links[document.kind] = document.url
    return links


def quake_data(summary: QuakeSummary) -> dict:
    identifier = f"inasafe-realtime-eq-{summary.shake_id}-{summary.source_type}"
    return {
        "id": f"{summary.shake_id}-{summary.source_type}",
        "shake_id": summary.shake_id,
        "source_type": summary.source_type,
        "is_update": summary.is_update,
        "title": {language: summary.title(language) for language in ("en", "id")},
        "place": {language: summary.where(language) for language in ("en", "id")},
        "time": _iso(summary.time),
        "published_at": _iso(summary.published_at),
        "magnitude": summary.magnitude,
        "depth_km": summary.depth_km,
        "latitude": summary.latitude,
        "longitude": summary.longitude,
        "alert": summary.alert,
        "max_mmi": summary.max_mmi,
        "mmi": summary.mmi_roman,
        "fatalities_range": summary.fatalities_range,
        "fatalities_total": summary.fatalities_total,
        "population_exposed": summary.exposure,
        "population_exposed_total": summary.exposure_total,
        "links": {
            "detail": summary.detail_url,
            **_documents(summary),
            "cap": cap_url(identifier),
            "feeds": {"atom": absolute("/realtime/feeds/earthquakes.atom"),
                      "geojson": absolute("/realtime/feeds/earthquakes.geojson"),
                      "cap": absolute("/realtime/feeds/cap.atom")},
        },
    }


def flood_detail_url(event_id: str) -> str:
    """The flood's own page when the site has one, else the flood list."""
    try:
        return absolute(reverse("flood-detail", kwargs={"event_id": event_id}))
    except NoReverseMatch:
        return absolute(reverse("flood-list"))


def flood_data(summary: FloodSummary) -> dict:
    return {
        "id": summary.event_id,
        "title": {language: summary.title(language) for language in ("en", "id")},
        "time": _iso(summary.time),
        "published_at": _iso(summary.published_at),
        "interval_hours": summary.interval_hours,
        "affected": summary.affected,
        "displaced": summary.displaced,
        "flooded_rw": summary.flooded_rw,
        "caution_rw": summary.caution_rw,
        "villages": summary.villages,
        "links": {
            "detail": flood_detail_url(summary.event_id),
            **_documents(summary),
            "cap": cap_url(f"inasafe-realtime-flood-{summary.event_id}"),
            "feeds": {"atom": absolute("/realtime/feeds/floods.atom"),
                      "cap": absolute("/realtime/feeds/cap.atom")},
        },
    }


def payload(delivery: Delivery) -> bytes:
    """The JSON body `{type, timestamp, data}`; identical on every attempt of the delivery."""
    if delivery.earthquake_id:
        summary = quake_summary(delivery.earthquake)
        kind, data = "earthquake.version_published", quake_data(summary)
    else:
        summary = flood_summary(delivery.flood)
        kind, data = "flood.published", flood_data(summary)
    when = _iso(summary.published_at or delivery.created_at)

    def encode() -> bytes:
        return json.dumps({"type": kind, "timestamp": when, "data": data}, ensure_ascii=False,
                          separators=(",", ":")).encode("utf-8")

    body = encode()
    if len(body) > MAX_BODY:  # cannot happen with today's fields (about 1.5 KB); keep the promise if it ever does
        data.pop("population_exposed", None)
        body = encode()
    return body


def message_id(delivery: Delivery) -> str:
    """Stable per Delivery (one webhook, one version), so every retry carries the same id."""
    return f"msg_{delivery.pk}"


def retry_after(response: requests.Response) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP date), or None."""
    value = response.headers.get("Retry-After", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt_timezone.utc)
    return max(0.0, (when - timezone.now()).total_seconds())


def next_wait(attempt: int) -> float | None:
    """The spec's wait after attempt `attempt` (1-based), with up to 10 % jitter; None: give up."""
    if attempt > len(SCHEDULE):
        return None
    base = SCHEDULE[attempt - 1]
    return base + random.uniform(0, base / 10)


def _host(url: str) -> str:
    return urlsplit(url).hostname or "?"


def send(delivery: Delivery) -> Outcome:
    """One signed POST to the delivery's webhook; the Outcome says whether and when to try again."""
    webhook = delivery.webhook
    if webhook is None or not webhook.active:
        return Outcome(sent=False, error="webhook is turned off")
    ident = message_id(delivery)
    try:
        body = payload(delivery)
    except UnreadableImpact as error:  # logged once by events.summary; a receiver never gets null alert or counts
        return Outcome(sent=False, error=f"not sent: the version's impact summary cannot be read: {error}",
                       message_id=ident)
    timestamp = int(time.time())
    try:
        signature = sign(webhook.secret, ident, timestamp, body)
    except SecretError as exc:  # stored by hand past the command's and the admin's checks: no use retrying
        return Outcome(sent=False, error=f"the webhook's secret is unusable: {exc}", message_id=ident)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": ident,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature,
    }
    wait = next_wait(delivery.attempts)
    try:
        response = requests.post(webhook.url, data=body, headers=headers, timeout=TIMEOUT, allow_redirects=False)
    except requests.Timeout:
        return Outcome(sent=False, error=f"no answer from {_host(webhook.url)} within {TIMEOUT:g} s",
                       retry_in=wait, message_id=ident)
    except requests.RequestException as exc:
        return Outcome(sent=False, error=f"{type(exc).__name__} calling {_host(webhook.url)}",
                       retry_in=wait, message_id=ident)
    code = response.status_code
    response.close()
    if 200 <= code < 300:
        return Outcome(sent=True, response_code=code, message_id=ident)
    if code == 410:
        return Outcome(sent=False, error="HTTP 410 Gone: the webhook is turned off", response_code=code,
                       message_id=ident, disable=True)
    error = f"HTTP {code} from {_host(webhook.url)}"
    if 300 <= code < 400:
        error += " (redirects are not followed)"
    if code in THROTTLED and wait is not None and (asked := retry_after(response)) is not None:
        wait = min(max(asked, 1.0), float(SCHEDULE[-1]))
        error += f", Retry-After {asked:g} s"
    return Outcome(sent=False, error=error, retry_in=wait, response_code=code, message_id=ident)
