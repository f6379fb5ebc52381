"""RFC 9457 (ex-7807) problem details: every API error body has this shape and a stable `code`.

{"type": "https://logitrack.dev/problems/<code>", "title": ..., "status": 409, "detail": ...,
 "code": "trips.illegal_transition", "request_id": ..., "errors": {...field: [messages]}}
"""

from __future__ import annotations

from typing import Any

import structlog
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from rest_framework import exceptions as drf
from rest_framework.response import Response

from logitrack import exceptions as app
from logitrack.logs import request_id_var
from logitrack.resilience import UNAVAILABLE_SQLSTATES, is_unavailable

CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://logitrack.dev/problems/"
log = structlog.get_logger("logitrack.http")

_APP_STATUS: list[tuple[type[app.ApplicationError], int]] = [
    (app.ValidationFailed, 400),
    (app.Unauthenticated, 401),
    (app.PermissionDenied, 403),
    (app.NotFound, 404),
    (app.Conflict, 409),
    (app.Unprocessable, 422),
    (app.RateLimited, 429),
    (app.ServiceUnavailable, 503),
]

_DRF_CODES: list[tuple[type[drf.APIException], str, str]] = [
    (drf.ValidationError, "validation_failed", "Invalid input"),
    (drf.ParseError, "malformed_request", "Malformed request body"),
    (drf.NotAuthenticated, "not_authenticated", "Authentication required"),
    (drf.AuthenticationFailed, "authentication_failed", "Authentication failed"),
    (drf.PermissionDenied, "permission_denied", "Permission denied"),
    (drf.NotFound, "not_found", "Not found"),
    (drf.MethodNotAllowed, "method_not_allowed", "Method not allowed"),
    (drf.NotAcceptable, "not_acceptable", "Not acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type", "Unsupported media type"),
    (drf.Throttled, "throttled", "Too many requests"),
]


def problem_body(
    *, status: int, code: str, title: str, detail: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    request_id = request_id_var.get()
    if request_id:
        body["request_id"] = request_id
    for key, value in (extra or {}).items():
        if value is None:
            continue
        if key in body:  # never let an error's details overwrite the problem's own members
            body.setdefault("context", {})[key] = value
        else:
            body[key] = value
    return body


def application_status(exc: app.ApplicationError) -> int:
    for cls, status in _APP_STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def _flatten(detail: Any) -> Any:
    """DRF ErrorDetail trees to plain lists/dicts of strings."""
    if isinstance(detail, dict):
        return {str(k): _flatten(v) for k, v in detail.items()}
    if isinstance(detail, list):
        return [_flatten(v) for v in detail]
    return str(detail)


def _detail_text(detail: Any) -> tuple[str, dict[str, Any]]:
    """A human sentence for `detail`, and what else a nested detail carried (plain data, never a repr).

    simplejwt's InvalidToken carries {"detail", "code", "messages": [...]}; str() of that is a Python repr."""
    if isinstance(detail, dict):
        rest = {str(k): _flatten(v) for k, v in detail.items() if k not in ("detail", "code")}
        if "detail" in detail:
            return str(detail["detail"]), rest
        first = next(iter(detail.values()), "")
        return _detail_text(first)[0] or "Request failed", rest
    if isinstance(detail, list):
        texts = [_detail_text(item)[0] for item in detail]
        return " ".join(t for t in texts if t) or "Request failed", {}
    return str(detail), {}


def _from_drf(exc: drf.APIException) -> tuple[int, dict[str, Any], dict[str, str]]:
    code, title = str(getattr(exc, "default_code", "error")), "Request failed"  # custom exceptions bring their own
    for cls, c, t in _DRF_CODES:
        if isinstance(exc, cls):
            code, title = c, t
            break
    # a subclass may name its own stable code and title (identity's API key rejections: `auth.key_expired`, …)
    code, title = getattr(exc, "problem_code", code), getattr(exc, "problem_title", title)
    headers: dict[str, str] = {}
    if isinstance(exc, drf.ValidationError):
        errors = _flatten(exc.detail)
        if isinstance(errors, list):
            errors = {"non_field_errors": errors}
        body = problem_body(
            status=exc.status_code,
            code=code,
            title=title,
            detail="One or more fields are invalid.",
            extra={"errors": errors},
        )
    else:
        detail, rest = _detail_text(exc.detail)
        body = problem_body(status=exc.status_code, code=code, title=title, detail=detail, extra=rest)
    wait: float | None = getattr(exc, "wait", None) if isinstance(exc, drf.Throttled) else None
    if wait is not None:
        headers["Retry-After"] = str(max(1, int(wait + 0.999)))
        body["retry_after"] = int(headers["Retry-After"])
    auth_header = getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    return exc.status_code, body, headers


# How long a client should wait before retrying while the database is unreachable: failover of a managed
# PostgreSQL or a restart takes seconds to a minute, and a short wait keeps retries from piling up.
DATABASE_RETRY_AFTER_SECONDS = 5


def database_unavailable(exc: BaseException | None) -> bool:
    """The database cannot be reached (down, restarting, refusing connections, pool exhausted): not a bug of
    ours but a dependency's outage, answered 503 with Retry-After instead of 500. Other database errors (a missing
    table, a lock not available, a cancelled statement) are ours to fix: a logged 500."""
    import sqlite3

    from django.db import InterfaceError, OperationalError

    try:
        from psycopg import OperationalError as PsycopgOperationalError  # the pool raises it unwrapped at times
        from psycopg_pool import PoolTimeout
    except ImportError:  # pragma: no cover - the embedded default may run without psycopg
        PsycopgOperationalError = PoolTimeout = OperationalError  # type: ignore[misc, assignment]
    if not isinstance(exc, OperationalError | InterfaceError | PsycopgOperationalError):
        return False
    if isinstance(exc, PoolTimeout) or isinstance(exc.__cause__, PoolTimeout):
        return True
    if isinstance(exc.__cause__, sqlite3.Error):  # no SQLSTATE: only a busy or unopenable file is an outage
        return getattr(exc.__cause__, "sqlite_errorname", "") in ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN")
    if isinstance(exc, PsycopgOperationalError):  # unwrapped: judged by its SQLSTATE as Django's would be
        return exc.sqlstate is None or exc.sqlstate.startswith(UNAVAILABLE_SQLSTATES)
    return is_unavailable(exc)


def unavailable_body() -> dict[str, Any]:
    body = problem_body(
        status=503,
        code="service_unavailable",
        title="Service temporarily unavailable",
        detail="The database is unreachable; the request may not have been applied. Retry after the time in "
        "Retry-After (with the same Idempotency-Key for a write).",
    )
    body["retry_after"] = DATABASE_RETRY_AFTER_SECONDS
    return body


def unavailable_response() -> JsonResponse:
    """503 problem+json with Retry-After, for Django views and handlers outside DRF (admin, the screen)."""
    response = JsonResponse(unavailable_body(), status=503, content_type=CONTENT_TYPE)
    response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


def service_unavailable_response(exc: app.ServiceUnavailable) -> JsonResponse:
    """503 problem+json for a dependency that is down (another context's service), outside DRF."""
    body = problem_body(status=503, code=exc.code, title=exc.title, detail=exc.message, extra=dict(exc.extra))
    response = JsonResponse(body, status=503, content_type=CONTENT_TYPE)
    response["Retry-After"] = str(exc.retry_after or DATABASE_RETRY_AFTER_SECONDS)
    return response


def wants_page(request: HttpRequest) -> bool:
    """A person's browser on a page (the admin, the screen, reports) rather than a client of the API."""
    machine = request.path.startswith(("/api/", "/internal/"))
    return not machine and "text/html" in request.headers.get("Accept", "")


def unavailable_page(*, title: str, detail: str, retry_after: int) -> HttpResponse:
    """The 503 a person reads: what is away, that nothing needs doing but waiting, and a reload after Retry-After."""
    html = render_to_string(
        "logitrack/unavailable.html",
        {"title": title, "detail": detail, "retry_after": retry_after, "request_id": request_id_var.get()},
    )
    response = HttpResponse(html, status=503)
    response["Retry-After"] = str(retry_after)
    return response


def unavailable_for(request: HttpRequest) -> HttpResponse:
    """503 while the database is unreachable: a page for a browser, problem+json for everyone else."""
    if wants_page(request):
        return unavailable_page(
            title="LogiTrack is briefly unavailable",
            detail="It cannot reach its database just now. If you were saving something, check it once the page is "
            "back: it may not have been saved.",
            retry_after=DATABASE_RETRY_AFTER_SECONDS,
        )
    return unavailable_response()


def service_unavailable_for(request: HttpRequest, exc: app.ServiceUnavailable) -> HttpResponse:
    """503 for a context run as its own service that cannot be reached: a page for a browser, else problem+json."""
    if wants_page(request):
        return unavailable_page(
            title=exc.title,
            detail="This page needs it to show correct figures, so it waits instead of guessing. Nothing is lost.",
            retry_after=exc.retry_after or DATABASE_RETRY_AFTER_SECONDS,
        )
    return service_unavailable_response(exc)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response:
    """DRF EXCEPTION_HANDLER: every failure becomes a problem+json response, never a traceback."""
    headers: dict[str, str] = {}
    if isinstance(exc, app.ApplicationError):
        status = application_status(exc)
        extra = dict(exc.extra)
        body = problem_body(status=status, code=exc.code, title=exc.title, detail=exc.message, extra=extra)
        if isinstance(exc, app.RateLimited):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, app.ServiceUnavailable) and exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, app.Unauthenticated):
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
    elif isinstance(exc, Http404):
        status, body, headers = _from_drf(drf.NotFound())
    elif isinstance(exc, DjangoPermissionDenied):
        status, body, headers = _from_drf(drf.PermissionDenied())
    elif isinstance(exc, RequestDataTooBig):
        status = 413
        body = problem_body(status=413, code="payload_too_large", title="Payload too large", detail=str(exc))
    elif isinstance(exc, drf.APIException):
        status, body, headers = _from_drf(exc)
        if hasattr(exc, "auth_header") and status == 401 and "WWW-Authenticate" not in headers:
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
    elif database_unavailable(exc):
        log.warning("http.database_unavailable", exc_type=type(exc).__name__, error=str(exc)[:200])
        status, body = 503, unavailable_body()
        headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    else:
        log.exception("http.unhandled_exception", exc_type=type(exc).__name__)
        status = 500
        body = problem_body(
            status=500,
            code="internal_error",
            title="Internal server error",
            detail="Something went wrong on our side. Quote the request id when you report it.",
        )
    return Response(body, status=status, headers=headers, content_type=CONTENT_TYPE)


def problem_response(*, status: int, code: str, title: str, detail: str) -> JsonResponse:
    """The same body for errors raised outside DRF (middleware, Django's 404/500 handlers)."""
    return JsonResponse(
        problem_body(status=status, code=code, title=title, detail=detail), status=status, content_type=CONTENT_TYPE
    )
