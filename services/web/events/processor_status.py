"""What the pages say about the processor, derived from the ProcessorCheck rows at the time of the request.

- online: an answer arrived within the freshness window and no later check went unanswered;
- offline: a check sent at least PROCESSOR_CHECK_TIMEOUT ago got no answer, and none arrived after it;
- unknown: nothing decided yet (no check sent, or only one still within its timeout), or the last answer is
  old because nobody is checking (beat stopped).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from events.models import ProcessorCheck

ONLINE, OFFLINE, UNKNOWN = "online", "offline", "unknown"


@dataclass(frozen=True)
class ProcessorState:
    state: str
    last_answer: datetime | None


def freshness() -> timedelta:
    """An answer counts for two check intervals plus the timeout: one missed beat is no alarm."""
    return timedelta(seconds=2 * settings.PROCESSOR_CHECK_SECONDS + settings.PROCESSOR_CHECK_TIMEOUT)


def processor_state(now: datetime | None = None) -> ProcessorState:
    now = now or timezone.now()
    last_answer = ProcessorCheck.objects.aggregate(last=Max("answered_at"))["last"]
    deadline = now - timedelta(seconds=settings.PROCESSOR_CHECK_TIMEOUT)
    missed = ProcessorCheck.objects.filter(answered_at__isnull=True, sent_at__lte=deadline)
    if last_answer is not None:
        missed = missed.filter(sent_at__gt=last_answer)
    if missed.exists():
        return ProcessorState(OFFLINE, last_answer)
    if last_answer is not None and now - last_answer <= freshness():
        return ProcessorState(ONLINE, last_answer)
    return ProcessorState(UNKNOWN, last_answer)
