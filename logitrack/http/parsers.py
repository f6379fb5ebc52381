"""The REST API's JSON parser (DEFAULT_PARSER_CLASSES): DRF's, refusing deep nesting as malformed input (400)."""

from __future__ import annotations

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from logitrack.jsonlimits import TooDeeplyNested, check_depth


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return check_depth(super().parse(stream, media_type, parser_context))
        except (RecursionError, TooDeeplyNested):
            raise ParseError(str(TooDeeplyNested())) from None
