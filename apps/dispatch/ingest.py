"""Websocket ping ingestion: pings from every driver connection in this process are gathered for a few
milliseconds (DISPATCH_FLUSH_MS) and handled as one batch: one atomic step per fleet for the live map and
one push per fleet to its screens (newest position per driver); then, behind, one INSERT for the history,
and each driver connection gets an ack for its pings. An app resends what was not acked; the ping id
makes that harmless.
"""

from __future__ import annotations

import asyncio
import time
import uuid
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import structlog
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from django.conf import settings
from django.db import close_old_connections

from apps.dispatch import feed, live, selectors
from apps.dispatch.contracts import Ping
from apps.dispatch.services import positions
from logitrack import metrics, resilience, tracing

log = structlog.get_logger(__name__)
Ack = Callable[[list[uuid.UUID]], Awaitable[None]]


class Ingestor:
    """Two stages: every DISPATCH_FLUSH_MS the pending pings move the live map and go to the screens; a
    writer then stores them and acks. The writer runs behind on its own, so a slow history write never
    delays the next push to the screens; batches waiting for it are written together."""

    def __init__(self) -> None:
        self._pending: list[tuple[uuid.UUID, uuid.UUID, Ping, Ack]] = []
        self._received: dict[uuid.UUID, float] = {}  # ping id -> when it arrived (monotonic), for ping-to-screen
        self._renewals: dict[str, uuid.UUID] = {}  # presence leases to renew: socket's channel -> driver
        self._flush: asyncio.Task | None = None
        self._unstored: list[tuple[list, list, list[tracing.Span]]] = []
        self._writer: asyncio.Task | None = None
        # Redis (live map, screens) and the database (history) fail apart; an outage is logged once, not per batch
        self.live_outage = resilience.Backoff("dispatch.ingest_live")
        self.store_outage = resilience.Backoff("dispatch.ingest_store")
        self._to_screen = metrics.PING_TO_SCREEN_SECONDS.labels("websocket")  # labels() locks: once, not per ping
        self._traced: dict[uuid.UUID, tracing.Span] = {}  # ping id -> its message's span (the few sampled)

    def submit(
        self, driver_id: uuid.UUID, fleet_id: uuid.UUID, pings: list[Ping], ack: Ack, span: tracing.Span | None = None
    ) -> None:
        self._pending += [(driver_id, fleet_id, p, ack) for p in pings]
        if span is not None:
            self._traced.update((p.ping_id, span) for p in pings)
        now = time.monotonic()
        for p in pings:
            self._received.setdefault(p.ping_id, now)
        if self._flush is None or self._flush.done():
            self._flush = asyncio.get_running_loop().create_task(self._run())

    def renew(self, driver_id: uuid.UUID, connection: str) -> None:
        """Renew a socket's presence lease with the next batch: one Redis round trip for all of them, not a thread
        hop and a round trip per socket."""
        self._renewals[connection] = driver_id
        if self._flush is None or self._flush.done():
            self._flush = asyncio.get_running_loop().create_task(self._run())

    def forget_renewal(self, connection: str) -> None:
        """The socket closed: a renewal still waiting would mark it present again after its drop."""
        self._renewals.pop(connection, None)

    async def _run(self) -> None:
        await asyncio.sleep(settings.DISPATCH_FLUSH_MS / 1000)
        batch, self._pending = self._pending, []
        received, self._received = self._received, {}
        renewals, self._renewals = self._renewals, {}
        traced, self._traced = self._traced, {}
        spans = list(traced.values())  # each step below runs in the first one's trace, or quiet when none
        if not batch:
            if renewals:
                with tracing.within(spans, "dispatch presence"):
                    await _move([], renewals)
            return
        try:
            with tracing.within(spans, "dispatch move positions"):
                moved, sequences = await _move([(d, f, p) for d, f, p, _ in batch], renewals)
            by_fleet: dict[uuid.UUID, list] = {}
            for position in moved:
                by_fleet.setdefault(position.fleet_id, []).append(position)
            arrived = {(d, p.recorded_at): received[p.ping_id] for d, _, p, _ in batch if p.ping_id in received}
            spans_at = {(d, p.recorded_at): traced[p.ping_id] for d, _, p, _ in batch if p.ping_id in traced}
            to_screen = self._to_screen
            for fleet_id, fleet_moved in by_fleet.items():
                fleet_spans = [s for p in fleet_moved if (s := spans_at.get((p.driver_id, p.recorded_at)))]
                with tracing.within(fleet_spans, "dispatch push positions"):  # the push carries that trace
                    await feed.positions_async(fleet_id, fleet_moved, sequences[fleet_id])
                pushed = time.monotonic()
                for position in fleet_moved:
                    if (at := arrived.get((position.driver_id, position.recorded_at))) is not None:
                        to_screen.observe(pushed - at)
        except Exception as exc:  # nothing is acked, so the apps resend (with their backoff); ping ids dedupe
            self.live_outage.failed(exc, pings=len(batch))
            tracing.finish(spans, exc)
            return
        self.live_outage.succeeded()
        self._unstored.append((batch, moved, spans))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._write())

    async def _write(self) -> None:
        while self._unstored:
            waiting, self._unstored = self._unstored, []
            batch = [item for b, _, _ in waiting for item in b]
            moved = [p for _, m, _ in waiting for p in m]
            spans = [s for _, _, traced in waiting for s in traced]
            try:
                with tracing.within(spans, "dispatch store pings"):
                    await _store([(d, f, p) for d, f, p, _ in batch], moved)
            except Exception as exc:  # not acked: the apps resend
                self.store_outage.failed(exc, pings=len(batch))
                tracing.finish(spans, exc)
                await sync_to_async(close_old_connections)()  # a broken connection is replaced next time
                continue
            self.store_outage.succeeded()
            acks: dict[Ack, list[uuid.UUID]] = {}
            for _, _, ping, ack in batch:
                acks.setdefault(ack, []).append(ping.ping_id)
            for ack, ids in acks.items():
                try:
                    await ack(ids)
                except Exception:  # the connection closed meanwhile; the app resends
                    log.info("dispatch.ack_undelivered", pings=len(ids))
            tracing.finish(spans)


# Not database_sync_to_async: that closes and health-checks the connection around every call, which at
# dozens of batches a second doubled the queries. The batch keeps its connection; errors replace it.
@sync_to_async(thread_sensitive=True)
def _store(fixes, moved):
    return positions.positions_store(fixes=fixes, moved=moved)


_LIVE_MAP = ThreadPoolExecutor(2, thread_name_prefix="live-map")  # never queued behind other sync work


@sync_to_async(thread_sensitive=False, executor=_LIVE_MAP)
def _move(fixes, renewals):
    """Redis only (no database), so it runs off the thread that serialises database work."""
    if renewals:
        try:  # best effort, like every presence change (consumers._presence): the pings go on regardless
            live.store().presence_mark_many(renewals, seconds=settings.DISPATCH_PRESENCE_TTL_SECONDS)
        except Exception:
            log.warning("dispatch.presence_failed", sockets=len(renewals), exc_info=True)
    if not fixes:
        return [], {}
    moved = positions.positions_move(fixes=fixes)
    return moved, {f: live.store().sequence(f) for f in {p.fleet_id for p in moved}}


class DutyRoster:
    """Which of the drivers connected to this process are on duty. One query for all of them every
    DISPATCH_DUTY_RECHECK_SECONDS (and partner's duty events, pushed to the driver's socket, update it at
    once), so a ping never waits for the database."""

    def __init__(self) -> None:
        self._connected: dict[uuid.UUID, int] = {}
        self._on_duty: set[uuid.UUID] = set()
        self._task: asyncio.Task | None = None

    async def join(self, driver_id: uuid.UUID) -> None:
        self._connected[driver_id] = self._connected.get(driver_id, 0) + 1
        if self._connected[driver_id] == 1:
            await self._refresh([driver_id])
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._follow())

    def leave(self, driver_id: uuid.UUID) -> None:
        left = self._connected.get(driver_id, 0) - 1
        if left <= 0:
            self._connected.pop(driver_id, None)
            self._on_duty.discard(driver_id)
        else:
            self._connected[driver_id] = left

    def on_duty(self, driver_id: uuid.UUID) -> bool:
        return driver_id in self._on_duty

    def set(self, driver_id: uuid.UUID, on_duty: bool) -> None:
        (self._on_duty.add if on_duty else self._on_duty.discard)(driver_id)

    async def _refresh(self, driver_ids: list[uuid.UUID]) -> None:
        for start in range(0, len(driver_ids), 1000):
            chunk = driver_ids[start : start + 1000]
            on = await _drivers_on_duty(driver_ids=chunk)
            for driver_id in chunk:
                self.set(driver_id, driver_id in on and driver_id in self._connected)

    async def _follow(self) -> None:
        every = max(0.5, settings.DISPATCH_DUTY_RECHECK_SECONDS)
        wait, outage = every, resilience.Backoff("dispatch.duty_roster", cap=every)
        while self._connected:
            await asyncio.sleep(wait)
            try:
                await self._refresh(list(self._connected))
            except Exception as exc:  # keep the last answer; try again after the backoff (at most a round)
                wait = outage.failed(exc, drivers=len(self._connected))
                continue
            outage.succeeded()
            wait = every


# one batched query per round, so it can share the process's database thread
_drivers_on_duty = database_sync_to_async(selectors.drivers_on_duty)


_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, tuple[Ingestor, DutyRoster]] = (
    weakref.WeakKeyDictionary()
)


def _of_loop() -> tuple[Ingestor, DutyRoster]:
    """One of each per event loop (a server process has one; tests start several)."""
    loop = asyncio.get_running_loop()
    if loop not in _by_loop:
        _by_loop[loop] = (Ingestor(), DutyRoster())
    return _by_loop[loop]


def ingestor() -> Ingestor:
    return _of_loop()[0]


def roster() -> DutyRoster:
    return _of_loop()[1]
