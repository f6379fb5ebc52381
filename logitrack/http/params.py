"""Query-string parsing and list rendering shared by every context's views (bad values are 400s)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from rest_framework import serializers

from logitrack.http.pagination import Pagination


def _query(request, name: str, field: serializers.Field):
    """A query parameter through a serializer field; a bad value is a 400 naming the parameter."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        return field.run_validation(raw)
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


def query_uuid(request, name: str) -> uuid.UUID | None:
    return _query(request, name, serializers.UUIDField())


def query_bool(request, name: str) -> bool | None:
    return _query(request, name, serializers.BooleanField())


def query_choice(request, name: str, choices: Iterable[str]) -> str | None:
    raw = request.query_params.get(name)
    allowed = set(choices)
    if raw is not None and raw not in allowed:
        raise serializers.ValidationError({name: [f"must be one of {', '.join(sorted(allowed))}"]})
    return raw


def paginated(view, request, queryset, serializer_class, context=None):
    """One page of `queryset` rendered with `serializer_class`, with count/next/previous. `context(page)`, if
    given, makes the serializer's context from the whole page (to fetch related data in one call, not per row)."""
    paginator = Pagination()
    page = paginator.paginate_queryset(queryset, request, view=view)
    extra = context(page) if context is not None else {}
    return paginator.get_paginated_response(serializer_class(page, many=True, context=extra).data)
