"""Django's HTTP handler for ASGI, with the middleware chain and the view in one thread switch per request.

Django's own ASGIHandler builds the chain in async mode. A middleware written as `MiddlewareMixin` (Django's security,
session, common, CSRF, auth, messages and clickjacking middleware, and most libraries') then runs its
`process_request` and its `process_response` each through `sync_to_async`, and a sync view takes one switch more:
about twenty switches between the event loop and a thread on every request here, `/healthz` included, where all
the views are sync (DRF). Built in sync mode, as under WSGI, the chain and the view run in one switch. An async view
(billing's forwarder) still works: Django runs it with `async_to_sync`, as it does under WSGI. Sending the response,
reading the body and websockets stay on the event loop.
"""

from __future__ import annotations

import django
from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler as DjangoASGIHandler
from django.http import HttpRequest, HttpResponseBase


class ASGIHandler(DjangoASGIHandler):
    def __init__(self) -> None:
        # not super().__init__(), which loads the chain in async mode
        self.load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        # the request's own thread (ASGIHandler runs each request in a ThreadSensitiveContext), as for a sync view
        response: HttpResponseBase = await sync_to_async(self.get_response, thread_sensitive=True)(request)
        return response


def get_asgi_application() -> ASGIHandler:
    """`django.core.asgi.get_asgi_application`, with this handler."""
    django.setup(set_prefix=False)
    return ASGIHandler()
