"""Websocket consumers that authenticate before accepting.

Close codes (documented for app developers in docs/api.md):
- 4401 not authenticated, or the access token expired while connected: refresh it and reconnect;
- 4403 authenticated, but not allowed here (e.g. another fleet's feed).

A connection refused before accept() fails the handshake (servers answer HTTP 403); the app's
close code is still what an ASGI test client sees. An accepted connection is closed with the code.
"""

from __future__ import annotations

import asyncio
import time

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels_redis import pubsub

from logitrack import resilience
from logitrack.principal import Principal

CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class AuthenticatedJsonConsumer(AsyncJsonWebsocketConsumer):
    """Subclasses implement `authorize()` (tenant checks, group joins) and the usual handlers."""

    principal: Principal

    async def authorize(self, principal: Principal) -> bool:
        return True

    async def dispatch(self, message):
        """Channels runs close_old_connections() in a worker thread before every message, for handlers that use
        the ORM on the event loop. Ours never do (database work goes through database_sync_to_async, which
        checks connections itself), and that thread hop per ping and per screen push was a tenth of the
        server's time under load."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_connect(self, message):
        principal = self.scope.get("principal")
        if principal is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        self.principal = principal
        if not await self.authorize(principal):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept(subprotocol=self.scope.get("auth_subprotocol"))
        expires_at = self.scope.get("auth_expires_at")
        if expires_at is not None:
            self._expiry = asyncio.get_running_loop().call_later(
                max(0.0, expires_at - time.time()), lambda: asyncio.ensure_future(self._expire())
            )
        await self.connected()

    async def connected(self) -> None:
        """Called after accept(): send a snapshot, start streams."""

    async def _expire(self) -> None:
        await self.send_json({"type": "auth.expired"})
        await self.close(code=CLOSE_UNAUTHENTICATED)

    async def websocket_disconnect(self, message):
        expiry = getattr(self, "_expiry", None)
        if expiry is not None:
            expiry.cancel()
        await super().websocket_disconnect(message)


def browser_origin_validator(application):
    """Refuse websocket handshakes from a browser page on another site (Origin not one of ALLOWED_HOSTS), which
    would otherwise ride on the session cookie. Native apps send no Origin and authenticate with a token."""
    from channels.security.websocket import OriginValidator
    from django.conf import settings

    class _Validator(OriginValidator):
        def valid_origin(self, parsed_origin):
            return parsed_origin is None or self.validate_origin(parsed_origin)

    hosts = list(settings.ALLOWED_HOSTS)
    if settings.DEBUG and not hosts:
        hosts = [".localhost", "127.0.0.1", "[::1]"]
    return _Validator(application, hosts)


class _Shard(pubsub.RedisSingleShardConnection):
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


class PubSubChannelLayer(pubsub.RedisPubSubChannelLayer):
    """The Redis pub/sub channel layer (CHANNEL_LAYER_BACKEND's default) with `_Shard`'s reader."""

    def _get_layer(self):
        layer = super()._get_layer()
        if not getattr(layer, "_resilient_shards", False):  # swapped before first use: nothing connected yet
            layer._shards = [_Shard(shard.host, layer) for shard in layer._shards]
            layer._resilient_shards = True
        return layer
