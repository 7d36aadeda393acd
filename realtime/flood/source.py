"""Get the raw bytes of a flood snapshot from PetaBencana or a file, and nothing else.

This is the shell around the pure parser in `realtime.flood.snapshot`: the one
place that touches the network and the file system for floods. It exists so that
an hourly run against a rate-limited, sometimes-down public API fails loudly
and promptly with a `FloodSourceError` that says *which* source broke and *how*
(status code, timeout, refused connection, HTML instead of JSON, ...), instead
of hanging, silently reporting "no flooding", or dumping a traceback.

Retry policy (`fetch_petabencana`): GET only, retried on connection errors, read
errors and on 429/500/502/503/504, with exponential backoff. A `Retry-After`
header is honoured but capped at `RETRY_AFTER_MAX` seconds (and plain backoff at
`BACKOFF_MAX`), so a server answering ``Retry-After: 86400`` cannot park the
poller for a day; with the defaults the worst case is about
``retries * 10 s`` of sleeping plus ``(retries + 1)`` timeouts. The body must
arrive within `BODY_DEADLINE_FACTOR * timeout` seconds in total and be at most
`MAX_SNAPSHOT_BYTES` long, so a slow-drip or endless response is cut off too.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from urllib3.util import Retry

from realtime import __version__
from realtime.flood.limits import MAX_SNAPSHOT_BYTES
from realtime.flood.snapshot import FloodSnapshot, FloodSourceError, parse_snapshot

__all__ = [
    "BACKOFF_MAX",
    "RETRY_AFTER_MAX",
    "SOURCES",
    "USER_AGENT",
    "fetch_petabencana",
    "load_snapshot",
    "read_snapshot_file",
]

logger = logging.getLogger(__name__)

USER_AGENT = f"InaSAFE-Realtime/{__version__} (InaSAFE Realtime flood poller; +https://github.com/inasafe/inasafe-realtime)"
RETRY_AFTER_MAX = 10.0  # seconds; longer Retry-After values are shortened to this
BACKOFF_MAX = 10.0  # seconds; cap on the exponential backoff between attempts
BODY_DEADLINE_FACTOR = 10  # the whole body must arrive within this many timeouts
CHUNK_BYTES = 64 * 1024
RETRY_STATUSES = (429, 500, 502, 503, 504)

# Accepted `source` values; "hazard_file" is what the old Django/3.x processor sends.
SOURCES = {"petabencana": "petabencana", "file": "file", "hazard_file": "file"}


class _CappedRetry(Retry):
    """urllib3 Retry whose Retry-After wait never exceeds RETRY_AFTER_MAX.

    urllib3 >= 2.6 has `retry_after_max`, but older 2.x releases (allowed by our
    pin) sleep for whatever the server asks; overriding the parser works on all.
    """

    def parse_retry_after(self, retry_after: str) -> float:
        return min(super().parse_retry_after(retry_after), RETRY_AFTER_MAX)


def fetch_petabencana(
    url: str,
    params: dict[str, str],
    timeout: float = 30.0,
    retries: int = 4,
    backoff: float = 0.5,
) -> bytes:
    """GET the PetaBencana /floods document and return its body bytes exactly as received.

    Raises `FloodSourceError` for anything but a 200 within the retry budget, for
    network failures and for bodies over `MAX_SNAPSHOT_BYTES`. Does not parse.
    """
    public = _public_url(url)
    retry = _CappedRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        backoff_max=BACKOFF_MAX,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET"}),
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    started = time.monotonic()
    with requests.Session() as session:
        adapter = HTTPAdapter(max_retries=retry)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        try:
            with session.get(url, params=params, timeout=timeout, stream=True, verify=True) as response:
                attempts = _attempts(response)
                if response.status_code != 200:
                    snippet = _body_snippet(response)
                    logger.warning(
                        "flood fetch %s: HTTP %s after %d attempt(s)", public, response.status_code, attempts
                    )
                    raise FloodSourceError(
                        f"{public}: HTTP {response.status_code} {response.reason or ''}".rstrip()
                        + f" after {attempts} attempt(s); body starts with {snippet!r}"
                    )
                data = _read_body(response, public, timeout)
        except requests.RequestException as exc:
            raise FloodSourceError(f"{public}: {_describe(exc, timeout, retries)}") from exc
    logger.info(
        "flood fetch %s: HTTP 200, %d bytes, %d attempt(s), %.1f s",
        public,
        len(data),
        attempts,
        time.monotonic() - started,
    )
    return data


def read_snapshot_file(path: Path) -> bytes:
    """Read a snapshot file, refusing anything larger than `MAX_SNAPSHOT_BYTES`."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_SNAPSHOT_BYTES + 1)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise FloodSourceError(f"{path}: cannot read flood snapshot file ({reason})") from exc
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise FloodSourceError(f"{path}: file is larger than {MAX_SNAPSHOT_BYTES} bytes")
    return data


def load_snapshot(
    source: str,
    *,
    file: Path | None = None,
    url: str | None = None,
    params: dict | None = None,
    timeout: float = 30.0,
) -> tuple[bytes, FloodSnapshot]:
    """Fetch or read a snapshot and parse it; returns (raw bytes as received, parsed snapshot).

    `source` is "petabencana" (with `url` and `params`) or "file"
    (alias "hazard_file") with `file` given.
    """
    kind = SOURCES.get(str(source).strip().lower())
    if kind is None:
        accepted = ", ".join(sorted(SOURCES))
        raise FloodSourceError(f"unknown flood data source {source!r} (expected one of: {accepted})")
    if kind == "file":
        if file is None:
            raise FloodSourceError(f"flood data source {source!r} needs a file path")
        raw = read_snapshot_file(Path(file))
        return raw, parse_snapshot(raw, name=str(file))
    if url is None or params is None:
        raise FloodSourceError("the PetaBencana source needs its URL and query (REALTIME_PETABENCANA_URL)")
    raw = fetch_petabencana(url, params, timeout=timeout)
    return raw, parse_snapshot(raw, name=_public_url(url))


def _read_body(response: requests.Response, public: str, timeout: float) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.strip().isdigit() and int(declared) > MAX_SNAPSHOT_BYTES:
        raise FloodSourceError(f"{public}: response is larger than {MAX_SNAPSHOT_BYTES} bytes ({declared} declared)")
    deadline = time.monotonic() + BODY_DEADLINE_FACTOR * timeout
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
        size += len(chunk)
        if size > MAX_SNAPSHOT_BYTES:
            raise FloodSourceError(f"{public}: response is larger than {MAX_SNAPSHOT_BYTES} bytes")
        if time.monotonic() > deadline:
            raise FloodSourceError(
                f"{public}: body took longer than {BODY_DEADLINE_FACTOR * timeout:g} s to arrive ({size} bytes so far)"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _body_snippet(response: requests.Response, limit: int = 80) -> str:
    try:
        head = next(response.iter_content(chunk_size=1024), b"")
    except (requests.RequestException, urllib3.exceptions.HTTPError):
        return ""
    return " ".join(head.decode("utf-8", "replace").split())[:limit]


def _attempts(response: requests.Response) -> int:
    history = getattr(getattr(response.raw, "retries", None), "history", None) or ()
    return len(history) + 1


def _public_url(url: str) -> str:
    """The URL without credentials, query or fragment, for messages and logs."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if parts.port is not None:
            host = f"{host}:{parts.port}"
    except ValueError:
        return "<invalid URL>"
    if not parts.scheme or not host:
        return url.split("?", 1)[0].split("#", 1)[0]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def _causes(exc: BaseException) -> Iterator[BaseException]:
    """The exception, and everything it wraps (args, .reason, __cause__, __context__)."""
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        linked = [*current.args, getattr(current, "reason", None), current.__cause__, current.__context__]
        todo.extend(item for item in linked if isinstance(item, BaseException))


def _describe(exc: requests.RequestException, timeout: float, retries: int) -> str:
    chain = list(_causes(exc))
    gave_up = any(isinstance(e, urllib3.exceptions.MaxRetryError) for e in chain)
    tries = f" ({retries + 1} attempt(s))" if gave_up else ""

    def has(*types: type[BaseException]) -> bool:
        # urllib3 2.x makes NewConnectionError a ConnectTimeoutError subclass; it never is a timeout.
        return any(
            isinstance(e, types) and not isinstance(e, urllib3.exceptions.NewConnectionError) for e in chain
        )

    if has(requests.exceptions.SSLError, urllib3.exceptions.SSLError):
        return f"TLS/certificate verification failed{tries}"
    if any(isinstance(e, urllib3.exceptions.NameResolutionError) for e in chain):
        return f"could not resolve host name{tries}"
    if has(ConnectionRefusedError):
        return f"connection refused{tries}"
    if any(isinstance(e, urllib3.exceptions.NewConnectionError) for e in chain):
        errno_error = next((e for e in chain if isinstance(e, OSError) and e.strerror), None)
        detail = f" ({errno_error.strerror})" if errno_error else ""
        return f"could not connect{detail}{tries}"
    if has(urllib3.exceptions.ConnectTimeoutError):
        return f"connection timed out after {timeout:g} s{tries}"
    if has(requests.exceptions.Timeout, urllib3.exceptions.TimeoutError, TimeoutError):
        return f"timed out after {timeout:g} s{tries}"
    if has(requests.exceptions.TooManyRedirects):
        return "too many redirects"
    if has(requests.exceptions.ChunkedEncodingError):
        return "connection broke while reading the response"
    if has(requests.exceptions.ContentDecodingError):
        return "could not decode the compressed response"
    if has(requests.exceptions.InvalidURL, requests.exceptions.MissingSchema, requests.exceptions.InvalidSchema):
        return "invalid URL"
    if has(ConnectionResetError, urllib3.exceptions.ProtocolError):
        return f"connection dropped by the server{tries}"
    if has(requests.exceptions.ConnectionError):
        return f"connection failed{tries}"
    return f"request failed ({type(exc).__name__})"


def source_name(source: str, file: Path | None) -> str:
    """How reports name where the flood state came from."""
    return "PetaBencana.id" if source == "petabencana" else f"file {Path(file).name}" if file else source
