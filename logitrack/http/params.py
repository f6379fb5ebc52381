"""Query-string parsing and list rendering shared by every context's views (bad values are 400s)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, cast

from django.db.models import Q, QuerySet
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from logitrack.http.pagination import KeysetPagination, Pagination

T = TypeVar("T")


def _query(request: Request, name: str, field: serializers.Field[Any, Any, T, Any]) -> T | None:
    """A query parameter through a serializer field; a bad value is a 400 naming the parameter."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        value: T = field.run_validation(raw)
        return value
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


def query_uuid(request: Request, name: str) -> uuid.UUID | None:
    return cast(uuid.UUID | None, _query(request, name, serializers.UUIDField()))


def query_bool(request: Request, name: str) -> bool | None:
    return _query(request, name, serializers.BooleanField())


def query_choice(request: Request, name: str, choices: Iterable[str]) -> str | None:
    raw: str | None = request.query_params.get(name)
    allowed = set(choices)
    if raw is not None and raw not in allowed:
        raise serializers.ValidationError({name: [f"must be one of {', '.join(sorted(allowed))}"]})
    return raw


def paginated(
    view: APIView,
    request: Request,
    queryset: QuerySet[Any] | Sequence[Any],
    serializer_class: type[serializers.BaseSerializer[Any]],
    context: Callable[[list[Any]], dict[str, Any]] | None = None,
) -> Response:
    """One page of `queryset` rendered with `serializer_class`, with count/next/previous. `context(page)`, if
    given, makes the serializer's context from the whole page (to fetch related data in one call, not per row)."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view) or []
    extra = context(page) if context is not None else {}
    return paginator.get_paginated_response(serializer_class(page, many=True, context=extra).data)


def keyset_paginated(
    view: APIView,
    request: Request,
    queryset: QuerySet[Any],
    serializer_class: type[serializers.BaseSerializer[Any]],
    context: Callable[[list[Any]], dict[str, Any]] | None = None,
    branches: Sequence[Q] | None = None,
    rows_of: Callable[[list[Any]], Iterable[Any]] | None = None,
) -> Response:
    """As `paginated`, for a list that grows with history: a page after a cursor, in the order of the view's
    `pagination_class` (a `KeysetPagination`, which the OpenAPI schema documents too); `branches` and `rows_of` as
    there."""
    paginator: KeysetPagination = getattr(view, "pagination_class", KeysetPagination)()
    page = paginator.paginate_queryset(queryset, request, view=view, branches=branches, rows_of=rows_of)
    extra = context(page) if context is not None else {}
    return paginator.get_paginated_response(serializer_class(page, many=True, context=extra).data)
