"""The push outbox against the real web app and against misbehaving peers: what is retried, what is dead.

A 4xx the web app means (bad data) and an unreadable product folder are permanent: the delivery is dead,
shown by `realtime status`, and retried by hand with `realtime push --retry-dead`. Outages (5xx, 408, 429,
timeouts, refused connections) back off exponentially up to a cap, and die only past the maximum age.
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
import sqlite3
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from conftest import GRID_INITIAL, run_cli
from servers import django_shell, free_port, web_app, web_env
from test_outbox_faults import SlowReportsProxy
from realtime.runtime.ledger import EventKey, ledger_at
from realtime.runtime.outbox import deliver_pending, flush_outbox
from realtime.runtime.rest import RealtimeRest
from realtime.settings import Settings

SHAKE_ID = "20180220163351"
USER = ("test@realtime.inasafe.org", "t3st-pass")


@pytest.fixture(scope="module")
def products(fixtures, demo_data, tmp_path_factory) -> Path:
    """One real product folder (impact.json, layers, en and id reports) from the pipeline."""
    from realtime.pipeline.shake import process_shake

    result = process_shake(GRID_INITIAL, demo_data, tmp_path_factory.mktemp("products"),
                           now=datetime(2024, 1, 1, tzinfo=timezone.utc), source_type="initial", locales=["en", "id"])
    return result.folder


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("web")
    with web_app(workdir, user=USER) as base:
        yield base, workdir


def api(web) -> str:
    return f"{web[0]}/realtime/api/v1/"


def enqueue(tmp_path: Path, products: Path, version: str = "a", edit=None) -> tuple:
    """A ledger in tmp_path holding one processed event whose push waits in the outbox."""
    folder = tmp_path / "extract" / SHAKE_ID
    if not folder.exists():
        shutil.copytree(products, folder)
    document = json.loads((folder / "impact.json").read_text())
    document["input"]["sha256"] = version * 64  # the products are of this version, as the pipeline records
    if edit:
        edit(document)
    (folder / "impact.json").write_text(json.dumps(document))
    ledger = ledger_at(tmp_path / "state")
    key = EventKey("earthquake", SHAKE_ID, "initial", version * 64)
    ledger.set_state(key, "done")
    ledger.enqueue_push(key, str(folder))
    return ledger, key, folder


def outbox(tmp_path: Path) -> list[dict]:
    with sqlite3.connect(tmp_path / "state" / "ledger.sqlite3") as db:
        db.row_factory = sqlite3.Row
        return [dict(row) for row in db.execute("SELECT * FROM outbox ORDER BY id")]


def status(tmp_path: Path, *args: str) -> str:
    result = run_cli("status", *args, env={"REALTIME_STATE_DIR": str(tmp_path / "state"), "COLUMNS": "200"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def long_description(document: dict) -> None:
    document["event"]["description"] = "Minahassa Peninsula, Sulawesi " * 10  # 300 characters; the API takes 255


# the real web app ---------------------------------------------------------------------------------------

def test_a_400_from_the_web_app_is_dead_with_its_body_and_retried_by_hand(products, web, tmp_path):
    ledger, key, folder = enqueue(tmp_path, products, edit=long_description)
    client = RealtimeRest(api(web), *USER, timeout=30)
    assert deliver_pending(ledger, client) == (0, 0)
    [row] = outbox(tmp_path)
    assert row["state"] == "dead" and row["attempts"] == 1
    assert "HTTP 400" in row["last_error"] and "location_description" in row["last_error"]
    assert "255" in row["last_error"]  # the web app's own words
    assert ledger.due_pushes(include_future=True) == []  # never retried on its own
    shown = status(tmp_path)
    assert "1 dead" in shown and "realtime push --retry-dead" in shown
    assert f"{SHAKE_ID}" in shown and "HTTP 400" in shown and "location_description" in shown

    document = json.loads((folder / "impact.json").read_text())
    document["event"]["description"] = "Minahassa Peninsula, Sulawesi"  # the operator fixes the data
    (folder / "impact.json").write_text(json.dumps(document))
    env = {"REALTIME_STATE_DIR": str(tmp_path / "state"), "INASAFE_REALTIME_REST_URL": api(web),
           "INASAFE_REALTIME_REST_USER": USER[0], "INASAFE_REALTIME_REST_PASSWORD": USER[1]}
    retried = run_cli("push", "--retry-dead", SHAKE_ID, env=env)
    assert retried.returncode == 0, retried.stdout + retried.stderr
    assert "pushed 1" in retried.stdout
    [row] = outbox(tmp_path)
    assert row["state"] == "sent" and row["last_error"] is None
    assert ledger.get(key)["state"] == "pushed"
    event = requests.get(api(web) + f"earthquake/{SHAKE_ID}/initial/", timeout=10).json()
    assert event["location_description"] == "Minahassa Peninsula, Sulawesi"
    assert sorted(report["language"] for report in event["reports"]) == ["en", "id"]
    assert "0 dead" in status(tmp_path)


def test_retry_dead_help_says_what_it_does():
    result = run_cli("push", "--help", env={"COLUMNS": "200"})
    assert result.returncode == 0
    assert "--retry-dead" in result.stdout and "dead" in result.stdout.split("--retry-dead", 1)[1]


def test_a_wrong_password_keeps_retrying_and_status_says_so(products, web, tmp_path):
    ledger, key, _ = enqueue(tmp_path, products)
    client = RealtimeRest(api(web), USER[0], "not-the-password", timeout=30)
    before = time.time()
    assert deliver_pending(ledger, client) == (0, 1)
    [row] = outbox(tmp_path)
    assert row["state"] == "pending" and row["attempts"] == 1
    assert "HTTP 401" in row["last_error"]
    assert row["next_attempt_at"] >= before + 5  # first backoff step
    shown = status(tmp_path)
    assert "HTTP 401" in shown and "INASAFE_REALTIME_REST_PASSWORD" in shown


def test_an_expired_session_logs_in_again_once(products, web, tmp_path):
    ledger, first, _ = enqueue(tmp_path, products, version="a")
    client = RealtimeRest(api(web), *USER, timeout=30)
    assert deliver_pending(ledger, client) == (1, 0)
    assert client.session.cookies.get("sessionid")
    django_shell(web_env(web[1]), "from django.contrib.sessions.models import Session; Session.objects.all().delete()")
    _, second, _ = enqueue(tmp_path, products, version="b")  # a new version of the same event, same client
    assert deliver_pending(ledger, client) == (1, 0)
    assert [row["attempts"] for row in outbox(tmp_path)] == [0, 0]  # no failed attempt: the relogin was silent
    assert ledger.get(second)["state"] == "pushed"


def test_a_user_without_permission_is_refused_after_a_relogin_and_retried(products, web, tmp_path):
    script = ("from django.contrib.auth import get_user_model; U = get_user_model(); "
              "U.objects.filter(username='viewer').delete(); U.objects.create_user('viewer', password='v13wer-pass')")
    django_shell(web_env(web[1]), script)
    ledger, _, _ = enqueue(tmp_path, products)
    assert deliver_pending(ledger, RealtimeRest(api(web), "viewer", "v13wer-pass", timeout=30)) == (0, 1)
    [row] = outbox(tmp_path)
    assert row["state"] == "pending" and "HTTP 403" in row["last_error"]
    assert "HTTP 403" in status(tmp_path)


# an unreadable product folder -----------------------------------------------------------------------------

def test_a_missing_product_folder_is_dead_with_the_reason(products, tmp_path):
    ledger, _, folder = enqueue(tmp_path, products)
    shutil.rmtree(folder)
    client = RealtimeRest(f"http://127.0.0.1:{free_port()}/api/", *USER, timeout=2)
    assert deliver_pending(ledger, client) == (0, 0)
    [row] = outbox(tmp_path)
    assert row["state"] == "dead" and str(folder / "impact.json") in row["last_error"]


def test_a_corrupt_impact_json_is_dead_with_the_reason(products, tmp_path):
    ledger, _, folder = enqueue(tmp_path, products)
    (folder / "impact.json").write_text('{"shake_id": ')
    client = RealtimeRest(f"http://127.0.0.1:{free_port()}/api/", *USER, timeout=2)
    deliver_pending(ledger, client)
    [row] = outbox(tmp_path)
    assert row["state"] == "dead" and "impact.json" in row["last_error"]


def test_products_of_another_event_are_never_pushed_under_this_one(products, web, tmp_path):
    """The outbox row names the event; a folder holding another event's impact.json is dead, nothing sent."""
    ledger, _, _ = enqueue(tmp_path, products, edit=lambda document: document.update(shake_id="20180220163352"))
    client = RealtimeRest(api(web), *USER, timeout=30)
    assert deliver_pending(ledger, client) == (0, 0)
    [row] = outbox(tmp_path)
    assert row["state"] == "dead" and "20180220163352" in row["last_error"] and SHAKE_ID in row["last_error"]
    assert requests.get(api(web) + "earthquake/20180220163352/initial/", timeout=10).status_code == 404


def test_a_delivery_of_an_older_version_does_not_push_the_newer_products(products, tmp_path):
    ledger, _, folder = enqueue(tmp_path, products, version="a")
    enqueue(tmp_path, products, version="b")  # reprocessed: the folder now holds version b
    client = RealtimeRest(f"http://127.0.0.1:{free_port()}/api/", *USER, timeout=2)
    deliver_pending(ledger, client)
    first, second = outbox(tmp_path)
    assert first["state"] == "dead" and "newer version" in first["last_error"]
    assert second["state"] == "pending"  # its own delivery, retried when the web app answers


# misbehaving peers --------------------------------------------------------------------------------------

class Canned(ThreadingHTTPServer):
    """Answers every request with one status and body, after an optional delay; counts what it saw."""

    daemon_threads = True

    def __init__(self, status: int, body: bytes = b"", delay: float = 0.0):
        self.status, self.body, self.delay, self.seen = status, body, delay, []

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.server.seen.append((self.command, self.path))
                time.sleep(self.server.delay)
                self.send_response(self.server.status)
                self.send_header("Content-Length", str(len(self.server.body)))
                self.end_headers()
                self.wfile.write(self.server.body)

            do_GET = do_POST = do_PUT = _answer

            def log_message(self, format, *args) -> None:
                return

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/realtime/api/v1/"


@pytest.fixture
def canned():
    servers = []

    def start(status: int, body: bytes = b"", delay: float = 0.0) -> Canned:
        servers.append(Canned(status, body, delay))
        return servers[-1]

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("status", [500, 503, 408, 429])
def test_outages_back_off_exponentially_up_to_the_cap(products, canned, tmp_path, status):
    server = canned(status, b"try again later")
    ledger, _, _ = enqueue(tmp_path, products)
    client = RealtimeRest(server.url, *USER, timeout=5)
    waits = []
    for _ in range(4):
        before = time.time()
        deliver_pending(ledger, client, force=True, retry_max=30)
        after = time.time()
        [row] = outbox(tmp_path)
        assert row["state"] == "pending"
        waits.append((row["next_attempt_at"] - after, row["next_attempt_at"] - before))
    for (low, high), expected in zip(waits, [5, 10, 20, 30]):  # 5 * 2**attempts, capped at retry_max
        assert low <= expected <= high
    assert row["attempts"] == 4
    assert f"HTTP {status}" in row["last_error"] and "try again later" in row["last_error"]


def test_an_outage_longer_than_the_maximum_age_is_dead(products, canned, tmp_path):
    server = canned(503, b"maintenance")
    ledger, _, _ = enqueue(tmp_path, products)
    client = RealtimeRest(server.url, *USER, timeout=5)
    deliver_pending(ledger, client, force=True, max_age=3600)
    assert outbox(tmp_path)[0]["state"] == "pending"
    deliver_pending(ledger, client, force=True, max_age=0)  # the delivery is now older than allowed
    [row] = outbox(tmp_path)
    assert row["state"] == "dead" and row["attempts"] == 2
    assert "HTTP 503" in row["last_error"] and "maintenance" in row["last_error"] and "gave up" in row["last_error"]


def test_a_web_app_slower_than_the_timeout_is_retried(products, canned, tmp_path):
    server = canned(200, b"{}", delay=3)
    enqueue(tmp_path, products)
    env = {"REALTIME_STATE_DIR": str(tmp_path / "state"), "INASAFE_REALTIME_REST_URL": server.url,
           "INASAFE_REALTIME_REST_USER": USER[0], "INASAFE_REALTIME_REST_PASSWORD": USER[1],
           "REALTIME_REST_TIMEOUT": "0.5"}
    result = run_cli("push", env=env)
    assert result.returncode == 1
    assert "1 still waiting" in result.stdout
    [row] = outbox(tmp_path)
    assert row["state"] == "pending" and row["attempts"] == 1 and "timed out" in row["last_error"]


def test_a_refused_connection_is_retried(products, tmp_path):
    ledger, _, _ = enqueue(tmp_path, products)
    client = RealtimeRest(f"http://127.0.0.1:{free_port()}/realtime/api/v1/", *USER, timeout=5)
    assert deliver_pending(ledger, client) == (0, 1)
    [row] = outbox(tmp_path)
    assert row["state"] == "pending" and row["attempts"] == 1 and "cannot connect" in row["last_error"]
    assert "cannot connect" in status(tmp_path)


# the command, the login fallback and missing credentials ------------------------------------------------

def push_command(tmp_path: Path, rest_url: str, *args: str, password: str = USER[1]):
    """`realtime push` as an operator runs it, against `rest_url`, on the ledger in tmp_path."""
    env = {"REALTIME_STATE_DIR": str(tmp_path / "state"), "INASAFE_REALTIME_REST_URL": rest_url,
           "INASAFE_REALTIME_REST_USER": USER[0], "INASAFE_REALTIME_REST_PASSWORD": password, "COLUMNS": "200"}
    return run_cli("push", *args, env=env)


def held_by_web(web, folder: Path) -> bool:
    """Does the web app's record hold this folder's impact.json, as the processor wrote it?"""
    record = requests.get(api(web) + f"earthquake/{SHAKE_ID}/initial/", timeout=10).json()
    return record["impact"] == json.loads((folder / "impact.json").read_text())


def test_push_delivers_through_an_outage_and_its_exit_code_says_what_is_left(products, web, canned, tmp_path):
    ledger, key, folder = enqueue(tmp_path, products, version="d")
    before = time.time()
    down = push_command(tmp_path, canned(503, b"maintenance").url)  # the web app answers, but cannot take it
    assert down.returncode == 1 and "pushed 0, 1 still waiting, 0 dead" in down.stdout, down.stdout + down.stderr
    [row] = outbox(tmp_path)
    assert (row["state"], row["attempts"], row["last_status"]) == ("pending", 1, 503)
    assert "HTTP 503" in row["last_error"] and "maintenance" in row["last_error"]
    assert row["next_attempt_at"] >= before + 5  # the first backoff step (the steps: the outage tests above)
    ledger.push_failed(row["id"], row["last_error"], 3600)  # a long outage backed it off for an hour

    back = push_command(tmp_path, api(web), "--pending")  # not due for an hour: sent now all the same
    assert back.returncode == 0, back.stdout + back.stderr
    assert "pushed 1, 0 still waiting, 0 dead" in back.stdout
    [row] = outbox(tmp_path)
    assert row["state"] == "sent" and ledger.get(key)["state"] == "pushed" and held_by_web(web, folder)

    enqueue(tmp_path, products, version="e", edit=long_description)  # data the web app refuses for good
    refused = push_command(tmp_path, api(web))
    assert refused.returncode == 1 and "pushed 0, 0 still waiting, 1 dead" in refused.stdout


def test_without_credentials_push_refuses_in_one_line_and_the_delivery_waits(products, web, tmp_path):
    ledger, key, _ = enqueue(tmp_path, products, version="f")
    refused = push_command(tmp_path, api(web), password="")
    assert refused.returncode == 2 and refused.stdout == ""
    [line] = refused.stderr.splitlines()
    assert "INASAFE_REALTIME_REST_PASSWORD not set" in line and "1 delivery waits in the outbox" in line
    assert "INASAFE_REALTIME_REST_URL" not in line and "INASAFE_REALTIME_REST_USER" not in line  # those are set
    [row] = outbox(tmp_path)
    assert (row["state"], row["attempts"], row["last_error"]) == ("pending", 0, None)  # untouched, not lost
    assert ledger.get(key)["state"] == "done"


class WithoutLoginPage(SlowReportsProxy):
    """The real web app behind a proxy with no login page (404), as a web app without DRF's login view:
    the web app itself always serves auth/login/, so only a proxy makes this case. Records each request's
    Authorization header."""

    def __init__(self, upstream_port: int):
        super().__init__(upstream_port, delay=0)
        self.requests: list[tuple[str, str, str]] = []
        forwarding = self.RequestHandlerClass

        class Handler(forwarding):
            def _hide_login(self) -> None:
                self.server.requests.append((self.command, self.path, self.headers.get("Authorization", "")))
                if self.path.endswith("/auth/login/"):
                    self.send_error(404)
                else:
                    forwarding._forward(self)

            do_GET = do_POST = do_PUT = _hide_login

        self.RequestHandlerClass = Handler


def test_without_a_login_page_the_push_falls_back_to_http_basic(products, web, tmp_path):
    ledger, key, folder = enqueue(tmp_path, products, version="c")
    proxy = WithoutLoginPage(int(web[0].rsplit(":", 1)[1]))
    try:
        client = RealtimeRest(f"http://127.0.0.1:{proxy.server_address[1]}/realtime/api/v1/", *USER, timeout=30)
        assert deliver_pending(ledger, client) == (1, 0)
    finally:
        proxy.shutdown()
        proxy.server_close()
    basic = "Basic " + base64.b64encode(f"{USER[0]}:{USER[1]}".encode()).decode()
    login = [(method, path) for method, path, _ in proxy.requests if path.endswith("/auth/login/")]
    assert login == [("GET", "/realtime/api/v1/auth/login/")]  # looked for the page once, posted no form
    api_calls = [auth for _, path, auth in proxy.requests if not path.endswith("/auth/login/")]
    assert api_calls and all(auth == basic for auth in api_calls)
    assert client.session.cookies.get("sessionid") is None
    assert ledger.get(key)["state"] == "pushed" and held_by_web(web, folder)


def test_without_credentials_the_worker_logs_one_line_and_the_delivery_waits(products, tmp_path, caplog):
    """The worker's flush after each event, and at start-up: skipped with one log line, the outbox untouched."""
    enqueue(tmp_path, products, version="g")
    settings = Settings(REALTIME_STATE_DIR=str(tmp_path / "state"), INASAFE_REALTIME_REST_URL="http://127.0.0.1:9/",
                        INASAFE_REALTIME_REST_USER="", INASAFE_REALTIME_REST_PASSWORD="")
    with caplog.at_level(logging.INFO, logger="realtime.runtime.outbox"):
        assert flush_outbox(settings) == (0, 1)
    [line] = [record.getMessage() for record in caplog.records if record.name == "realtime.runtime.outbox"]
    assert "INASAFE_REALTIME_REST_URL/USER/PASSWORD not set" in line and "1 push(es) wait in the outbox" in line
    [row] = outbox(tmp_path)
    assert (row["state"], row["attempts"], row["last_error"]) == ("pending", 0, None)
