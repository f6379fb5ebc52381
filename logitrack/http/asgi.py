"""Django's HTTP handler for ASGI, with the middleware chain and the view in one thread switch per request.

Django's own ASGIHandler builds the chain in async mode. A middleware written as `MiddlewareMixin` (Django's security,
session, common, CSRF, auth, messages and clickjacking middleware, and most libraries') then runs its
`process_request` and its `process_response` each through `sync_to_async`, and a sync view takes one switch more:
about twenty switches between the event loop and a thread on every request here, `/healthz` included, where all
the views are sync (DRF). Built in sync mode, as under WSGI, the chain and the view run in one switch. An async view
(billing's forwarder) still works: Django runs it with `async_to_sync`, as it does under WSGI. Sending the response,
reading the body and websockets stay on the event loop.

Django runs each request's sync code on a thread of the request's own (a `ThreadSensitiveContext` per request), so
it started a thread for every request and, on the way out, another to join it: about a quarter of `/healthz`'s CPU.
Here a request borrows a one-thread executor that earlier requests used and gives it back, so threads are started
only when more requests run at once than ever before. A request still has its thread to itself while it runs: the
sync code of one request (its middleware, view, signals, closing the response) runs on one thread, and requests
running at the same time run on different ones.

Django's disconnect listener raised `RequestAborted` when the client's `http.disconnect` arrived, which under uvicorn
is every request: a `receive()` pending once the response is sent returns it. Re-raised in `handle`, the exception's
traceback held `handle`'s frame, whose list of tasks held the listener's task and so the exception: a reference
cycle that kept each request's whole working set (request, response, view, serializers, rows) for the garbage
collector instead of freeing it as `handle` returned. Here the listener just ends; `handle` treats a finished
listener exactly as it treated an aborted one (the view, if still running, is cancelled).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import django
from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.http import HttpRequest, HttpResponseBase

IDLE_THREADS_KEPT = 64  # beyond this many idle after a burst, a returned thread is let go


class RequestThreads:
    """One-thread executors lent to one request at a time. Used from the event loop's thread only."""

    def __init__(self, keep: int = IDLE_THREADS_KEPT) -> None:
        self.keep = keep
        self.idle: list[ThreadPoolExecutor] = []

    def lend(self) -> ThreadPoolExecutor:
        if self.idle:
            return self.idle.pop()
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")

    def give_back(self, executor: ThreadPoolExecutor) -> None:
        if len(self.idle) < self.keep:
            self.idle.append(executor)
        else:
            executor.shutdown(wait=False)


class ASGIHandler(DjangoASGIHandler):
    def __init__(self) -> None:
        # not super().__init__(), which loads the chain in async mode
        self.load_middleware(is_async=False)
        self.threads = RequestThreads()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)  # refuses it, as Django does
            return
        executor = self.threads.lend()
        try:
            # Django's own ThreadSensitiveContext inside is then a no-op: the outermost one decides
            async with ThreadSensitiveContext(executor=executor):
                await super().__call__(scope, receive, send)
        finally:
            # idle by now: every thread-sensitive call of the request was awaited (a cancelled view's thread
            # finishes before request_finished's receivers, queued behind it on the same thread, have run)
            self.threads.give_back(executor)

    async def listen_for_disconnect(self, receive: Any) -> None:
        message = await receive()
        if message["type"] != "http.disconnect":  # Django asserts the same
            raise AssertionError(f"Invalid ASGI message after request body: {message['type']}")

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # the request's own thread (ASGIHandler runs each request in a ThreadSensitiveContext), as for a sync view
        response: HttpResponseBase = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        return response


def get_asgi_application() -> ASGIHandler:
    """`django.core.asgi.get_asgi_application`, with this handler."""
    django.setup(set_prefix=False)
    return ASGIHandler()
