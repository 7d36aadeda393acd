"""realtime.flood.source against a real local HTTP server (no mocking of requests/urllib3)."""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from realtime.flood import source as flood_sources
from realtime.flood.snapshot import FloodSourceError
from realtime.flood.source import fetch_petabencana, load_snapshot, read_snapshot_file
from realtime.settings import Settings

SNAPSHOT = Path("flood") / "petabencana-2017022105.json"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (woken early at teardown)
    content_length: bool = True


@dataclass
class Seen:
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]


class ScriptedServer:
    """A ThreadingHTTPServer on 127.0.0.1 whose replies follow a script; the last reply repeats."""

    def __init__(self, replies: list[Reply]) -> None:
        self.replies = replies
        self.seen: list[Seen] = []
        self.stop = threading.Event()
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (http.server naming)
                parts = urlsplit(self.path)
                with server._lock:
                    index = len(server.seen)
                    server.seen.append(Seen(parts.path, parse_qs(parts.query), dict(self.headers)))
                reply = server.replies[min(index, len(server.replies) - 1)]
                if reply.delay and server.stop.wait(reply.delay):
                    return
                try:
                    self.send_response(reply.status)
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    if reply.content_length:
                        self.send_header("Content-Length", str(len(reply.body)))
                    self.end_headers()
                    self.wfile.write(reply.body)
                except OSError:  # the client gave up (timeout test)
                    pass

            def log_message(self, format: str, *args: object) -> None:  # quiet
                pass

        class QuietServer(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address) -> None:
                pass

        self.httpd = QuietServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/floods"

    def close(self) -> None:
        self.stop.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=2)


@pytest.fixture
def serve():
    servers: list[ScriptedServer] = []

    def start(*replies: Reply) -> ScriptedServer:
        server = ScriptedServer(list(replies))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


@pytest.fixture
def snapshot_bytes(fixtures: Path) -> bytes:
    return (fixtures / SNAPSHOT).read_bytes()


def wrapped(result: bytes) -> bytes:
    return b'{"statusCode": 200, "result": ' + result + b"}"


def api(document: object) -> Reply:
    return Reply(200, json.dumps(document).encode(), {"Content-Type": "application/json"})


@pytest.fixture
def default_settings(monkeypatch) -> Settings:
    monkeypatch.delenv("REALTIME_PETABENCANA_ADMIN", raising=False)
    return Settings()


# 1. the real recorded response, replayed
def test_replay_real_fixture(serve, snapshot_bytes, default_settings):
    body = wrapped(snapshot_bytes)
    server = serve(Reply(200, body, {"Content-Type": "application/json"}))
    params = default_settings.petabencana_params

    raw, snapshot = load_snapshot("petabencana", url=server.url, params=params, timeout=5)

    assert raw == body
    assert len(snapshot.areas) == 161
    assert snapshot.schema == "petabencana"
    assert len(server.seen) == 1
    seen = server.seen[0]
    assert seen.path == "/floods"
    assert seen.query == {"city": ["jbd"], "geoformat": ["geojson"], "format": ["json"], "minimum_state": ["1"]}
    assert seen.headers["User-Agent"].startswith("InaSAFE-Realtime/")


# 2. rate limited once, then fine
def test_429_then_200_is_retried(serve, snapshot_bytes):
    body = wrapped(snapshot_bytes)
    server = serve(Reply(429, b"Too Many Requests", {"Retry-After": "0"}), Reply(200, body))

    raw = fetch_petabencana(server.url, {"city": "jbd"}, timeout=5, retries=2, backoff=0)

    assert raw == body
    assert len(server.seen) == 2


def test_huge_retry_after_is_capped(serve, monkeypatch):
    monkeypatch.setattr(flood_sources, "RETRY_AFTER_MAX", 0.2)
    body = wrapped(b'{"type": "FeatureCollection", "features": []}')
    server = serve(Reply(429, b"slow down", {"Retry-After": "86400"}), Reply(200, body))

    started = time.monotonic()
    raw = fetch_petabencana(server.url, {}, timeout=5, retries=1, backoff=0)

    assert raw == body
    assert len(server.seen) == 2
    assert time.monotonic() - started < 2


def test_default_retry_after_cap_is_sane():
    retry = flood_sources._CappedRetry(total=1)
    assert retry.parse_retry_after("86400") == flood_sources.RETRY_AFTER_MAX <= 60
    assert retry.new(total=0).parse_retry_after("3600") == flood_sources.RETRY_AFTER_MAX


def test_429_until_retries_run_out(serve):
    server = serve(Reply(429, b"Too Many Requests", {"Retry-After": "3600"}))
    with pytest.raises(FloodSourceError, match="HTTP 429"):
        fetch_petabencana(server.url, {}, timeout=5, retries=0, backoff=0)
    assert len(server.seen) == 1


# 3. server error on every request
def test_500_every_time(serve):
    server = serve(Reply(500, b"<h1>Internal Server Error</h1> database is down"))

    with pytest.raises(FloodSourceError) as error:
        fetch_petabencana(server.url, {"city": "jbd"}, timeout=5, retries=2, backoff=0)

    message = str(error.value)
    assert "500" in message
    assert "3 attempt(s)" in message
    assert "127.0.0.1" in message and "/floods" in message
    assert "city=jbd" not in message  # no query string in messages
    assert "Internal Server Error" in message
    assert len(server.seen) == 3


def test_404_is_not_retried(serve):
    server = serve(Reply(404, b"x" * 500))
    with pytest.raises(FloodSourceError, match="HTTP 404") as error:
        fetch_petabencana(server.url, {}, timeout=5, retries=3, backoff=0)
    assert len(server.seen) == 1
    assert "x" * 80 in str(error.value) and "x" * 81 not in str(error.value)


# 4. HTML with a 200
def test_html_with_200_is_not_json(serve):
    server = serve(Reply(200, b"<html><body>Bad gateway</body></html>", {"Content-Type": "text/html"}))
    with pytest.raises(FloodSourceError, match="not JSON") as error:
        load_snapshot("petabencana", url=server.url, params={}, timeout=5)
    assert "127.0.0.1" in str(error.value)


# 5. a server slower than the timeout
def test_timeout(serve):
    server = serve(Reply(200, b"{}", delay=10))
    started = time.monotonic()
    with pytest.raises(FloodSourceError, match=r"timed out after 0\.5 s") as error:
        fetch_petabencana(server.url, {}, timeout=0.5, retries=1, backoff=0)
    assert time.monotonic() - started < 4
    assert "127.0.0.1" in str(error.value)
    assert len(server.seen) == 2  # read timeouts are retried for GET


def test_connection_refused():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/floods"
    with pytest.raises(FloodSourceError, match="connection refused") as error:
        fetch_petabencana(url, {}, timeout=2, retries=0, backoff=0)
    assert f"127.0.0.1:{port}/floods" in str(error.value)


# 6. no flooding at all is a valid answer
def test_empty_result_is_no_flooding(serve):
    server = serve(api({"statusCode": 200, "result": {"type": "FeatureCollection", "features": []}}))
    raw, snapshot = load_snapshot("petabencana", url=server.url, params={}, timeout=5)
    assert snapshot.areas == ()
    assert json.loads(raw)["result"]["features"] == []


# 7. a 200 without a usable result
@pytest.mark.parametrize(
    ("document", "problem"),
    [({"statusCode": 200}, "no 'result'"), ({"result": None}, "'result' is null")],
)
def test_missing_or_null_result(serve, document, problem):
    server = serve(api(document))
    with pytest.raises(FloodSourceError, match=problem):
        load_snapshot("petabencana", url=server.url, params={}, timeout=5)


def test_oversized_body_is_refused(serve, monkeypatch):
    monkeypatch.setattr(flood_sources, "MAX_SNAPSHOT_BYTES", 1000)
    declared = serve(Reply(200, b" " * 5000))
    with pytest.raises(FloodSourceError, match="larger than 1000 bytes"):
        fetch_petabencana(declared.url, {}, timeout=5, retries=0)
    streamed = serve(Reply(200, b" " * 200_000, content_length=False))
    with pytest.raises(FloodSourceError, match="larger than 1000 bytes"):
        fetch_petabencana(streamed.url, {}, timeout=5, retries=0)


# 8. file source
@pytest.mark.parametrize("source", ["file", "hazard_file"])
def test_file_source_reads_fixture(fixtures, snapshot_bytes, source):
    path = fixtures / SNAPSHOT
    raw, snapshot = load_snapshot(source, file=path)
    assert raw == snapshot_bytes
    assert len(snapshot.areas) == 161


def test_missing_file_names_the_path(tmp_path):
    missing = tmp_path / "nope" / "flood_data.json"
    with pytest.raises(FloodSourceError, match="flood_data.json") as error:
        load_snapshot("file", file=missing)
    assert str(missing) in str(error.value)
    with pytest.raises(FloodSourceError, match=str(tmp_path.name)):
        read_snapshot_file(tmp_path)  # a directory is not a snapshot


def test_oversized_file_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(flood_sources, "MAX_SNAPSHOT_BYTES", 10)
    path = tmp_path / "big.json"
    path.write_bytes(b"[" + b" " * 20 + b"]")
    with pytest.raises(FloodSourceError, match="larger than 10 bytes"):
        read_snapshot_file(path)


def test_unknown_source_and_file_source_without_file():
    with pytest.raises(FloodSourceError, match="unknown flood data source 'petajakarta'"):
        load_snapshot("petajakarta")
    with pytest.raises(FloodSourceError, match="needs a file path"):
        load_snapshot("file")


# 9. the newer API: admin=ID-JK instead of city=jbd
def test_admin_param(serve, monkeypatch):
    monkeypatch.setenv("REALTIME_PETABENCANA_ADMIN", "ID-JK")
    from_env = Settings().petabencana_params
    assert from_env == Settings(petabencana_admin="ID-JK").petabencana_params
    assert from_env["admin"] == "ID-JK" and "city" not in from_env

    server = serve(api({"statusCode": 200, "result": {"type": "FeatureCollection", "features": []}}))
    load_snapshot("petabencana", url=server.url, params=from_env, timeout=5)
    query = server.seen[0].query
    assert query["admin"] == ["ID-JK"]
    assert "city" not in query
    assert query["geoformat"] == ["geojson"] and query["minimum_state"] == ["1"]
