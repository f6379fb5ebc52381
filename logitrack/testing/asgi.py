"""One HTTP GET exchange with an ASGI application in the test's own event loop, as uvicorn drives it.

What matters for the tests that use it (the ASGI handler's threads, the objects a request leaves for the garbage
collector): like uvicorn, a `receive()` still pending once the response is sent returns `http.disconnect`, so
Django's disconnect listener ends the moment the response is complete rather than being cancelled.
asgiref's `ApplicationCommunicator` leaves it waiting, which is not what a served request does.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any


@dataclasses.dataclass
class Exchanged:
    status: int
    headers: dict[bytes, bytes]
    body: bytes


def get_scope(path: str, *, token: str = "") -> dict[str, Any]:
    """The scope of a GET of `path`, with a bearer token when given."""
    headers = [(b"host", b"testserver")] + ([(b"authorization", f"Bearer {token}".encode())] if token else [])
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "path": path,
        "query_string": b"",
        "headers": headers,
    }


async def exchange(app: Any, path: str, *, token: str = "") -> Exchanged:
    scope = get_scope(path, token=token)
    complete = asyncio.Event()
    unread = [{"type": "http.request", "body": b"", "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if unread:
            return unread.pop()
        await complete.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            complete.set()

    await asyncio.wait_for(app(scope, receive, send), 10)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Exchanged(status=start["status"], headers=dict(start.get("headers", [])), body=content)
