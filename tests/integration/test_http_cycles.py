"""`logitrack.http.cycles`: an API request served as uvicorn serves it leaves no reference cycles holding its list
serializer, view and response (DRF's), so refcounting frees its page and output as the response closes instead of
the garbage collector later (young collections were pausing the server 20-80 ms)."""

import gc

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from rest_framework.response import Response
from rest_framework.serializers import ListSerializer
from rest_framework.views import APIView

from apps.identity import tokens


async def get(app, path: str, token: str) -> int:
    headers = [(b"host", b"testserver"), (b"authorization", f"Bearer {token}".encode())]
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": headers}
    app_ = ApplicationCommunicator(app, scope | {"asgi": {"version": "3.0"}, "http_version": "1.1"})
    await app_.send_input({"type": "http.request", "body": b""})
    start = await app_.receive_output(5)
    while (await app_.receive_output(5)).get("more_body"):
        pass
    await app_.wait(5)
    return start["status"]


@pytest.mark.django_db(transaction=True)  # the view reads in the request's own thread, on its own connection
def test_a_list_page_leaves_no_serializer_view_or_response_in_cycles(make_user):
    from config.asgi import application

    token = tokens.token_pair_issue(user=make_user(email="cycles@example.test")).access

    async def pages(n: int) -> list[int]:
        return [await get(application, "/api/v1/trips/trips/", token) for _ in range(n)]

    assert async_to_sync(pages)(1) == [200]  # warm: first-use caches are not garbage
    gc.collect()
    gc.disable()
    gc.set_debug(gc.DEBUG_SAVEALL)  # what only the collector would free stays in gc.garbage
    try:
        assert async_to_sync(pages)(3) == [200] * 3
        gc.collect()
        # by type: isinstance would read __class__ of lazy objects in the garbage (the CSP nonce raises)
        kept = [t.__name__ for t in map(type, gc.garbage) if issubclass(t, ListSerializer | APIView | Response)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert kept == []
