"""OpenAPI generation shared by every app: collision-free component names, paginated lists, and the
problem+json error responses each operation can really return (the API fuzz test holds the schema to them)."""

from __future__ import annotations

from typing import Any, Literal

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework.permissions import AllowAny, IsAuthenticated

from logitrack.http.pagination import Pagination
from logitrack.http.principal import IsAuthenticatedPrincipal, required_scope
from logitrack.http.problems import CONTENT_TYPE as PROBLEM_MEDIA_TYPE

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_ERRORS_REF = {"$ref": "#/components/schemas/ProblemErrors"}
_COMPONENTS = {
    "Problem": {
        "type": "object",
        "description": (
            "An error, as RFC 9457 problem details with a stable `code` (docs/api.md lists them). A problem type "
            "may add members of its own (such as `current_version` or `reasons`); ignore those you do not know."
        ),
        "properties": {
            "type": {"type": "string", "format": "uri", "description": "https://logitrack.dev/problems/<code>"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "code": {"type": "string", "description": "stable and machine-readable, e.g. trips.illegal_transition"},
            "request_id": {"type": "string", "description": "quote it when you report a problem"},
            "errors": _ERRORS_REF,
            "retry_after": {"type": "integer", "minimum": 1, "description": "with 429 and 503: seconds to wait"},
        },
        "required": ["type", "title", "status", "detail", "code"],
    },
    "ProblemErrors": {
        "type": "object",
        "description": "field → messages; nested input nests the same way (an object per field, a list by position)",
        "additionalProperties": {
            "anyOf": [
                {"type": "array", "items": {"anyOf": [{"type": "string"}, _ERRORS_REF]}},
                _ERRORS_REF,
            ]
        },
    },
}

_WHY = {
    400: "invalid input (`validation_failed` with `errors`, `malformed_request`, or a context's own code)",
    401: "no valid credentials (`not_authenticated`, `authentication_failed`)",
    403: "your role does not allow this (`permission_denied`), or your API key lacks the scope the operation names, "
    "or keys may not call it (`auth.scope_missing`)",
    404: "no such object, or not yours to see",
    409: "conflicts with the current state",
    413: "the request body is too large (`payload_too_large`)",
    406: "the file's media type is not one the Accept header allows (`not_acceptable`)",
    415: "the body's media type is not accepted (`unsupported_media_type`)",
    422: "the Idempotency-Key was used with a different request (`idempotency.key_reused`)",
    428: "a precondition header is required",
    429: "too many requests (`throttled`); retry after `Retry-After` seconds",
    503: "a dependency is unavailable; retry later",
}
_PLAIN_PERMISSIONS = (AllowAny, IsAuthenticated, IsAuthenticatedPrincipal)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=False,
    pattern=r"^[\x21-\x7e]{1,255}$",
    description="1–255 visible ASCII characters (a UUID is a good choice); a retry with the same key applies once",
)


def problems(*statuses: int, **described: str) -> dict[Any, OpenApiResponse]:
    """Problem responses to merge into `@extend_schema(responses=...)`: `problems(409, 428)`.

    Describe one in words with `problems(**{"409": "the trip changed since you read it"})`.
    """
    wanted = {str(s): _WHY.get(s, "") for s in statuses} | described
    return {
        (int(status), PROBLEM_MEDIA_TYPE): OpenApiResponse(response=PROBLEM_REF, description=why)
        for status, why in wanted.items()
    }


def file_download(*content_types: str, description: str = "the file") -> dict[Any, OpenApiResponse]:
    """A binary 200 response in the given media types, for `@extend_schema(responses=...)`; the view serves them
    through `logitrack.http.downloads` (406 for an Accept that excludes the file's type)."""
    return {
        (200, *content_types): OpenApiResponse(response=OpenApiTypes.BINARY, description=description),
        **problems(406),
    }


def _is_idempotent(view: Any, method: str) -> bool:
    return getattr(getattr(view, method.lower(), None), "idempotent", False)


class AutoSchema(SpectacularAutoSchema):
    """Component names that cannot collide across views or contexts.

    A view's nested serializer is named after its qualified name (`TokenObtainApi.InputSerializer` →
    `TokenObtainApiInput`), and every serializer of a context is prefixed with the context
    (`apps.partner...DocumentOutput` → `PartnerDocumentOutput`), so two apps may both have one.

    Lists are paginated (`logitrack.http.params.paginated`): a GET answering `Serializer(many=True)` is
    documented with `page`/`page_size` and the `count`/`next`/`previous`/`results` envelope, or, for a view whose
    `pagination_class` is a `KeysetPagination`, with `cursor`/`page_size`/`count` and `count` optional. Every operation
    also lists the problem responses its view can give whatever it does (validation, authentication, role,
    lookup, body limits, throttling, idempotency); views add their own with `problems(...)`.
    """

    def get_serializer_name(self, serializer: Any, direction: Literal["request", "response"]) -> str:
        name: str = super().get_serializer_name(serializer, direction)
        cls = type(serializer)
        if "." in cls.__qualname__ and "<locals>" not in cls.__qualname__:
            name = cls.__qualname__.replace(".", "")
            if name.endswith("Serializer"):
                name = name[: -len("Serializer")]
        parts = cls.__module__.split(".")
        if len(parts) > 1 and parts[0] == "apps":
            prefix = parts[1].capitalize()
            if not name.startswith(prefix):
                name = prefix + name
        return name

    def _is_list_view(self, serializer: Any = None) -> bool:
        """drf-spectacular takes the lowest response code, compared as text, as the main response; `problems()`
        keys its responses `(status, media type)`, whose text sorts before "200", so a list that also documented a
        problem looked like no list (no page, no filters). The lowest status code decides here."""
        if serializer is None:
            serializer = self.get_response_serializers()
        if isinstance(serializer, dict) and serializer:
            by_status = {int(code[0] if isinstance(code, tuple) else code): s for code, s in serializer.items()}
            serializer = by_status[min(by_status)]
        return bool(super()._is_list_view(serializer))

    def _get_paginator(self) -> Any:
        paginator = super()._get_paginator()  # type: ignore[no-untyped-call]
        # every list the API returns is a page, unless its view says it is not (`paginated = False`: a short list)
        if paginator is None and self.method == "GET" and getattr(self.view, "paginated", True):
            return Pagination()
        return paginator

    def get_override_parameters(self) -> list[Any]:
        parameters: list[Any] = super().get_override_parameters()
        if _is_idempotent(self.view, self.method):
            parameters = [*parameters, IDEMPOTENCY_KEY]
        return parameters

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        for name, schema in _COMPONENTS.items():
            registry.register_on_missing(
                ResolvedComponent(name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name)
            )
        scope = required_scope(self.view, method)
        if scope is not None:  # integrators read which scope their key needs right where the operation is
            note = f"API keys need the scope `{scope}`."
            operation["description"] = f"{operation.get('description', '')}\n\n{note}".strip()
            operation["x-api-key-scope"] = scope
        responses = operation["responses"]
        for status in self._standard_problems(operation):
            if str(status) not in responses:
                responses[str(status)] = self._problem_response(status)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _standard_problems(self, operation: dict[str, Any]) -> set[int]:
        """What any view of this shape can answer, before its own logic runs."""
        located = {p.get("in") for p in operation.get("parameters", [])}
        statuses: set[int] = set()
        if operation.get("requestBody"):
            statuses |= {400, 413, 415}
        if located - {"path"}:
            statuses.add(400)
        if "path" in located or any(p.get("name") == "page" for p in operation.get("parameters", [])):
            statuses.add(404)  # unknown ids and pages past the end
        if self.view.get_authenticators():
            statuses.add(401)
            statuses.add(403)  # an API key is checked for its scope as it authenticates, whatever the permissions
        if any(not isinstance(p, _PLAIN_PERMISSIONS) for p in self.view.get_permissions()):
            statuses.add(403)
        if self.view.get_throttles():
            statuses.add(429)
        if _is_idempotent(self.view, self.method):
            statuses |= {400, 409, 422}
        return statuses

    def _problem_response(self, status: int) -> dict[str, Any]:
        response: dict[str, Any] = self._get_response_for_code(  # type: ignore[no-untyped-call]
            PROBLEM_REF, str(status), [PROBLEM_MEDIA_TYPE]
        )
        response["description"] = _WHY.get(status, "")
        if status == 429:
            response["headers"] = {
                "Retry-After": {"schema": {"type": "integer", "minimum": 1}, "description": "seconds", "required": True}
            }
        return response
