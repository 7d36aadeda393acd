"""PetaBencana fetch failures the hourly flood run must name in one line: each against a real socket on 127.0.0.1.

test_flood_sources.py covers the HTTP statuses; these are the transport failures under them (a body that
drips forever, a broken chunk, a bad gzip, a dropped connection, TLS spoken to plain HTTP, a full accept
queue, a refusing proxy, unresolvable and unroutable hosts, bad URLs). Each message must name the source
without its query and say what broke, since that line is all the duty officer sees in the ledger.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator

import pytest

from realtime.flood import source as flood_sources
from realtime.flood.snapshot import FloodSourceError
from realtime.flood.source import fetch_petabencana, load_snapshot

Script = Callable[[socket.socket], None]


class RawServer:
    """A TCP server on 127.0.0.1 answering every connection with `script(conn)`: bytes exactly as written."""

    def __init__(self, script: Script, read: bool = True) -> None:
        self.script, self.read = script, read
        self.stop = threading.Event()
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.05)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{self.port}/floods"

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.settimeout(5)
                if self.read:
                    _read_request(conn)
                self.script(conn)
            except OSError:  # the client gave up first
                pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()
        self.thread.join(timeout=2)


def _read_request(conn: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch):
    """Straight to the address under test: a proxy set on the CI runner would answer for every host."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def serve() -> Iterator[Callable[[Script], RawServer]]:
    servers: list[RawServer] = []

    def start(script: Script, read: bool = True) -> RawServer:
        servers.append(RawServer(script, read))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


def fetch_error(url: str, timeout: float = 5, retries: int = 0) -> str:
    with pytest.raises(FloodSourceError) as error:
        fetch_petabencana(url, {"city": "jbd"}, timeout=timeout, retries=retries, backoff=0)
    message = str(error.value)
    assert "city=jbd" not in message  # the query never reaches a message
    return message


def test_a_body_that_drips_forever_is_cut_at_the_deadline(serve, monkeypatch):
    monkeypatch.setattr(flood_sources, "BODY_DEADLINE_FACTOR", 2)
    stop = threading.Event()

    def drip(conn: socket.socket) -> None:
        conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n\r\n")
        while not stop.wait(0.1):  # a chunk every 0.1 s, well within the 2 s read timeout, for ever
            conn.sendall(b" " * flood_sources.CHUNK_BYTES)

    server = serve(drip)
    try:
        # A read timeout of 2 s (20 drips) so that a stalled server thread on a loaded runner is still no read
        # timeout; the deadline is 2 x 2 s.
        message = fetch_error(server.url(), timeout=2)
    finally:
        stop.set()
    assert message.startswith(f"http://127.0.0.1:{server.port}/floods: body took longer than 4 s to arrive (")
    assert "bytes so far" in message


def test_an_error_status_whose_body_breaks_still_names_the_status(serve):
    server = serve(lambda conn: conn.sendall(b"HTTP/1.1 404 Not Found\r\nContent-Length: 500\r\n\r\nno"))
    message = fetch_error(server.url())
    assert "/floods: HTTP 404 Not Found after 1 attempt(s); body starts with ''" in message


def test_a_body_cut_short_is_a_broken_connection(serve):
    server = serve(lambda conn: conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n{\"result\": "))
    assert fetch_error(server.url()).endswith("/floods: connection broke while reading the response")


def test_a_bad_chunk_is_a_broken_connection(serve):
    server = serve(lambda conn: conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n"))
    assert fetch_error(server.url()).endswith("/floods: connection broke while reading the response")


def test_gzip_that_is_not_gzip(serve):
    body = b"this is not gzip at all"
    server = serve(lambda conn: conn.sendall(
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)))
    assert fetch_error(server.url()).endswith("/floods: could not decode the compressed response")


def test_a_connection_closed_without_an_answer_is_retried_then_named(serve):
    server = serve(lambda conn: None)  # reads the request, closes
    message = fetch_error(server.url(), retries=1)
    assert message == f"http://127.0.0.1:{server.port}/floods: connection dropped by the server (2 attempt(s))"
    assert server.connections == 2


def test_tls_spoken_to_a_plain_http_server(serve):
    # answers before reading: a TLS ClientHello never ends a request head
    server = serve(lambda conn: conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"), read=False)
    message = fetch_error(server.url("https"))
    assert message == f"https://127.0.0.1:{server.port}/floods: TLS/certificate verification failed (1 attempt(s))"


def test_redirects_without_end(serve):
    server = serve(lambda conn: conn.sendall(b"HTTP/1.1 302 Found\r\nLocation: /floods\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"))
    assert fetch_error(server.url()) == f"http://127.0.0.1:{server.port}/floods: too many redirects"
    assert server.connections >= 2


def test_a_full_accept_queue_is_a_connect_timeout():
    """A listener that never accepts: once its queue is full the kernel drops our SYN, as a dead host does."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        queued = []
        try:
            for _ in range(3):
                client = socket.socket()
                client.setblocking(False)
                client.connect_ex(("127.0.0.1", port))
                queued.append(client)
            message = fetch_error(f"http://127.0.0.1:{port}/floods", timeout=0.5)
        finally:
            for client in queued:
                client.close()
    assert message == f"http://127.0.0.1:{port}/floods: connection timed out after 0.5 s (1 attempt(s))"


def test_a_proxy_refusing_the_tunnel(serve, monkeypatch):
    proxy = serve(lambda conn: conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n"))
    monkeypatch.setenv("HTTPS_PROXY", f"http://127.0.0.1:{proxy.port}")
    message = fetch_error("https://data.petabencana.id/floods")
    assert message == "https://data.petabencana.id/floods: connection failed (1 attempt(s))"
    assert proxy.connections == 1


def test_an_unresolvable_host():
    # RFC 6761: .invalid never resolves, with or without a resolver
    assert fetch_error("http://petabencana.invalid/floods") == (
        "http://petabencana.invalid/floods: could not resolve host name (1 attempt(s))")


def test_an_unroutable_host_says_why():
    # Linux refuses a TCP connect to a multicast address at once with ENETUNREACH
    assert fetch_error("http://224.0.0.1:9/floods") == (
        "http://224.0.0.1:9/floods: could not connect (Network is unreachable) (1 attempt(s))")


@pytest.mark.parametrize(
    ("url", "named"),
    [("http://[::1/floods?city=jbd", "<invalid URL>"), ("data.petabencana.id/floods?city=jbd", "data.petabencana.id/floods")],
)
def test_a_bad_url_is_named_without_its_query(url, named):
    assert fetch_error(url) == f"{named}: invalid URL"


def test_the_petabencana_source_needs_its_url():
    with pytest.raises(FloodSourceError, match=r"needs its URL and query \(REALTIME_PETABENCANA_URL\)"):
        load_snapshot("petabencana", params={"city": "jbd"})
    with pytest.raises(FloodSourceError, match="needs its URL"):
        load_snapshot("PetaBencana", url="http://127.0.0.1:9/floods")
