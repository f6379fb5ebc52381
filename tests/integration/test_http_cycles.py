"""`logitrack.http.cycles`: an API request served as uvicorn serves it (`logitrack.http.asgi`) leaves no reference
cycles holding its request, list serializer, view or response (Django's, DRF's, the middleware's), so refcounting
frees its page and output as the response closes instead of the garbage collector later (young collections were
pausing the server 20-80 ms)."""

import gc

import pytest
from asgiref.sync import async_to_sync
from django.core.exceptions import RequestAborted
from django.http import HttpRequest, HttpResponseBase
from rest_framework.serializers import ListSerializer
from rest_framework.views import APIView

from apps.identity import tokens
from logitrack.testing.asgi import exchange


@pytest.mark.django_db(transaction=True)  # the view reads in the request's own thread, on its own connection
def test_a_served_list_page_leaves_nothing_of_the_request_in_cycles(make_user):
    from config.asgi import application

    token = tokens.token_pair_issue(user=make_user(email="cycles@example.test")).access

    async def pages(n: int) -> list[int]:
        return [(await exchange(application, "/api/v1/trips/trips/", token=token)).status for _ in range(n)]

    assert async_to_sync(pages)(1) == [200]  # warm: first-use caches are not garbage
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what only the collector would free stays in gc.garbage
    try:
        assert async_to_sync(pages)(3) == [200] * 3
        gc.collect()
        # by type: isinstance would read __class__ of lazy objects in the garbage (the CSP nonce raises)
        request_parts = ListSerializer | APIView | HttpRequest | HttpResponseBase | RequestAborted
        kept = [t.__name__ for t in map(type, gc.garbage) if issubclass(t, request_parts)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert kept == []
