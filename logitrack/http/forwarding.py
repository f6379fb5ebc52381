"""A context's public REST API, forwarded to the service that runs it (the strangler's facade).

When a context runs as its own service (billing, docs/production.md) the platform's web process no longer has its
views; apps and integrators keep calling the same address (`/api/v1/billing/...`) and this view passes each request
on to the service's web process (`<SERVICE>_SERVICE_URL`) and its answer back, byte for byte: the method, path,
query, body and the caller's own credential (the service checks the access token itself, with the platform's
public keys). A proxy in front of both (nginx, a load balancer) may route the prefix to the service directly
instead; nothing else changes.

Not passed on: hop-by-hop headers, the Host, and cookies (the platform's session is not the service's business).
Added: `X-Forwarded-For/-Proto/-Host` and the request id. A service that cannot be reached, or does not answer within
the timeout, is a 503 problem with the context's own code (`billing.unavailable`) and `Retry-After`; a request is
never sent twice (a booking's payment or a top-up must not be).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any

import requests
import structlog
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from logitrack import remote, wire
from logitrack.http import problems
from logitrack.logs import request_id_var

log = structlog.get_logger(__name__)

# RFC 9110 §7.6.1, and what the two ends set for themselves
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "host",
        "content-length",
        "content-encoding",
        "cookie",
        "set-cookie",
    }
)
ANSWER_TIMEOUT_SECONDS = 30.0  # a receipt's or a report's PDF is rendered while the caller waits
RETRY_AFTER_SECONDS = 5


def forwarder(interface: wire.RemoteInterface, prefix: str) -> Callable[..., Coroutine[Any, Any, HttpResponse]]:
    """The view that forwards `prefix` + the rest of the path to `interface.service`'s web process: async, with the
    blocking HTTP call on a worker thread (requests has no async client, and the platform pins no async one)."""
    local = threading.local()

    def send(method: str, url: str, **kwargs: Any) -> requests.Response:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()  # a connection pool per thread (Session is not thread-safe)
        return session.request(method, url, **kwargs)

    @csrf_exempt
    async def forward(request: HttpRequest, rest: str = "") -> HttpResponse:
        config = remote.ClientSettings.of(interface.service)
        url = f"{config.url}/{prefix}{rest}"
        if query := request.META.get("QUERY_STRING", ""):
            url = f"{url}?{query}"
        try:
            answer = await asyncio.to_thread(
                send,
                request.method or "GET",
                url,
                data=request.body,
                headers=_request_headers(request),
                timeout=(config.connect_timeout, ANSWER_TIMEOUT_SECONDS),
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            log.warning("forward.failed", service=interface.service, path=request.path, error=repr(exc))
            unavailable = interface.unavailable(
                f"{interface.service} cannot be reached: {type(exc).__name__}", retry_after=RETRY_AFTER_SECONDS
            )
            return problems.service_unavailable_response(unavailable)
        response = HttpResponse(answer.content, status=answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in HOP_BY_HOP:
                response[name] = value
        return response

    forward.__name__ = f"forward_{interface.service}"
    return forward


def _request_headers(request: HttpRequest) -> dict[str, Any]:
    headers = {name: value for name, value in request.headers.items() if name.lower() not in HOP_BY_HOP}
    headers["Accept-Encoding"] = "identity"  # passed on as is: no decoding and re-encoding here
    forwarded_for = request.headers.get("X-Forwarded-For")
    client = request.META.get("REMOTE_ADDR", "")
    headers["X-Forwarded-For"] = f"{forwarded_for}, {client}" if forwarded_for else client
    headers["X-Forwarded-Proto"] = request.scheme or "http"
    headers["X-Forwarded-Host"] = request.get_host()
    if request_id := request_id_var.get():
        headers["X-Request-ID"] = request_id
    return headers
