"""Django-level 404/500 handlers: problem+json under /api/, Django's defaults elsewhere; 503 problem+json
everywhere when the failure was the database being unreachable."""

import sys

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.views import defaults

from logitrack.http.problems import database_unavailable, problem_response, unavailable_for


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponseBase:
    if request.path.startswith("/api/"):
        return problem_response(
            status=404, code="not_found", title="Not found", detail=f"no resource at {request.path}"
        )
    return defaults.page_not_found(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    if database_unavailable(sys.exc_info()[1]):  # Django calls this while handling the exception
        return unavailable_for(request)
    if request.path.startswith("/api/"):
        return problem_response(
            status=500,
            code="internal_error",
            title="Internal server error",
            detail="Something went wrong on our side. Quote the request id when you report it.",
        )
    return defaults.server_error(request)
