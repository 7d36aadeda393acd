"""Email to subscribers: one multipart message per Delivery, in the subscriber's language."""

from __future__ import annotations

from events.dispatch import Outcome
from events.models import Delivery


def send(delivery: Delivery) -> Outcome:
    raise NotImplementedError("notify_email.send is being written")
