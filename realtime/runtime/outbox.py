"""The push outbox: every delivery is written down before it is tried, so an
outage of the web app delays reports but never loses them.

What is retried and what is not:
- a 4xx other than 401, 403, 408 and 429 means the web app will never take
  this data: the delivery is dead, with the answer, until
  `realtime push --retry-dead` (after the data or the web app is fixed);
- a product folder that cannot be read is dead too (nothing to send);
- 401 and 403 first log in again once (sessions expire); refused again, it
  is a configuration problem (password, or the user's permissions) that an
  operator fixes without touching the event, so it is retried with backoff
  and shown by `realtime status`;
- 5xx, 408, 429, timeouts and refused connections are outages: retried
  with exponential backoff (capped), dead only past the maximum age.

Before sending, the web app is asked whether it holds the version already
(`web_holds`): a delivery queued twice (two workers rebuilding their state at
once, or a rebuild while the web app was down) is then sent once, and marked
sent without uploading again.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

from realtime.event_folder import IMPACT_JSON, input_sha256
from realtime.runtime.hazards import HAZARDS, Hazard
from realtime.runtime.ledger import EventKey, Ledger, ledger_at
from realtime.runtime.rest import REFUSED_CREDENTIALS, PushError, RealtimeRest
from realtime.settings import Settings

log = logging.getLogger(__name__)
MAX_RETRY_SECONDS = 600
MAX_AGE_SECONDS = 72 * 3600
FIRST_RETRY_SECONDS = 5
LOCK_WAIT_SECONDS = 30.0  # for another process's delivery to end


def rest_client(settings: Settings) -> RealtimeRest | None:
    if not settings.push_configured:
        return None
    return RealtimeRest(settings.rest_url, settings.rest_user, settings.rest_password.get_secret_value(),
                        settings.rest_timeout)


def flush_outbox(settings: Settings, force: bool = False) -> tuple[int, int]:
    """Deliver what is due (everything pending with `force`); returns (delivered, still pending)."""
    return deliver_pending(ledger_at(settings.state_dir), rest_client(settings), force=force,
                           retry_max=settings.push_retry_max, max_age=settings.push_max_age_hours * 3600)


class WrongProducts(ValueError):
    """The folder holds another event's products, or another version's: pushing them would mislabel a report."""


def check_products_match(item: dict) -> dict:
    """An outbox row pushes its own event and version, never whatever the folder holds now; returns its impact.json."""
    impact = Path(item["folder"]) / IMPACT_JSON
    document = json.loads(impact.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise WrongProducts(f"{impact}: not an impact record (a JSON object)")
    named = document.get(HAZARDS[item["kind"]].id_key)
    if named != item["event_id"]:
        raise WrongProducts(f"{impact}: holds the products of {item['kind']} {named!r}, not of {item['event_id']!r}")
    version = input_sha256(impact.parent, document)
    if version and item["sha256"] and version != item["sha256"]:
        raise WrongProducts(f"{impact}: holds version {version[:12]}, not {item['sha256'][:12]}; "
                            "a newer version was processed and is pushed on its own")
    return document


def record_path(hazard: Hazard, key: EventKey, document: dict) -> str:
    """The web app's record of one event: `<collection>/<id>/`, then `<source type>/` when the hazard has one
    (or the hazard's own path, from its impact.json: ash events are named by volcano and time)."""
    if hazard.record is not None:
        return hazard.record(document)
    return f"{hazard.endpoints[0]}{key.event_id}/" + (f"{key.source_type}/" if key.source_type else "")


def web_holds(client: RealtimeRest, hazard: Hazard, key: EventKey, document: dict) -> bool:
    """Does the web app hold exactly these products: its record's impact is this impact.json, with a report in
    every language the folder has? The push writes `impact` last, so a push cut short never passes.

    Raises PushError when the web app cannot be asked (an outage, refused credentials).
    """
    answer = client.call("GET", record_path(hazard, key, document), ok=(200, 404))
    if answer.status_code == 404:
        return False
    try:
        record = answer.json()
        remote = record.get("impact")
        remote = json.loads(remote) if isinstance(remote, str) else remote  # older records keep it as text
        languages = {report.get("language") for report in record.get("reports") or []}
    except (ValueError, AttributeError, TypeError):
        return False
    wanted = set(((document.get("products") or {}).get("reports") or {}))
    return remote == document and wanted <= languages


def deliver_pending(ledger: Ledger, client: RealtimeRest | None, force: bool = False,
                    retry_max: float = MAX_RETRY_SECONDS, max_age: float = MAX_AGE_SECONDS,
                    wait: float = LOCK_WAIT_SECONDS) -> tuple[int, int]:
    """Try every due push in the outbox; returns (delivered, still pending).

    `force` ignores the backoff; `max_age` (seconds since the delivery was queued) ends the retries. One process
    delivers at a time; one that waits `wait` seconds in vain leaves the outbox to the other.
    """
    if client is None:
        pending = ledger.pending_pushes()
        if pending:
            log.info("push skipped: INASAFE_REALTIME_REST_URL/USER/PASSWORD not set; %d push(es) wait in the outbox", pending)
        return 0, pending
    with ledger.delivery_lock(wait) as ours:
        if not ours:
            log.info("another process is delivering the outbox; it is left to it")
            return 0, ledger.pending_pushes()
        delivered = sum(_deliver(ledger, client, item, retry_max, max_age)
                        for item in ledger.due_pushes(include_future=force))
    return delivered, ledger.pending_pushes()


def _deliver(ledger: Ledger, client: RealtimeRest, item: dict, retry_max: float, max_age: float) -> bool:
    """One outbox row: sent, failed (retried later) or dead; True when sent."""
    name = f"{item['kind']} {item['event_id']}"
    hazard, key = HAZARDS[item["kind"]], EventKey(item["kind"], item["event_id"], item["source_type"], item["sha256"])
    try:
        document = check_products_match(item)
        held = web_holds(client, hazard, key, document)
        if not held:
            hazard.push(client, Path(item["folder"]))
    except PushError as exc:
        _push_failed(ledger, item, exc, retry_max, max_age)
        return False
    except (OSError, KeyError, ValueError) as exc:  # requests' errors are PushError by now
        reason = _unreadable(Path(item["folder"]), exc)
        ledger.push_dead(item["id"], reason)
        log.error("push of %s is dead: %s", name, reason)
        return False
    ledger.push_sent(item["id"])
    ledger.set_state(key, "pushed")
    log.info("%s %s", name, "was in the web app already: not sent again" if held else "pushed to the web app")
    return True


def _push_failed(ledger: Ledger, item: dict, exc: PushError, retry_max: float, max_age: float) -> None:
    name = f"{item['kind']} {item['event_id']}"
    age = time.time() - (item["pending_since"] or time.time())
    if exc.permanent:
        ledger.push_dead(item["id"], str(exc), exc.status)
        log.error("push of %s is dead, the web app refused it: %s", name, exc)
    elif age > max_age:
        reason = f"gave up after {age / 3600:.1f} h of retries; last: {exc}"
        ledger.push_dead(item["id"], reason, exc.status)
        log.error("push of %s is dead: %s", name, reason)
    else:
        retry_in = min(retry_max, FIRST_RETRY_SECONDS * 2 ** min(item["attempts"], 30))
        ledger.push_failed(item["id"], str(exc), retry_in, exc.status)
        if exc.status in REFUSED_CREDENTIALS:
            log.error("push of %s refused (%s): check INASAFE_REALTIME_REST_USER/PASSWORD and the user's "
                      "permissions in the web app; retry in %d s", name, exc, retry_in)
        else:
            log.warning("push of %s failed (%s); retry in %d s", name, exc, retry_in)


def _unreadable(folder: Path, exc: Exception) -> str:
    """Why the product folder cannot be pushed, naming the file."""
    if isinstance(exc, WrongProducts):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: cannot read it ({exc.strerror or type(exc).__name__})"
    if isinstance(exc, KeyError):
        return f"{folder / IMPACT_JSON}: no {exc.args[0]!r} in it"
    return f"{folder / IMPACT_JSON}: unreadable ({type(exc).__name__}: {exc})"
