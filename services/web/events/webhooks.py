"""Webhook calls signed per Standard Webhooks: one POST per Delivery, retried on the spec's schedule."""

from __future__ import annotations

from events.dispatch import Outcome
from events.models import Delivery


def send(delivery: Delivery) -> Outcome:
    raise NotImplementedError("webhooks.send is being written")
