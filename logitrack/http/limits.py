"""Refuse oversized request bodies before anything reads them (DRF's parsers do not enforce Django's limit)."""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings

from logitrack.http.problems import problem_response


class BodySizeLimitMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def _too_large(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return problem_response(
                status=400, code="malformed_request", title="Malformed request", detail="bad Content-Length"
            )
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.LOGITRACK_MAX_UPLOAD_BYTES if multipart else settings.LOGITRACK_MAX_BODY_BYTES
        if length > limit:
            return problem_response(
                status=413,
                code="payload_too_large",
                title="Payload too large",
                detail=f"request body is {length} bytes; the limit is {limit}",
            )
        return None

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return self._too_large(request) or self.get_response(request)

    async def __acall__(self, request):
        return self._too_large(request) or await self.get_response(request)
