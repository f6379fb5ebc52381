"""The REST API's JSON parser (DEFAULT_PARSER_CLASSES): DRF's, refusing deep nesting as malformed input (400)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

from logitrack.jsonlimits import TooDeeplyNested, check_depth


class JSONParser(parsers.JSONParser):
    def parse(
        self, stream: IO[Any], media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        try:
            return check_depth(super().parse(stream, media_type, parser_context))
        except (RecursionError, TooDeeplyNested):
            raise ParseError(str(TooDeeplyNested())) from None
