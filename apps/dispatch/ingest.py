"""Websocket ping ingestion: pings from every driver connection in this process are gathered for a few
milliseconds (DISPATCH_FLUSH_MS) and handled as one batch: one atomic step per fleet for the live map, one
push per fleet to its screens (newest position per driver), then one INSERT for the history, then each
driver connection gets an ack for its pings. An app resends what was not acked; the ping id makes that harmless.
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from collections.abc import Awaitable, Callable

import structlog
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings

from apps.dispatch import feed, live, services
from apps.dispatch.contracts import Ping

log = structlog.get_logger(__name__)
Ack = Callable[[list[uuid.UUID]], Awaitable[None]]


class Ingestor:
    def __init__(self) -> None:
        self._pending: list[tuple[uuid.UUID, uuid.UUID, Ping, Ack]] = []
        self._flush: asyncio.Task | None = None

    def submit(self, driver_id: uuid.UUID, fleet_id: uuid.UUID, pings: list[Ping], ack: Ack) -> None:
        self._pending += [(driver_id, fleet_id, p, ack) for p in pings]
        if self._flush is None or self._flush.done():
            self._flush = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        await asyncio.sleep(settings.DISPATCH_FLUSH_MS / 1000)
        batch, self._pending = self._pending, []
        if not batch:
            return
        fixes = [(d, f, p) for d, f, p, _ in batch]
        try:
            # screens first: the live map and the push do not wait for the history write
            moved, sequences = await _move(fixes)
            by_fleet: dict[uuid.UUID, list] = {}
            for position in moved:
                by_fleet.setdefault(position.fleet_id, []).append(position)
            for fleet_id, positions in by_fleet.items():
                await feed.positions_async(fleet_id, positions, sequences[fleet_id])
            await database_sync_to_async(services.positions_store)(fixes=fixes, moved=moved)
        except Exception:  # nothing is acked, so the apps resend; the ping ids make that harmless
            log.exception("dispatch.ingest_failed", pings=len(batch))
            return
        acks: dict[Ack, list[uuid.UUID]] = {}
        for _, _, ping, ack in batch:
            acks.setdefault(ack, []).append(ping.ping_id)
        for ack, ids in acks.items():
            try:
                await ack(ids)
            except Exception:  # the connection closed meanwhile; the app resends
                log.info("dispatch.ack_undelivered", pings=len(ids))


@sync_to_async(thread_sensitive=False)
def _move(fixes):
    """Redis only (no database), so it runs off the thread that serialises database work."""
    moved = services.positions_move(fixes=fixes)
    return moved, {f: live.store().sequence(f) for f in {p.fleet_id for p in moved}}


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, Ingestor] = weakref.WeakKeyDictionary()


def ingestor() -> Ingestor:
    """One per event loop (a server process has one; tests start several)."""
    loop = asyncio.get_running_loop()
    if loop not in _by_loop:
        _by_loop[loop] = Ingestor()
    return _by_loop[loop]
