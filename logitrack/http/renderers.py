"""DRF's JSON renderer, written by orjson.

Writing a page out as JSON with the standard library was about 6 % of a trip list page's server CPU at a year of
history (docs/benchmarks.md). orjson writes the same document: types it does not know, and dates and times (whose
form DRF fixes: "Z" for UTC, milliseconds), go through DRF's own encoder, and anything orjson refuses (an integer
beyond 64 bits, a non-string key) falls back to DRF's renderer whole, as does an `indent` asked for in Accept.
What differs: a very small float is written `0.00001` where the standard library writes `1e-05` (the same number);
a NaN or infinity (float or Decimal) is written `null`, and a plain `Enum` member as its value, where DRF raised (and
answered 500); a dict subclass is written from its own storage, not its `items()` (a `QueryDict` with every value
of a key): return plain dicts of what you mean to send.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_drf_default = JSONEncoder().default

# DRF escapes these two for pages that embed JSON in a script; raw, they end a line in older JavaScript
_LINE_SEPARATOR, _PARAGRAPH_SEPARATOR = "\u2028".encode(), "\u2029".encode()


class JSONRenderer(renderers.JSONRenderer):
    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        if data is None:
            return b""
        if self.get_indent(accepted_media_type or "", renderer_context or {}):
            return super().render(data, accepted_media_type, renderer_context)
        iterated: list[Any] = []

        def default(value: Any) -> Any:
            if isinstance(value, Iterator):
                iterated.append(value)
            return _drf_default(value)

        try:
            written = orjson.dumps(data, default=default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            if iterated:  # a second pass would write what orjson already consumed as empty
                raise
            return super().render(data, accepted_media_type, renderer_context)
        if _LINE_SEPARATOR in written or _PARAGRAPH_SEPARATOR in written:
            written = written.replace(_LINE_SEPARATOR, b"\\u2028").replace(_PARAGRAPH_SEPARATOR, b"\\u2029")
        return written
