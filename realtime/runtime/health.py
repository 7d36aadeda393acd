"""GET /healthz for Rancher's HTTP health checks (it has no exec checks)."""

from __future__ import annotations

import json
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

log = logging.getLogger(__name__)
Check = Callable[[], tuple[bool, dict]]


def serve_health(host: str, port: int, check: Check) -> ThreadingHTTPServer:
    """Answer /healthz with 200 when `check` says healthy, else 503, with its details as JSON."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (http.server naming)
            if self.path.split("?")[0] != "/healthz":
                self.send_error(404)
                return
            try:
                healthy, details = check()
            except Exception as exc:  # a failing check is itself unhealthy, never a crash
                healthy, details = False, {"error": f"{type(exc).__name__}: {exc}"}
            body = json.dumps({"healthy": healthy, **details}, default=str).encode()
            self.send_response(200 if healthy else 503)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args) -> None:  # keep health probes out of the logs
            return

    server = ThreadingHTTPServer((host, port), Handler)
    threading.Thread(target=server.serve_forever, name="healthz", daemon=True).start()
    log.info("health endpoint on http://%s:%d/healthz", host, port)
    return server


class BrokerProbe:
    """Whether the broker accepts a connection; cached for a few seconds so probes stay cheap."""

    def __init__(self, app, ttl: float = 5.0):
        self.app, self.ttl = app, ttl
        self._at, self._ok, self._error = 0.0, False, ""

    def __call__(self) -> tuple[bool, str]:
        if time.monotonic() - self._at > self.ttl:
            try:
                with self.app.connection_for_write() as connection:
                    connection.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
                self._ok, self._error = True, ""
            except Exception as exc:
                self._ok, self._error = False, f"{type(exc).__name__}: {exc}"[:200]
            self._at = time.monotonic()
        return self._ok, self._error
