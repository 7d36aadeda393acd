"""Event ids as the web app accepts them: the processor's own patterns and calendar checks (realtime.ids).

The same patterns serve the URL converters (a bad id in a URL is a 404) and the serializers and filters
(a bad id in a body or query is a 400), so no path into the database takes a look-alike id such as
'2020010100000\\u0661' or '20200101000000\\n'. realtime.ids is stdlib-only: the web image carries no geo stack.
"""

from __future__ import annotations

import re

from realtime.ids import (
    ASH_ID_PATTERN,
    FLOOD_ID_FORM,
    FLOOD_ID_PATTERN,
    SHAKE_ID_FORMS,
    SHAKE_ID_PATTERN,
    SOURCE_TYPE_PATTERN,
    FloodIdError,
    is_shake_id,
    ash_id_problem,  # noqa: F401 (the ash CAP file checks ids with it)
    parse_flood_id,
)

LANGUAGE = r"[a-z]{2}"


def shake_id_problem(text: str) -> str | None:
    """None for a valid shake id, else one line saying why it is refused."""
    if not is_shake_id(text):
        return f"not a shake id: {text[:60]!r}; expected {SHAKE_ID_FORMS}"
    return None


def flood_id_problem(text: str) -> str | None:
    """None for a valid flood id, else one line saying why it is refused."""
    if not re.fullmatch(FLOOD_ID_PATTERN, text):
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
    regex = SHAKE_ID_PATTERN


class FloodIdConverter(_Converter):
    regex = FLOOD_ID_PATTERN


class AshIdConverter(_Converter):
    regex = ASH_ID_PATTERN


class SourceTypeConverter(_Converter):
    regex = SOURCE_TYPE_PATTERN


class LanguageConverter(_Converter):
    regex = LANGUAGE
