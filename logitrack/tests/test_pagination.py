"""Lists page strictly: a page or page size that is not a whole number from 1 is a 400 problem, not page 1."""

import pytest
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from logitrack.http.pagination import Pagination


class Numbers(APIView):
    authentication_classes: list = []
    permission_classes: list = []

    def get(self, request):
        paginator = Pagination()
        return paginator.get_paginated_response(paginator.paginate_queryset(list(range(250)), request, view=self))


def page(**params):
    return Numbers.as_view()(APIRequestFactory().get("/numbers/", params))


def test_default_and_explicit_pages():
    first = page().data
    assert (first["count"], len(first["results"]), first["results"][0]) == (250, 50, 0)
    second = page(page=2, page_size=100).data
    assert second["results"][0] == 100 and len(second["results"]) == 100


def test_a_page_size_above_the_limit_is_capped():
    assert len(page(page_size=1000).data["results"]) == 200


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page", ""),
        ("page", "0"),
        ("page", "two"),
        ("page_size", ""),
        ("page_size", "-5"),
        ("page_size", "1e3"),
        ("page", "last"),
    ],
)
def test_malformed_paging_is_a_400_naming_the_parameter(name, value):
    response = page(**{name: value})
    assert response.status_code == 400
    assert response.data["code"] == "validation_failed" and name in response.data["errors"]


def test_a_page_past_the_end_is_404():
    response = page(page=6)
    assert (response.status_code, response.data["code"]) == (404, "not_found")
