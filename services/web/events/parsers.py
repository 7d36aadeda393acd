"""DRF's JSON parser, with a one-line 400 for a body nested too deeply to parse (json raises RecursionError)."""

from __future__ import annotations

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from events.uploads import too_deep


class BoundedJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(too_deep("the JSON body")) from None
