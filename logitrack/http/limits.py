"""Refuse oversized request bodies before anything reads them (DRF's parsers do not enforce Django's limit)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from logitrack.http.problems import problem_response


class BodySizeLimitMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def _too_large(self, request: HttpRequest) -> HttpResponseBase | None:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(
                status=400, code="malformed_request", title="Malformed request", detail="bad Content-Length"
            )
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        # a context's internal calls carry whole documents (a report's HTML drawn as a PDF by billing)
        internal = request.path.startswith("/internal/")
        limit: int = settings.LOGITRACK_MAX_UPLOAD_BYTES if multipart or internal else settings.LOGITRACK_MAX_BODY_BYTES
        if length > limit:
            return problem_response(
                status=413,
                code="payload_too_large",
                title="Payload too large",
                detail=f"request body is {length} bytes; the limit is {limit}",
            )
        return None

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self._async:
            return self.__acall__(request)
        response: HttpResponseBase = self._too_large(request) or self.get_response(request)
        return response

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase = self._too_large(request) or await self.get_response(request)
        return response
