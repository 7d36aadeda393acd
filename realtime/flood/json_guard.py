"""Bytes to a JSON document, refusing what would make the parser slow, huge or ambiguous.

Checked before and while parsing: size, UTF-8 (a UTF-8 byte order mark is
allowed, RFC 8259 section 8.1), the number of JSON values, nesting depth,
NaN/Infinity (not JSON), integers too long to be ids and keys given twice (two
parsers would disagree on which one counts).
"""

from __future__ import annotations

import codecs
import json

from realtime.flood.errors import FloodSourceError
from realtime.flood.limits import MAX_INTEGER_DIGITS, MAX_JSON_VALUES, MAX_SNAPSHOT_BYTES

OTHER_BOMS = {codecs.BOM_UTF32_LE: "UTF-32", codecs.BOM_UTF32_BE: "UTF-32",
              codecs.BOM_UTF16_LE: "UTF-16", codecs.BOM_UTF16_BE: "UTF-16"}


class _Refused(ValueError):
    """Raised from inside json.loads by the hooks below; the message lacks the source name."""


def load_json(data: bytes, name: str) -> object:
    """The parsed document; raises FloodSourceError naming `name` and the problem."""
    if len(data) > MAX_SNAPSHOT_BYTES:
        raise FloodSourceError(f"{name}: snapshot is larger than {MAX_SNAPSHOT_BYTES} bytes")
    if not data.strip():
        raise FloodSourceError(f"{name}: snapshot is empty ({len(data)} bytes)")
    text = _utf8(data, name)
    values = data.count(b",") + data.count(b"[") + data.count(b"{")
    if values > MAX_JSON_VALUES:
        raise FloodSourceError(
            f"{name}: snapshot holds about {values} JSON values, more than the {MAX_JSON_VALUES} a snapshot "
            "within the limits can hold"
        )
    try:
        return json.loads(text, parse_constant=_constant, parse_int=_integer, object_pairs_hook=_object)
    except _Refused as refused:
        raise FloodSourceError(f"{name}: {refused}") from None
    except RecursionError:
        raise FloodSourceError(f"{name}: JSON is nested too deeply (a GeoJSON snapshot needs fewer than 10 levels)") from None
    except ValueError as error:
        start = text[:60].strip()
        raise FloodSourceError(f"{name}: snapshot is not JSON ({_reason(error)}; it starts with {start!r})") from None


def _utf8(data: bytes, name: str) -> str:
    for bom, encoding in OTHER_BOMS.items():
        if data.startswith(bom):
            raise FloodSourceError(f"{name}: snapshot is not UTF-8 text (it starts with a {encoding} byte order mark)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        byte = data[error.start]
        raise FloodSourceError(f"{name}: snapshot is not UTF-8 text (byte 0x{byte:02x} at offset {error.start})") from None


def _reason(error: ValueError) -> str:
    return getattr(error, "msg", None) or type(error).__name__


def _constant(word: str) -> float:
    raise _Refused(f"JSON holds {word}, which JSON does not allow")


def _integer(digits: str) -> int:
    if len(digits.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise _Refused(f"JSON holds an integer with {len(digits.lstrip('-'))} digits (at most {MAX_INTEGER_DIGITS})")
    return int(digits)


def _object(pairs: list[tuple[str, object]]) -> dict:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        twice = next(key for key, _ in pairs if key in seen or seen.add(key))
        raise _Refused(f"a JSON object has the key {twice[:40]!r} twice")
    return document
