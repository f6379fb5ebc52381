"""Websocket consumers that authenticate before accepting.

Close codes (documented for app developers in docs/api.md):
- 4401 not authenticated, or the access token expired while connected: refresh it and reconnect;
- 4403 authenticated, but not allowed here (e.g. another fleet's feed).

A refused connection is accepted and then closed with its code at once: refused before accept(), browsers and
websocket libraries see only an HTTP 403 and cannot tell "sign in again" from "not yours". Nothing is sent
before the close, and frames the client sent before reading it are dropped. A path no route matches is refused
as not found (`not_found` below), 4404 where the server cannot answer the handshake with HTTP 404.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import os
import random
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import structlog
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from channels.sessions import InstanceSessionWrapper
from channels_redis import pubsub
from django.conf import settings

from logitrack import correlation, jsonlimits, metrics, resilience, tracing
from logitrack.logs import request_id_var
from logitrack.principal import Principal

log = structlog.get_logger("logitrack.realtime")
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_NOT_FOUND = 4404
CLOSE_TRY_AGAIN_LATER = 1013  # RFC 6455 registry: the database is unreachable (answered 503 where possible)

# ASGI: an application is `await app(scope, receive, send)` (channels ships no types)
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def group_message(message: dict[str, Any], request_id: str | None = None) -> dict[str, Any]:
    """A channel-layer group message carrying the request id of what caused it (`request_id`, default the one bound
    now), which the receiving sockets' consumers bind while they handle it, and the trace context current now
    (`traceparent`, when tracing is on), whose trace each socket's push joins."""
    request_id = request_id or correlation.current()
    message = {**message, "request_id": request_id} if request_id else message
    return tracing.stamp(message) if tracing.enabled() else message


_HANDLER_NAMES: dict[str, str] = {}  # message type -> handler name, as Channels' get_handler_name says


def _handler_name(message: Message) -> str:
    name: str = get_handler_name(message)
    _HANDLER_NAMES[message["type"]] = name
    return name


# A request id per websocket message: a random per-process prefix and a counter (32 hex digits, like uuid4().hex),
# since uuid4 asks the kernel for randomness on every ping.
_request_id_prefix = [os.urandom(10).hex()]
_request_ids = itertools.count()
# a forked worker (a server that preloads the app) must not repeat its parent's ids
os.register_at_fork(after_in_child=lambda: _request_id_prefix.__setitem__(0, os.urandom(10).hex()))


def new_request_id() -> str:
    return f"{_request_id_prefix[0]}{next(_request_ids) & 0xFFFFFFFFFFFF:012x}"


def _past_session_wrappers(send: Send) -> Send:
    """The send below Channels' session middleware (InstanceSessionWrapper), which acts on HTTP responses only."""
    while isinstance(getattr(send, "__self__", None), InstanceSessionWrapper):
        send = send.__self__.real_send  # type: ignore[attr-defined]
    return send


class AuthenticatedJsonConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]  # channels is untyped
    """Subclasses implement `authorize()` (tenant checks, group joins) and the usual handlers."""

    principal: Principal
    refused = False  # set when the connection is closed with a refusal: frames the client sent already are dropped
    metrics_kind = ""  # the `kind` label of logitrack_websocket_connections (driver, screen, tracking)
    _counted = False

    async def authorize(self, principal: Principal) -> bool:
        return True

    @classmethod
    async def decode_json(cls, text_data: str | bytes) -> Any:
        return jsonlimits.loads(text_data)  # deep nesting is a ValueError here, not a RecursionError

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """A message that is not JSON (or nests too deep) gets an error message; the connection stays open."""
        if self.refused:  # sent right after the handshake, before the client read our close: not theirs to ask
            return
        try:
            content = await self.decode_json(text_data or bytes_data or b"")
        except ValueError as exc:
            await self.malformed_message(str(exc) if isinstance(exc, jsonlimits.TooDeeplyNested) else "")
            return
        await self.receive_json(content, **kwargs)

    async def malformed_message(self, reason: str) -> None:
        message = "messages are JSON objects" + (f" ({reason})" if reason else "")
        await self.send_json({"type": "error", "code": "malformed_message", "message": message})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Channels' own loop (`await_many_dispatch`) races the socket against the channel layer with a new task and
        an `asyncio.wait` for every message, a tenth of the web server's CPU at a thousand driver pings a second.
        Here the socket is read in place and the channel layer by one task of its own that lives as long as the
        connection; a lock keeps Channels' promise that handlers run one at a time. The layer is read only once
        the connect handler is done, so nothing reaches a socket before it is accepted (or refused)."""
        self.scope = scope
        self.base_send = send
        self._frame_send = _past_session_wrappers(send)
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        if self.channel_layer is not None:
            self.channel_name = await self.channel_layer.new_channel()
            self.channel_receive = functools.partial(self.channel_layer.receive, self.channel_name)
        self._handling = asyncio.Lock()
        layer: asyncio.Task[None] | None = None
        try:
            while True:
                message = await receive()
                async with self._handling:
                    await self.dispatch(message)
                if layer is None and self.channel_layer is not None:
                    layer = asyncio.ensure_future(self._follow_layer())
        except StopConsumer:
            pass
        finally:
            if self._counted:  # however the connection ended
                metrics.WEBSOCKETS.labels(self.metrics_kind).dec()
            if layer is not None:
                layer.cancel()
                await asyncio.gather(layer, return_exceptions=True)

    async def _follow_layer(self) -> None:
        try:
            while True:
                message = await self.channel_receive()
                async with self._handling:
                    await self.dispatch(message)
        except (asyncio.CancelledError, StopConsumer):
            raise
        except Exception:  # as a failing handler would under Channels' loop: the connection ends (1011, server error)
            log.exception("realtime.layer_message_failed", consumer=type(self).__name__)
            await self.base_send({"type": "websocket.close", "code": 1011})

    async def dispatch(self, message: Message) -> None:
        """Channels runs close_old_connections() in a worker thread before every message, for handlers that use
        the ORM on the event loop. Ours never do (database work goes through database_sync_to_async, which
        checks connections itself), and that thread hop per ping and per screen push was a tenth of the
        server's time under load."""
        kind = message["type"]
        handler = getattr(self, _HANDLER_NAMES.get(kind) or _handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {kind}")
        # what the handling logs, publishes and enqueues carries a request id: a push's from what caused it
        # (`group_message`), a message from the client its own, as an HTTP request has
        request_id = message.get("request_id")
        if request_id is None and (kind == "websocket.receive" or kind == "websocket.connect"):
            request_id = new_request_id()
        token = request_id_var.set(request_id)  # correlation.bound without a generator per message
        try:
            if tracing.enabled() and tracing.TRACEPARENT in message:  # a push: its span joins the causing trace
                attributes = {"logitrack.consumer": type(self).__name__}
                with tracing.consuming(f"ws push {kind}", message, attributes=attributes):
                    await handler(message)
            else:
                await handler(message)
        finally:
            request_id_var.reset(token)

    async def send_frame(self, text: str) -> None:
        """A text frame straight to the server, past Channels' session wrapper, which saves sessions only on
        HTTP responses yet reads the lazy session twice for every frame (acks and screen pushes)."""
        await self._frame_send({"type": "websocket.send", "text": text})

    async def websocket_connect(self, message: Message) -> None:
        principal = self.scope.get("principal")
        if principal is None:
            await self._refuse(CLOSE_UNAUTHENTICATED)
            return
        self.principal = principal
        if not await self.authorize(principal):
            await self._refuse(CLOSE_FORBIDDEN)
            return
        await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
        self.count_open()
        expires_at = self.scope.get("auth_expires_at")
        if expires_at is not None:
            self._expiry = asyncio.get_running_loop().call_later(
                max(0.0, expires_at - time.time()), lambda: asyncio.ensure_future(self._expire())
            )
        self._schedule_recheck()
        await self.connected()

    def count_open(self) -> None:
        """Count this accepted connection in logitrack_websocket_connections until it ends (in __call__)."""
        if self.metrics_kind and not self._counted:
            metrics.WEBSOCKETS.labels(self.metrics_kind).inc()
            self._counted = True

    async def _refuse(self, code: int) -> None:
        """Accept (echoing the bearer subprotocol, or a browser fails the handshake) and close with the code."""
        self.refused = True
        await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
        await self.close(code=code)

    async def connected(self) -> None:
        """Called after accept(): send a snapshot, start streams."""

    async def _expire(self) -> None:
        await self.send_json({"type": "auth.expired"})
        await self.close(code=CLOSE_UNAUTHENTICATED)

    def _schedule_recheck(self) -> None:
        """A token's socket asks every REALTIME_AUTH_RECHECK_SECONDS (jittered, so sockets opened together do not
        ask together) whether its token still holds: a logout or a password change ends it within that."""
        check = self.scope.get("auth_check")
        every = float(settings.REALTIME_AUTH_RECHECK_SECONDS)
        if check is not None and every > 0:
            self._recheck = asyncio.get_running_loop().call_later(
                every * random.uniform(0.8, 1.2), lambda: asyncio.ensure_future(self._check_auth(check))
            )

    async def _check_auth(self, check: Callable[[], Awaitable[bool]]) -> None:
        try:
            valid = await check()
        except Exception as exc:  # the cache and the database unreachable: keep the socket, ask again next time
            log.warning("realtime.auth_recheck_failed", error=repr(exc))
            valid = True
        if valid:
            self._schedule_recheck()
            return
        try:
            await self.send_json({"type": "auth.ended"})
            await self.close(code=CLOSE_UNAUTHENTICATED)
        except Exception:  # the client left meanwhile
            log.info("realtime.auth_ended_undelivered")

    async def websocket_disconnect(self, message: Message) -> None:
        for timer in (getattr(self, "_expiry", None), getattr(self, "_recheck", None)):
            if timer is not None:
                timer.cancel()
        await super().websocket_disconnect(message)


_NOT_FOUND_BODY = (
    b'{"type": "https://logitrack.dev/problems/not_found", "title": "Not found", "status": 404, '
    b'"detail": "no websocket at this path", "code": "not_found"}'
)


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    """The websocket route of last resort (config/routing.py): no consumer here, so refuse as not found. Servers
    with the ASGI websocket denial-response extension (uvicorn) answer the handshake 404 problem+json; others
    close before accept (their handshake answer is 403) with 4404 for ASGI clients to read."""
    message = await receive()
    if message["type"] != "websocket.connect":
        return
    if "websocket.http.response" in scope.get("extensions", {}):
        await send(
            {
                "type": "websocket.http.response.start",
                "status": 404,
                "headers": [(b"content-type", b"application/problem+json")],
            }
        )
        await send({"type": "websocket.http.response.body", "body": _NOT_FOUND_BODY})
    else:
        await send({"type": "websocket.close", "code": CLOSE_NOT_FOUND})


def refuse_during_database_outage(application: ASGIApp) -> ASGIApp:
    """A handshake whose authentication cannot reach the database (PostgreSQL down) is refused as unavailable,
    like HTTP requests (503 problem+json with Retry-After where the server can answer the handshake, else close
    1013 "try again later"), instead of failing as a 500."""
    from logitrack.http.problems import DATABASE_RETRY_AFTER_SECONDS, database_unavailable, unavailable_body

    async def guarded(scope: Scope, receive: Receive, send: Send) -> None:
        answered = False

        async def tracking_send(message: Message) -> None:
            nonlocal answered
            if not answered and message["type"] in (
                "websocket.accept",
                "websocket.close",
                "websocket.http.response.start",
            ):
                answered = True
            await send(message)

        try:
            await application(scope, receive, tracking_send)
        except Exception as exc:
            if scope["type"] != "websocket" or answered or not database_unavailable(exc):
                raise
            log.warning("realtime.database_unavailable", path=scope.get("path"), exc_type=type(exc).__name__)
            if "websocket.http.response" in scope.get("extensions", {}):
                headers = [
                    (b"content-type", b"application/problem+json"),
                    (b"retry-after", str(DATABASE_RETRY_AFTER_SECONDS).encode()),
                ]
                await send({"type": "websocket.http.response.start", "status": 503, "headers": headers})
                await send({"type": "websocket.http.response.body", "body": json.dumps(unavailable_body()).encode()})
            else:
                await send({"type": "websocket.close", "code": CLOSE_TRY_AGAIN_LATER})

    return guarded


def browser_origin_validator(application: ASGIApp) -> ASGIApp:
    """Refuse websocket handshakes from a browser page on another site (Origin not one of ALLOWED_HOSTS), which
    would otherwise ride on the session cookie. Native apps send no Origin and authenticate with a token."""
    from channels.security.websocket import OriginValidator

    class _Validator(OriginValidator):  # type: ignore[misc]  # channels is untyped
        def valid_origin(self, parsed_origin: Any) -> bool:
            return parsed_origin is None or bool(self.validate_origin(parsed_origin))

    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    validator: ASGIApp = _Validator(application, hosts)
    return validator


class _Shard(pubsub.RedisSingleShardConnection):  # type: ignore[misc]  # channels_redis is untyped
    """channels_redis's connection to one Redis, whose reader retries a lost Redis once a second for ever and logs
    a traceback every time. This one backs off (capped, jittered) and logs the outage once (logitrack.resilience);
    redis-py subscribes its channels again when it reconnects, as before."""

    async def _do_receiving(self) -> None:
        backoff = resilience.Backoff("channel_layer.receive")
        while True:
            try:
                if self._pubsub and self._pubsub.subscribed:
                    message = await self._pubsub.get_message(ignore_subscribe_messages=True, timeout=0.1)
                    backoff.succeeded()
                    self._receive_message(message)
                else:
                    await asyncio.sleep(0.1)
            except (TimeoutError, asyncio.CancelledError, GeneratorExit):
                raise
            except Exception as exc:
                await asyncio.sleep(backoff.failed(exc))


class PubSubChannelLayer(pubsub.RedisPubSubChannelLayer):  # type: ignore[misc]
    """The Redis pub/sub channel layer (CHANNEL_LAYER_BACKEND's default) with `_Shard`'s reader."""

    def _get_layer(self) -> Any:
        layer = super()._get_layer()
        if not getattr(layer, "_resilient_shards", False):  # swapped before first use: nothing connected yet
            layer._shards = [_Shard(shard.host, layer) for shard in layer._shards]
            layer._resilient_shards = True
        return layer
