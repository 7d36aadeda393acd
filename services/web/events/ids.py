"""Event ids as the web app accepts them: ASCII digits only ([0-9], never \\d), matched to the end (fullmatch).

The same patterns serve the URL converters (a bad id in a URL is a 404) and the serializers and filters
(a bad id in a body or query is a 400), so no path into the database takes a look-alike id such as
'2020010100000\\u0661' or '20200101000000\\n'. Calendar checks (a real date) come from the processor's id modules.
"""

from __future__ import annotations

import re

from realtime.earthquake.shake_id import is_shake_id
from realtime.flood.flood_id import FloodIdError, parse_flood_id

# <origin> or <origin>_<mag*10>_<lat*1000>_<lon*1000>_<stamp> (docs/reference/earthquake.md).
SHAKE_ID = r"[0-9]{14}(?:_[0-9]{1,3}_-?[0-9]{1,6}_-?[0-9]{1,7}_[0-9]{14})?"
FLOOD_ID = r"[0-9]{10}-[136]-(?:subdistrict|village|rw)"
SOURCE_TYPE = r"initial|corrected"
LANGUAGE = r"[a-z]{2}"

SHAKE_ID_FORMS = "YYYYMMDDHHMMSS or the corrected form <origin>_<mag>_<lat>_<lon>_<stamp>, in ASCII digits"
FLOOD_ID_FORM = "YYYYMMDDHH-<1|3|6>-<subdistrict|village|rw>, in ASCII digits"


def shake_id_problem(text: str) -> str | None:
    """None for a valid shake id, else one line saying why it is refused."""
    if not (re.fullmatch(SHAKE_ID, text) and is_shake_id(text)):
        return f"not a shake id: {text[:60]!r}; expected {SHAKE_ID_FORMS}"
    return None


def flood_id_problem(text: str) -> str | None:
    """None for a valid flood id, else one line saying why it is refused."""
    if not re.fullmatch(FLOOD_ID, text):
        return f"not a flood id: {text[:40]!r}; expected {FLOOD_ID_FORM}"
    try:
        parse_flood_id(text)
    except FloodIdError as exc:
        return str(exc)
    return None


class _Converter:
    regex = ""

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class ShakeIdConverter(_Converter):
    regex = SHAKE_ID


class FloodIdConverter(_Converter):
    regex = FLOOD_ID


class SourceTypeConverter(_Converter):
    regex = SOURCE_TYPE


class LanguageConverter(_Converter):
    regex = LANGUAGE
