"""Websocket outcomes for tests over the ASGI application (channels' WebsocketCommunicator)."""

from __future__ import annotations

import json
from typing import Any


async def admitted_or_closed(communicator: Any, timeout: float = 3) -> tuple[bool, int | None, dict[str, Any] | None]:
    """(admitted, close code, first message) of a connection that passes the handshake.

    A refused connection is accepted and closed at once with its code (logitrack.realtime): one refused at the
    handshake fails here, since browsers and websocket libraries then see an HTTP 403 and no code at all."""
    accepted, detail = await communicator.connect(timeout)
    if not accepted:
        raise AssertionError(f"refused at the handshake (close {detail}): a client could not tell why")
    first = await communicator.receive_output(timeout)
    if first["type"] == "websocket.close":
        return False, first.get("code"), None
    message: dict[str, Any] = json.loads(first["text"])
    return True, None, message
