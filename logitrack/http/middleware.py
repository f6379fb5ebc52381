"""Request ids: accepted from a trusted proxy header or minted, echoed back, bound into logs."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import Awaitable, Callable
from contextvars import Token
from typing import Any

import structlog
from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest, HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

from logitrack import logs, metrics
from logitrack.exceptions import ServiceUnavailable
from logitrack.http.problems import database_unavailable, service_unavailable_for, unavailable_for

_VALID = re.compile(r"^[A-Za-z0-9._-]{8,128}$")
HEADER = "X-Request-ID"
log = structlog.get_logger("logitrack.http")


def _request_id(request: HttpRequest) -> str:
    incoming = request.headers.get(HEADER, "")
    return incoming if _VALID.match(incoming) else uuid.uuid4().hex


class RequestIdMiddleware:
    """Sync and async capable so it does not force ASGI requests through a thread."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)

    def _start(self, request: HttpRequest) -> tuple[Token[str | None], float]:
        request_id = _request_id(request)
        request.request_id = request_id  # type: ignore[attr-defined]  # read by logs and problem bodies
        token = logs.request_id_var.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        return token, time.perf_counter()

    def _finish(
        self, request: HttpRequest, response: HttpResponseBase, token: Token[str | None], started: float
    ) -> HttpResponseBase:
        elapsed = time.perf_counter() - started
        response[HEADER] = request.request_id  # type: ignore[attr-defined]
        route = getattr(getattr(request, "resolver_match", None), "route", None) or "unmatched"
        metrics.observe_request(method=request.method or "", route=route, status=response.status_code, seconds=elapsed)
        if response.status_code >= 500:
            log.error("http.request", method=request.method, path=request.path, status=response.status_code)
        structlog.contextvars.unbind_contextvars("request_id")
        logs.request_id_var.reset(token)
        return response

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        if self._async:
            return self.__acall__(request)
        token, started = self._start(request)
        return self._finish(request, self.get_response(request), token, started)

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        token, started = self._start(request)
        response = await self.get_response(request)
        return self._finish(request, response, token, started)


class DatabaseUnavailableMiddleware(MiddlewareMixin):
    """Views outside DRF (the admin, the dispatch screen, the login page) answer 503 with Retry-After while the
    database is unreachable, as the API does (its exception handler), instead of a 500: a page that reloads itself
    for a browser, problem+json for anything else.
    Failures outside any view (a session saved on the way out) reach handler500, which does the same. So does a
    context run as its own service that cannot be reached (a ServiceUnavailable such as `billing.unavailable`)."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponseBase | None:
        if database_unavailable(exception):
            log.warning("http.database_unavailable", path=request.path, exc_type=type(exception).__name__)
            return unavailable_for(request)
        if isinstance(exception, ServiceUnavailable):
            log.warning("http.service_unavailable", path=request.path, code=exception.code)
            return service_unavailable_for(request, exception)
        return None
