"""HTTP under ASGI (config.asgi, as uvicorn serves it): the middleware chain and the view run in one thread switch,
and requests still behave as they do everywhere else (the API with a token, a problem body, a static file)."""

from __future__ import annotations

import asyncio
import contextvars
import json
import threading
from pathlib import Path

import pytest
from asgiref import sync
from asgiref.sync import async_to_sync
from django.contrib.staticfiles import finders
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler

from apps.identity import tokens
from config.asgi import application
from logitrack.testing.asgi import Exchanged, exchange, get_scope


def call(app, path: str, *, token: str = "") -> Exchanged:
    """One GET as uvicorn hands it over."""
    return async_to_sync(exchange)(app, path, token=token)


@pytest.fixture
def switches(monkeypatch):
    """How many times code was handed from the event loop to a thread (each `sync_to_async` call)."""
    counted = [0]
    original = sync.SyncToAsync.__call__

    async def counting(self, *args, **kwargs):
        counted[0] += 1
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(sync.SyncToAsync, "__call__", counting)
    return counted


@pytest.mark.django_db
def test_a_request_switches_to_a_thread_three_times_not_twice_per_middleware(switches):
    """request_started's receivers, the chain with the view, closing the response. Django's own handler, its chain
    in async mode, switches for each MiddlewareMixin's process_request and process_response, and for the view:
    about twenty times, which cost half of /healthz's CPU."""
    assert call(application, "/healthz").status == 200
    assert switches[0] == 3

    switches[0] = 0
    assert call(DjangoASGIHandler(), "/healthz").status == 200
    assert switches[0] > 10  # what this handler saves; if Django stops switching per middleware, it can go


@pytest.mark.django_db(transaction=True)  # the view reads in the request's own thread, on its own connection
def test_the_api_static_files_and_problems_behave_as_before(make_user):
    user = make_user(email="asgi@example.test")
    me = call(application, "/api/v1/identity/me/", token=tokens.token_pair_issue(user=user).access)
    assert me.status == 200
    assert json.loads(me.body)["email"] == "asgi@example.test"

    anonymous = call(application, "/api/v1/identity/me/")
    assert anonymous.status == 401
    assert anonymous.headers[b"Content-Type"] == b"application/problem+json"

    stylesheet = call(application, "/static/logitrack/base.css")
    assert stylesheet.status == 200
    assert stylesheet.body == Path(finders.find("logitrack/base.css")).read_bytes()
    assert call(application, "/static/logitrack/no-such-file.css").status == 404


@pytest.mark.django_db(transaction=True)
def test_requests_reuse_redis_connections(make_user, monkeypatch):
    """uvicorn runs each request in a context of its own, and Django builds a cache backend per context: every
    authenticated request (the principal cache, the throttle) opened a new connection to Redis until backends shared
    one client."""
    from django.conf import settings

    if not settings.REDIS_URL:
        pytest.skip("the embedded default has no Redis")
    import redis

    opened = [0]
    original = redis.connection.ConnectionPool.make_connection

    def counting(pool):
        opened[0] += 1
        return original(pool)

    monkeypatch.setattr(redis.connection.ConnectionPool, "make_connection", counting)
    token = tokens.token_pair_issue(user=make_user(email="pooled@example.test")).access

    def request():  # as uvicorn serves one: in a fresh context
        return contextvars.Context().run(call, application, "/api/v1/identity/me/", token=token).status

    assert request() == 200  # may open the process's connection
    opened[0] = 0
    assert [request() for _ in range(5)] == [200] * 5
    assert opened[0] == 0


@pytest.fixture
def request_threads():
    """The thread each request's sync code started on (request_started's receivers run there), in order."""
    from django.core.signals import request_started

    seen: list[int] = []

    def record(**kwargs):
        seen.append(threading.get_ident())

    request_started.connect(record, weak=False)
    yield seen
    request_started.disconnect(record)


@pytest.mark.django_db
def test_requests_one_after_another_reuse_one_thread(request_threads, monkeypatch):
    """Django's handler started a thread per request (and another to join it)."""
    started = [0]
    original = threading.Thread.start

    def counting(self):
        started[0] += 1
        return original(self)

    async def five_after_one():
        assert (await exchange(application, "/healthz")).status == 200  # may start the first
        monkeypatch.setattr(threading.Thread, "start", counting)
        statuses = []
        for _ in range(5):  # each in a context of its own, as uvicorn runs them
            task = asyncio.get_running_loop().create_task(
                exchange(application, "/healthz"), context=contextvars.Context()
            )
            statuses.append((await task).status)
        return statuses

    assert async_to_sync(five_after_one)() == [200] * 5
    assert started[0] == 0
    assert len(set(request_threads)) == 1


@pytest.mark.django_db
def test_requests_at_the_same_time_each_have_a_thread(request_threads):
    """Two requests are in their sync code at once (each waits at the barrier for the other): borrowing threads
    must not queue one request behind another."""
    from django.core.signals import request_started

    barrier = threading.Barrier(2, timeout=5)

    def wait_for_the_other(**kwargs):
        barrier.wait()

    request_started.connect(wait_for_the_other, weak=False)
    try:

        async def both():
            answers = await asyncio.gather(*(exchange(application, "/healthz") for _ in "ab"))
            return [answer.status for answer in answers]

        assert async_to_sync(both)() == [200, 200]
    finally:
        request_started.disconnect(wait_for_the_other)
    assert len(request_threads) == 2
    assert request_threads[0] != request_threads[1]


@pytest.mark.django_db
def test_a_client_gone_before_the_response_gets_none_and_the_request_still_finishes():
    """The disconnect listener now ends instead of raising RequestAborted (whose traceback held every served request
    in a reference cycle); a client that leaves while its view runs must still cancel the response, as before."""
    from django.core.signals import request_finished

    finished = []

    def record(**kwargs):
        finished.append(threading.get_ident())

    async def gone():
        messages = [{"type": "http.disconnect"}, {"type": "http.request", "body": b"", "more_body": False}]
        sent = []

        async def receive():
            return messages.pop()

        async def send(message):
            sent.append(message)

        await application(get_scope("/healthz"), receive, send)
        return sent

    request_finished.connect(record, weak=False)
    try:
        assert async_to_sync(gone)() == []
    finally:
        request_finished.disconnect(record)
    assert len(finished) == 1


def test_an_unexpected_message_after_the_body_is_still_an_error():
    async def confused():
        messages = [
            {"type": "http.request", "body": b"more"},  # read second: after the body, by the disconnect listener
            {"type": "http.request", "body": b"", "more_body": False},
        ]

        async def receive():
            if messages:
                return messages.pop()
            await asyncio.sleep(5)

        async def send(message):
            pass

        await application(get_scope("/healthz"), receive, send)

    with pytest.raises(AssertionError, match=r"Invalid ASGI message after request body: http\.request"):
        async_to_sync(confused)()
