from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

PAGE_DESCRIPTION = "page number, from 1; a page past the last one is 404"
PAGE_SIZE_DESCRIPTION = "results per page: default 50, at most 200 (larger values are capped)"


def _whole_number(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        number: int = serializers.IntegerField(min_value=1).run_validation(raw)
        return number
    except serializers.ValidationError as exc:
        raise serializers.ValidationError({name: exc.detail}) from None


class Pagination(PageNumberPagination):
    """`?page=N&page_size=M`; responses carry count, next, previous, results. A page or page size that is not
    a whole number from 1 is a 400, not silently the first page."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    last_page_strings = ()

    def get_page_number(self, request: Request, paginator: Paginator[Any]) -> int:
        return _whole_number(request, self.page_query_param) or 1

    def get_page_size(self, request: Request) -> int:
        size = _whole_number(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_query_param:
                parameter["description"] = PAGE_DESCRIPTION
            else:
                parameter["description"] = PAGE_SIZE_DESCRIPTION
        return parameters


# for views that page a list inside a larger body (the wallet's statement)
PAGE_PARAMETERS = [
    OpenApiParameter("page", {"type": "integer", "minimum": 1}, description=PAGE_DESCRIPTION),
    OpenApiParameter("page_size", {"type": "integer", "minimum": 1}, description=PAGE_SIZE_DESCRIPTION),
]
