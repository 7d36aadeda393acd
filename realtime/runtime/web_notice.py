"""Tell the web app when the processor gives up on an event, so that it emails the admins.

The notice is a Celery task sent by name to the web app's queue on the broker both sides share, the way the
web app's check callbacks come back to it; the processor imports no Django. It is best effort: a broker error
is logged and dropped, never raised into the job (the ledger keeps the failure either way).
"""

from __future__ import annotations

import logging
import re

from realtime.runtime.jobs import Outcome

log = logging.getLogger(__name__)

WEB_QUEUE = "inasafe-django"  # services/web settings.WEB_QUEUE
RECORD_EVENT_FAILURE = "events.tasks.record_event_failure"
GIVEN_UP = ("failed", "gave-up")
CONNECT_ONCE = {"max_retries": 1, "interval_start": 1, "interval_step": 1}
_USERINFO = re.compile(r"(://)[^/\s@]+@")  # user:password@ in a URL quoted by an error


def gave_up(outcome: Outcome) -> bool:
    """A failure that will not be tried again (a retried one may still succeed)."""
    return outcome.status in GIVEN_UP and not outcome.retry and outcome.key is not None


def reason_line(message: str, limit: int = 300) -> str:
    """One line, no URL credentials, at most `limit` characters."""
    line = _USERINFO.sub(r"\1***@", " ".join(message.split()))
    return line if len(line) <= limit else line[:limit - 1] + "…"


def report_failure(app, outcome: Outcome) -> bool:
    """Send the failure to the web app when the job gave up on the event; True when it was sent."""
    if not gave_up(outcome):
        return False
    key = outcome.key
    kwargs = {"hazard": key.kind, "event_id": key.event_id, "reason": reason_line(outcome.message),
              "source_type": key.source_type}
    try:
        # Its own connection, tried twice a second apart: a dead broker costs the task ~1 s, not kombu's 6 s.
        with app.connection_for_write(transport_options=CONNECT_ONCE) as connection:
            app.send_task(RECORD_EVENT_FAILURE, kwargs=kwargs, queue=WEB_QUEUE, retry=False, connection=connection)
    except Exception as exc:  # the broker is down or refuses: processing carries on, the ledger has it
        log.warning("could not tell the web app that %s %s failed (%s)", key.kind, key.event_id,
                    type(exc).__name__)
        return False
    return True
