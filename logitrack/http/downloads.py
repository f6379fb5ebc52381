"""File downloads that honour the Accept header their schema documents (`schema.file_download`).

DRF negotiates a view's renderers against Accept before the view runs. A download view had only the JSON
renderer, so `Accept: application/pdf` (what the schema declares) answered 406 and only `*/*` worked. A download
view declares `renderer_classes = downloads.renderers("application/pdf", ...)`: the request passes negotiation for
any of those types, and `file_response` then checks the actual file's type against Accept (a JPEG photo asked for
as `image/png` only is 406). Errors on the way render as problem+json whatever renderer was chosen.
"""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from rest_framework.exceptions import NotAcceptable
from rest_framework.renderers import BaseRenderer

from logitrack.http.renderers import JSONRenderer


class _FileRenderer(BaseRenderer):
    """Stands for a file's media type in negotiation. The file itself goes out as a FileResponse, never through
    a renderer; what a renderer sees here is a problem body, rendered as JSON (its Content-Type is set by the
    exception handler)."""

    charset = None
    format = "json"  # what it renders; and no `?format=` choice appears in the schema

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return JSONRenderer().render(data, "application/json", renderer_context)


_RENDERERS: dict[str, type[BaseRenderer]] = {}


def renderers(*media_types: str) -> list[type[BaseRenderer]]:
    """The `renderer_classes` of a view that downloads files of these media types (JSON first, for `*/*`)."""
    found: list[type[BaseRenderer]] = [JSONRenderer]
    for media_type in media_types:
        if media_type not in _RENDERERS:
            name = "".join(part.capitalize() for part in media_type.replace("/", "-").split("-")) + "FileRenderer"
            _RENDERERS[media_type] = type(name, (_FileRenderer,), {"media_type": media_type})
        found.append(_RENDERERS[media_type])
    return found


def _ranges(accept: str) -> list[tuple[str, str]]:
    """The media ranges of an Accept header that are not refused with q=0, as (type, subtype)."""
    found = []
    for item in accept.split(","):
        media_range, *params = (part.strip() for part in item.split(";"))
        if "/" not in media_range:
            continue
        refused = False
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    refused = float(value) == 0
                except ValueError:
                    refused = False
        if not refused:
            main, _, sub = media_range.lower().partition("/")
            found.append((main, sub))
    return found


def accepts(accept: str, media_type: str) -> bool:
    """Whether an Accept header lets `media_type` through (no header accepts anything)."""
    if not accept.strip():
        return True
    main, _, sub = media_type.lower().partition(";")[0].strip().partition("/")
    return any(m in ("*", main) and s in ("*", sub) for m, s in _ranges(accept))


def file_response(request: Any, file: Any, *, content_type: str, **kwargs: Any) -> FileResponse:
    """The file as a FileResponse, or 406 problem+json if the request's Accept excludes its media type."""
    accept = request.META.get("HTTP_ACCEPT", "")
    if not accepts(accept, content_type):
        file.close()
        raise NotAcceptable(f"this file is {content_type}; the request accepts only {accept}")
    return FileResponse(file, content_type=content_type, **kwargs)
