"""Push event products to the InaSAFE Django web app over its REST API.

The contract is the old processor's: session login with CSRF (HTTP Basic as a
fallback), then create-or-update — GET, then PUT when it exists or POST when
it does not — for the event, each report language, and the push indicator.
Every push goes through the ledger's outbox first, so an outage of the web
app delays reports but never loses them.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import urljoin

import requests

from realtime.ledger import EventKey, Ledger

log = logging.getLogger(__name__)
MAX_RETRY_SECONDS = 600


class PushError(RuntimeError):
    """The web app did not take the push; the message says which call and what it answered."""


class RealtimeRest:
    def __init__(self, base_url: str, user: str, password: str, timeout: float = 60.0):
        self.base = base_url if base_url.endswith("/") else base_url + "/"
        self.user, self.password, self.timeout = user, password, timeout
        self.session = requests.Session()
        self.session.headers["User-Agent"] = "InaSAFE-Realtime-processor"
        self._logged_in = False

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
            raise PushError(f"{login_url}: cannot reach the web app ({type(exc).__name__})") from exc

    def call(self, method: str, path: str, ok: tuple[int, ...] = (200, 201), **kwargs) -> requests.Response:
        if not self._logged_in:
            self.login()
        headers = kwargs.pop("headers", {})
        token = self.session.cookies.get("csrftoken")
        if token:
            headers["X-CSRFTOKEN"] = token  # Django rotates it at login: read it fresh every call
        headers.setdefault("Referer", self.base)
        try:
            response = self.session.request(method, self.url(path), headers=headers, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise PushError(f"{method} {path}: {type(exc).__name__}") from exc
        if response.status_code not in ok:
            raise PushError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]!r}")
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


def deliver_pending(ledger: Ledger, client: RealtimeRest | None, force: bool = False,
                    retry_max: float = MAX_RETRY_SECONDS) -> tuple[int, int]:
    """Try every due push in the outbox; returns (delivered, still pending)."""
    if client is None:
        pending = ledger.pending_pushes()
        if pending:
            log.info("push skipped: INASAFE_REALTIME_REST_URL/USER/PASSWORD not set; %d push(es) wait in the outbox", pending)
        return 0, pending
    delivered = 0
    for item in ledger.due_pushes(include_future=force):
        key = EventKey(item["kind"], item["event_id"], item["source_type"], item["sha256"])
        try:
            PUSHERS[item["kind"]](client, Path(item["folder"]))
        except (PushError, OSError, KeyError, ValueError) as exc:
            retry_in = min(retry_max, 5 * 2 ** item["attempts"])
            ledger.push_failed(item["id"], str(exc), retry_in)
            log.warning("push of %s %s failed (%s); retry in %d s", item["kind"], item["event_id"], exc, retry_in)
            continue
        ledger.push_sent(item["id"])
        ledger.set_state(key, "pushed")
        delivered += 1
        log.info("pushed %s %s to the web app", item["kind"], item["event_id"])
    return delivered, ledger.pending_pushes()
