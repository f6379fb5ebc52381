"""Websocket entry points: the driver app (`/ws/driver/`) and dispatch screens (`/ws/dispatch/fleets/<id>/`).

Both authenticate before accept (logitrack.realtime). Message formats are in docs/api.md.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from urllib.parse import parse_qs

import structlog
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder

from apps.dispatch import domain, feed, ingest, live, selectors
from apps.dispatch.contracts import NotADriver
from apps.dispatch.schemas import SnapshotOutput
from logitrack import tracing
from logitrack.principal import Principal
from logitrack.realtime import AuthenticatedJsonConsumer

log = structlog.get_logger(__name__)


class _JsonConsumer(AuthenticatedJsonConsumer):
    @classmethod
    async def encode_json(cls, content) -> str:
        return json.dumps(content, cls=DjangoJSONEncoder)

    async def malformed_message(self, reason: str) -> None:
        await self.error("dispatch.bad_json", "messages are JSON objects" + (f" ({reason})" if reason else ""))

    async def feed_message(self, event) -> None:
        await self.send_frame(event["text"])  # encoded once for the whole group (feed._event)

    async def error(self, code: str, message: str, **extra) -> None:
        await self.send_json({"type": "error", "code": code, "message": message, **extra})


class DriverConsumer(_JsonConsumer):
    """Pings up (`{"type": "ping", ...}` or `{"type": "pings", "pings": [...]}`), acks, offers and assignments down.
    The connection speaks for its own driver only; pings count only while that driver is on duty.

    While open, the socket marks its driver present (`api.drivers_connected`: notifications push only to drivers
    without one) on a lease of DISPATCH_PRESENCE_TTL_SECONDS that any message from the app renews; an app with
    nothing to report sends `{"type": "heartbeat"}` (answered in kind) more often than that."""

    metrics_kind = "driver"

    _presence_renew_at = 0.0  # monotonic: renew the lease with the first message after this

    async def authorize(self, principal: Principal) -> bool:
        raw = parse_qs(self.scope.get("query_string", b"").decode()).get("fleet_id", [None])[0]
        try:
            fleet_id = uuid.UUID(raw) if raw else None
            self.driver = await database_sync_to_async(selectors.driver_for_connection)(
                user_id=principal.user_id, fleet_id=fleet_id
            )
        except (ValueError, NotADriver):
            return False
        self._ingestor, self._roster = ingest.ingestor(), ingest.roster()  # this loop's, looked up once
        await self.channel_layer.group_add(feed.driver_group(self.driver.id), self.channel_name)
        await self._roster.join(self.driver.id)
        return True

    async def connected(self) -> None:
        lease = self._presence_lease = settings.DISPATCH_PRESENCE_TTL_SECONDS  # read once: a setting is a lazy look-up
        self._trace_ratio = settings.TRACING_PING_SAMPLE_RATIO
        self._presence_renew_at = time.monotonic() + lease / 3
        await _presence(lambda d, c: live.store().presence_mark(d, c, seconds=lease), self.driver.id, self.channel_name)
        await self.send_json({"type": "hello", "driver_id": str(self.driver.id), "fleet_id": str(self.driver.fleet_id)})

    async def disconnect(self, code) -> None:
        if hasattr(self, "driver"):
            self._roster.leave(self.driver.id)
            self._ingestor.forget_renewal(self.channel_name)
            await self.channel_layer.group_discard(feed.driver_group(self.driver.id), self.channel_name)
            await _presence(live.store().presence_drop, self.driver.id, self.channel_name)

    async def feed_message(self, event) -> None:
        if event["kind"] == "duty":  # partner said so: no need to wait for the next roster round
            self._roster.set(self.driver.id, json.loads(event["text"])["on_duty"])
        await super().feed_message(event)

    async def receive_json(self, content, **kwargs) -> None:
        now = time.monotonic()
        if now >= self._presence_renew_at:  # a few times per lease, with the next batch (ingest.Ingestor.renew)
            self._presence_renew_at = now + self._presence_lease / 3
            self._ingestor.renew(self.driver.id, self.channel_name)
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "heartbeat":
            await self.send_json({"type": "heartbeat"})
            return
        if kind == "ping":
            raw = [{k: v for k, v in content.items() if k != "type" and k != "traceparent"}]
        elif kind == "pings" and isinstance(content.get("pings"), list):
            raw = content["pings"]
        else:
            await self.error("dispatch.unknown_message", "send a 'ping', 'pings' or 'heartbeat' message")
            return
        if len(raw) > domain.MAX_BATCH:
            await self.error("dispatch.batch_too_large", f"at most {domain.MAX_BATCH} pings per message")
            return
        good, refused = domain.sort_pings(raw, driver_id=self.driver.id, now=dt.datetime.now(dt.UTC))
        for problem in refused:
            await self.error(problem.pop("code"), problem.pop("message"), **problem)
        if not good:
            return
        if not self._roster.on_duty(self.driver.id):
            await self.error("dispatch.not_on_duty", "go on duty before sharing your position")
            return
        # the message's span (or a traceparent the app sent), ended once its pings are stored and acked; None when
        # its trace is not kept (decided without making a span: pings are the hottest path)
        span = tracing.started("ws receive pings", content, ratio=self._trace_ratio)
        if span is not None:
            span.set_attributes({"logitrack.driver.id": str(self.driver.id), "logitrack.pings": len(good)})
        self._ingestor.submit(self.driver.id, self.driver.fleet_id, good, self._ack, span)

    async def _ack(self, ping_ids: list[uuid.UUID]) -> None:
        # one per ping a second per driver: written straight to the server, without the JSON encoder (uuids only)
        await self.send_frame('{"type": "ack", "ping_ids": ["' + '", "'.join(map(str, ping_ids)) + '"]}')


async def _screens(change, fleet_id: uuid.UUID, channel: str) -> None:
    """Which fleets have a screen (the board task's list). Best effort: with Redis down the feed is down anyway."""
    try:
        await sync_to_async(change, thread_sensitive=False)(fleet_id, channel)
    except Exception:
        log.warning("dispatch.screen_registry_failed", fleet_id=str(fleet_id), exc_info=True)


async def _presence(change, driver_id: uuid.UUID, channel: str) -> None:
    """Best effort like `_screens`: with Redis down a driver looks absent and gets a push it may not need."""
    try:
        await sync_to_async(change, thread_sensitive=False)(driver_id, channel)
    except Exception:
        log.warning("dispatch.presence_failed", driver_id=str(driver_id), exc_info=True)


def _snapshot(fleet_id: uuid.UUID) -> dict:
    return dict(SnapshotOutput(selectors.fleet_snapshot(fleet_id=fleet_id)).data)


class FleetFeedConsumer(_JsonConsumer):
    """A dispatch screen's live feed: a snapshot on connect, then numbered changes (see apps.dispatch.feed)."""

    metrics_kind = "screen"

    async def authorize(self, principal: Principal) -> bool:
        try:
            fleet_id = uuid.UUID(str(self.scope["url_route"]["kwargs"]["fleet_id"]))
        except ValueError:
            return False
        if not selectors.fleet_visible(principal=principal, fleet_id=fleet_id):
            return False
        self.fleet_id = fleet_id  # only once allowed: a refused connection has no fleet to read or leave
        await self.channel_layer.group_add(feed.fleet_group(self.fleet_id), self.channel_name)
        await _screens(live.store().screen_join, self.fleet_id, self.channel_name)  # the board task pushes here
        return True

    async def connected(self) -> None:
        snapshot = await database_sync_to_async(_snapshot)(self.fleet_id)
        await self.send_json({"type": "snapshot", **snapshot})

    async def disconnect(self, code) -> None:
        if hasattr(self, "fleet_id"):
            await self.channel_layer.group_discard(feed.fleet_group(self.fleet_id), self.channel_name)
            await _screens(live.store().screen_leave, self.fleet_id, self.channel_name)

    async def receive_json(self, content, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "resync":
            await self.connected()
        else:
            await self.error("dispatch.unknown_message", "screens only send {'type': 'resync'}")
