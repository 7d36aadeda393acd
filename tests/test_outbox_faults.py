"""The outbox under process faults, with real parts: redis, the web app under gunicorn, worker and monitor.

The worker is stopped the way `docker stop` does it: SIGTERM, ten seconds of grace, then SIGKILL for every
process left. The web app sits behind a proxy that holds report uploads, so the stop lands mid-push.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stack import Stack, wait_until
from test_e2e_services import event_with_reports, scenario, upload_by_rename
from realtime.runtime.ledger import ledger_at

pytestmark = pytest.mark.slow
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "content-length", "date", "server"}
GRACE_SECONDS = 10  # docker stop's default


class SlowReportsProxy(ThreadingHTTPServer):
    """Forwards to the web app, holding each report upload (POST/PUT earthquake-report/) for `delay` seconds."""

    daemon_threads = True

    def __init__(self, upstream_port: int, delay: float):
        self.upstream_port, self.delay = upstream_port, delay
        self.upload_started = threading.Event()
        self.uploads: list[str] = []

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.command in ("POST", "PUT") and "/earthquake-report/" in self.path:
                    self.server.uploads.append(self.path)
                    self.server.upload_started.set()
                    time.sleep(self.server.delay)
                upstream = http.client.HTTPConnection("127.0.0.1", self.server.upstream_port, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                upstream.request(self.command, self.path, body=body, headers=headers)
                answer = upstream.getresponse()
                data = answer.read()
                self.send_response(answer.status)
                for name, value in answer.getheaders():  # every Set-Cookie kept: session and CSRF cookies
                    if name.lower() not in HOP_BY_HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(data)
                upstream.close()

            do_GET = do_POST = do_PUT = do_DELETE = _forward

            def log_message(self, format, *args) -> None:
                return

        super().__init__(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class ProxiedStack(Stack):
    """The stack, with the processor pushing through `rest_url` instead of straight to the web app."""

    rest_url: str = ""

    def env(self) -> dict[str, str]:
        env = super().env()
        if self.rest_url:
            env["INASAFE_REALTIME_REST_URL"] = self.rest_url
        return env


def docker_stop(stack: Stack, name: str) -> bool:
    """SIGTERM, the grace period, then SIGKILL for the whole process group; True when the grace ran out."""
    process = stack.processes.pop(name)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=GRACE_SECONDS)
        ran_out = False
    except subprocess.TimeoutExpired:
        ran_out = True
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the container goes, pool children and all
    except ProcessLookupError:
        pass
    process.wait()
    return ran_out


@pytest.fixture
def stack(fixtures, demo_data, tmp_path):
    stack = ProxiedStack(tmp_path / "stack", demo_data)
    stack.start_redis()
    stack.start_web()
    proxy = SlowReportsProxy(stack.web_port, delay=8)  # two uploads outlast the grace period
    stack.rest_url = f"http://127.0.0.1:{proxy.server_address[1]}/realtime/api/v1/"
    stack.proxy = proxy
    stack.start_worker()
    stack.start_monitor()
    yield stack
    stack.stop_all()
    proxy.shutdown()
    proxy.server_close()


def test_worker_stopped_mid_push_delivers_the_event_once_after_the_restart(stack):
    grid = scenario(stack.root / "incoming", 20)
    event_id = grid.parent.name
    upload_by_rename(grid, stack.shakemaps / event_id / "grid.xml")
    assert stack.proxy.upload_started.wait(180), "the push never reached the report uploads"
    assert not [r for r in stack.ledger_rows(event_id) if r["state"] == "pushed"]  # the stop lands mid-push
    assert docker_stop(stack, "worker")  # two held uploads outlast the grace: SIGKILL ends the push midway
    assert not [r for r in stack.ledger_rows(event_id) if r["state"] == "pushed"]

    stack.start_worker()
    rows = stack.wait_pushed(event_id, timeout=120)
    assert len(rows) == 1 and len(stack.ledger_rows(event_id)) == 1
    event = wait_until(lambda: event_with_reports(stack, event_id), 30, what="event with both reports")
    assert sorted(report["language"] for report in event["reports"]) == ["en", "id"]
    assert len(stack.api_get(f"earthquake/{event_id}/").json()["results"]) == 1
    ledger = ledger_at(stack.root / "state")
    assert [row["state"] for row in ledger.pushes("sent", event_id)] == ["sent"]
    assert ledger.count_pushes("pending") == 0 and ledger.count_pushes("dead") == 0
