"""Push event products to the InaSAFE Django web app over its REST API.

The contract is the old processor's: session login with CSRF (HTTP Basic as a
fallback), then create-or-update — GET, then PUT when it exists or POST when
it does not — for the event, each report language, and the push indicator.
Every push goes through the ledger's outbox first, so an outage of the web
app delays reports but never loses them.

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
"""

from __future__ import annotations

import io
import json
import logging
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin

import requests

from realtime.ledger import EventKey, Ledger

log = logging.getLogger(__name__)
MAX_RETRY_SECONDS = 600
MAX_AGE_SECONDS = 72 * 3600
FIRST_RETRY_SECONDS = 5
REFUSED_CREDENTIALS = (401, 403)  # log in again once; refused again: retried, shown as a configuration problem
RETRIED_CLIENT_ERRORS = (*REFUSED_CREDENTIALS, 408, 429)
ANSWER_CHARS = 300  # of the web app's answer kept in the outbox
LOCK_WAIT_SECONDS = 30.0  # for another process's delivery to end


class PushError(RuntimeError):
    """The web app did not take the push; the message says which call and what it answered.

    `status` is the HTTP status of the answer, None when there was no answer (timeout, no connection).
    """

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status

    @property
    def permanent(self) -> bool:
        """A 4xx the web app means about the data itself: sending it again cannot help."""
        return self.status is not None and 400 <= self.status < 500 and self.status not in RETRIED_CLIENT_ERRORS


def _network_error(what: str, exc: requests.RequestException, timeout: float) -> PushError:
    if isinstance(exc, requests.Timeout):
        return PushError(f"{what}: timed out after {timeout:g} s")
    if isinstance(exc, requests.ConnectionError):
        return PushError(f"{what}: cannot connect to the web app ({type(exc).__name__})")
    return PushError(f"{what}: {type(exc).__name__}")


def _answer(response: requests.Response) -> str:
    """The web app's answer on one line, trimmed for the outbox and the logs."""
    return " ".join(response.text.split())[:ANSWER_CHARS]


class RealtimeRest:
    def __init__(self, base_url: str, user: str, password: str, timeout: float = 60.0):
        self.base = base_url if base_url.endswith("/") else base_url + "/"
        self.user, self.password, self.timeout = user, password, timeout
        self.session = self._new_session()
        self._logged_in = False

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        session.headers["User-Agent"] = "InaSAFE-Realtime-processor"
        return session

    def url(self, path: str) -> str:
        return urljoin(self.base, path)

    def login(self) -> None:
        """Session login with CSRF; when the login page is not there, use HTTP Basic instead."""
        login_url = self.url("auth/login/")
        try:
            page = self.session.get(login_url, timeout=self.timeout)
            token = self.session.cookies.get("csrftoken")
            if page.status_code == 200 and token:
                answer = self.session.post(
                    login_url,
                    data={"username": self.user, "password": self.password, "csrfmiddlewaretoken": token, "next": self.base},
                    headers={"Referer": login_url, "X-CSRFTOKEN": token},
                    timeout=self.timeout,
                    allow_redirects=False,
                )
                if answer.status_code in (200, 302) and self.session.cookies.get("sessionid"):
                    self._logged_in = True
                    return
            self.session.auth = (self.user, self.password)
            self._logged_in = True
        except requests.RequestException as exc:
            raise _network_error(f"login at {login_url}", exc, self.timeout) from exc

    def relogin(self) -> None:
        """Drop the session (expired, or its CSRF token stale) and log in afresh."""
        self.session.close()
        self.session = self._new_session()
        self._logged_in = False
        self.login()

    def _send(self, method: str, path: str, headers: dict, kwargs: dict) -> requests.Response:
        if not self._logged_in:
            self.login()
        headers = dict(headers)
        token = self.session.cookies.get("csrftoken")
        if token:
            headers["X-CSRFTOKEN"] = token  # Django rotates it at login: read it fresh every call
        headers.setdefault("Referer", self.base)
        try:
            return self.session.request(method, self.url(path), headers=headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise _network_error(f"{method} {path}", exc, self.timeout) from exc

    def call(self, method: str, path: str, ok: tuple[int, ...] = (200, 201), **kwargs) -> requests.Response:
        """One API call; refused credentials get one fresh login and one more try."""
        headers = kwargs.pop("headers", {})
        response = self._send(method, path, headers, kwargs)
        if response.status_code in REFUSED_CREDENTIALS and response.status_code not in ok:
            log.info("%s %s: HTTP %d; logging in again", method, path, response.status_code)
            self.relogin()
            response = self._send(method, path, headers, kwargs)
        if response.status_code not in ok:
            raise PushError(f"{method} {path}: HTTP {response.status_code} {_answer(response)}", response.status_code)
        return response

    def upsert(self, detail_path: str, create_path: str, **kwargs) -> str:
        """PUT the record if it exists, POST it if not; returns which was done."""
        existing = self.call("GET", detail_path, ok=(200, 404))
        if existing.status_code == 200:
            self.call("PUT", detail_path, **kwargs)
            return "updated"
        self.call("POST", create_path, **kwargs)
        return "created"


def _read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _zip(folder: Path, names: list[str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in names:
            if (folder / name).exists():
                archive.write(folder / name, arcname=name)
    return buffer.getvalue()


def _files(folder: Path, names: dict[str, str]) -> dict:
    return {field: (name, (folder / name).read_bytes()) for field, name in names.items()}


def push_earthquake(client: RealtimeRest, folder: Path) -> None:
    document = _read_json(folder / "impact.json")
    shake_id, source_type = document["shake_id"], document["source_type"]
    event = document["event"]
    payload = {
        "shake_id": shake_id,
        "source_type": source_type,
        "magnitude": event["magnitude"],
        "time": event["time"],
        "depth": event["depth_km"],
        "location": {"type": "Point", "coordinates": [event["longitude"], event["latitude"]]},
        "location_description": event["description"],
        "felt": False,
        "impact": document,
    }
    detail = f"earthquake/{shake_id}/{source_type}/"
    client.upsert(detail, "earthquake/", json=payload)
    products = [name for key, name in document["products"].items() if key != "reports"]
    mmi_output = _zip(folder, ["impact.json", *products])
    client.call("PUT", detail, files={"mmi_output": (f"{shake_id}-mmi-output.zip", mmi_output)})
    for language, names in document["products"].get("reports", {}).items():
        files = _files(folder, {"report_pdf": names["pdf"], "report_image": names["png"], "report_thumbnail": names["thumbnail"]})
        client.upsert(f"earthquake-report/{shake_id}/{source_type}/{language}/",
                      f"earthquake-report/{shake_id}/{source_type}/", data={"language": language}, files=files)
    try:
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        client.call("POST", "indicator/notify_shakemap_push/", data={"timestamp": stamp})
    except PushError as exc:  # the indicator is a courtesy; the event itself is delivered
        log.warning("push indicator not updated: %s", exc)


def push_flood(client: RealtimeRest, folder: Path) -> None:
    document = _read_json(folder / "impact.json")
    flood_id = document["flood_id"]
    data = {
        "event_id": flood_id,
        "time": document["time"],
        "interval": document["duration_hours"],
        "data_source": document["source"]["name"],
        "source": document["source"]["schema"],
        "region": "Jakarta",
        "impact": json.dumps(document),
    }
    files = {
        "hazard_layer": (f"{flood_id}-flood_data.json", (folder / document["products"]["hazard"]).read_bytes()),
        "impact_layer": (f"{flood_id}-impact.zip", _zip(folder, [document["products"]["impact"], "impact.json"])),
    }
    client.upsert(f"flood/{flood_id}/", "flood/", data=data, files=files)
    for language, names in document["products"].get("reports", {}).items():
        client.upsert(f"flood-report/{flood_id}/{language}/", f"flood-report/{flood_id}/",
                      data={"language": language}, files=_files(folder, {"impact_map": names["pdf"]}))


PUSHERS = {"earthquake": push_earthquake, "flood": push_flood}
ID_KEYS = {"earthquake": "shake_id", "flood": "flood_id"}


class WrongProducts(ValueError):
    """The folder holds another event's products, or another version's: pushing them would mislabel a report."""


def check_products_match(item: dict) -> None:
    """An outbox row pushes its own event and version, never whatever the folder holds now."""
    impact = Path(item["folder"]) / "impact.json"
    document = _read_json(impact)
    named = document.get(ID_KEYS[item["kind"]])
    if named != item["event_id"]:
        raise WrongProducts(f"{impact}: holds the products of {item['kind']} {named!r}, not of {item['event_id']!r}")
    version = (document.get("input") or {}).get("sha256")
    if version and item["sha256"] and version != item["sha256"]:
        raise WrongProducts(f"{impact}: holds version {version[:12]}, not {item['sha256'][:12]}; "
                            "a newer version was processed and is pushed on its own")


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
    try:
        check_products_match(item)
        PUSHERS[item["kind"]](client, Path(item["folder"]))
    except PushError as exc:
        _push_failed(ledger, item, exc, retry_max, max_age)
        return False
    except (OSError, KeyError, ValueError) as exc:  # requests' errors are PushError by now
        reason = _unreadable(Path(item["folder"]), exc)
        ledger.push_dead(item["id"], reason)
        log.error("push of %s is dead: %s", name, reason)
        return False
    ledger.push_sent(item["id"])
    ledger.set_state(EventKey(item["kind"], item["event_id"], item["source_type"], item["sha256"]), "pushed")
    log.info("pushed %s to the web app", name)
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
        return f"{folder / 'impact.json'}: no {exc.args[0]!r} in it"
    return f"{folder / 'impact.json'}: unreadable ({type(exc).__name__}: {exc})"
