"""NATS JetStream for the outbox: one stream of integration events, one durable pull consumer per subscription.

The relay and the consumers are synchronous Django code and nats-py is asyncio, so each process keeps one NATS
connection on an event loop of its own, in a daemon thread (`Bridge`); callers hand it coroutines and wait for the
result with a timeout. Subjects follow the event type: `logitrack.trips.trip.completed.v1` is published on
`<OUTBOX_NATS_SUBJECT_PREFIX>.trips.trip.completed.v1`, with the event id as `Nats-Msg-Id`, so the stream's
duplicate window drops a re-send (a relay that crashed between publishing and marking its rows).
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

import nats
import structlog
from django.conf import settings
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import api
from nats.js.client import JetStreamContext

log = structlog.get_logger(__name__)

T = TypeVar("T")

MSG_ID = "Nats-Msg-Id"
# A dead letter replayed over NATS is published again on its event's subject with this header naming the one
# subscription it is for; the other subscriptions' consumers acknowledge it unread.
REPLAY_FOR = "Logitrack-Replay-For"


class NatsUnavailable(ConnectionError):
    """The NATS server cannot be reached now (a ConnectionError, so `resilience.is_unavailable` knows it)."""


def carried_by_nats(subscription_name: str) -> bool:
    return subscription_name in settings.OUTBOX_NATS_SUBSCRIPTIONS


def subject_for(event_type: str) -> str:
    """`logitrack.<context>.<aggregate>.<event>.v<N>` -> `<prefix>.<context>.<aggregate>.<event>.v<N>`."""
    _, rest = event_type.split(".", 1)
    return f"{settings.OUTBOX_NATS_SUBJECT_PREFIX}.{rest}"


def consumer_name(subscription_name: str) -> str:
    """The durable consumer of a subscription: `billing.settle_trip` -> `billing-settle_trip` (no dots in names)."""
    return subscription_name.replace(".", "-")


def stream_config() -> api.StreamConfig:
    """Limits retention with a maximum age, not interest or work-queue: every subscription's consumer reads the
    stream independently (work-queue allows one consumer per subject, and several subscriptions share an event
    type), and a message is kept although no consumer exists yet (interest retention would drop it), so a
    subscription moved to NATS later, or a consumer recreated, still finds what was published meanwhile."""
    return api.StreamConfig(
        name=settings.OUTBOX_NATS_STREAM,
        description="LogiTrack integration events (the outbox relay publishes, outbox_consume reads)",
        subjects=[f"{settings.OUTBOX_NATS_SUBJECT_PREFIX}.>"],
        retention=api.RetentionPolicy.LIMITS,
        max_age=float(settings.OUTBOX_NATS_MAX_AGE_SECONDS),
        duplicate_window=float(settings.OUTBOX_NATS_DUPLICATE_WINDOW_SECONDS),
        storage=api.StorageType.FILE,
        num_replicas=settings.OUTBOX_NATS_REPLICAS,
        discard=api.DiscardPolicy.OLD,
    )


def consumer_config(subscription_name: str, event_type: str, *, from_now: bool = False) -> api.ConsumerConfig:
    """Explicit acks; redelivery after ack_wait when the consumer died (a live one says "in progress" meanwhile);
    retries with backoff are the consumer's naks with a delay. `from_now`: skip what the stream already holds
    (a brand-new subscription that must not see the retained history)."""
    name = consumer_name(subscription_name)
    return api.ConsumerConfig(
        name=name,
        durable_name=name,
        description=f"subscription {subscription_name}",
        filter_subject=subject_for(event_type),
        deliver_policy=api.DeliverPolicy.NEW if from_now else api.DeliverPolicy.ALL,
        ack_policy=api.AckPolicy.EXPLICIT,
        ack_wait=float(settings.OUTBOX_NATS_ACK_WAIT_SECONDS),
        max_deliver=settings.OUTBOX_NATS_MAX_DELIVER,
        max_ack_pending=1000,
    )


class Bridge:
    """One event loop in a daemon thread and one NATS connection per process, for synchronous callers."""

    def __init__(self) -> None:
        self.pid = os.getpid()
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="nats-loop", daemon=True)
        self._thread.start()
        self._nc: Client | None = None
        self._connecting: asyncio.Lock | None = None
        self._closing = False

    def run(self, coro: Coroutine[Any, Any, T], timeout: float | None = None) -> T:
        """Run `coro` on the loop and wait for it; on timeout it is cancelled and TimeoutError raised."""
        future = asyncio.run_coroutine_threadsafe(coro, self.loop)
        try:
            return future.result(settings.OUTBOX_NATS_TIMEOUT_SECONDS * 2 if timeout is None else timeout)
        except TimeoutError:
            future.cancel()
            raise

    async def client(self) -> Client:
        """The connected client (on the loop). Connects on first use; while the server is away the client
        reconnects by itself, and callers are told at once (NatsUnavailable) instead of waiting."""
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._nc is None or self._nc.is_closed:
                self._nc = await self._connect()
        if not self._nc.is_connected:
            raise NatsUnavailable(f"NATS at {settings.OUTBOX_NATS_URL} is not connected (reconnecting)")
        return self._nc

    async def jetstream(self) -> JetStreamContext:
        return (await self.client()).jetstream(timeout=settings.OUTBOX_NATS_TIMEOUT_SECONDS)

    async def _connect(self) -> Client:
        nc = Client()
        options: dict[str, Any] = {
            "servers": [url.strip() for url in settings.OUTBOX_NATS_URL.split(",") if url.strip()],
            "name": f"logitrack-{os.getpid()}",
            "connect_timeout": settings.OUTBOX_NATS_TIMEOUT_SECONDS,
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,  # once connected, reconnect for as long as the outage lasts
            "reconnect_time_wait": 0.5,
            "ping_interval": 10,  # a server gone without a TCP reset is noticed in ~30 s, not nats-py's 4 minutes
            "max_outstanding_pings": 3,
            "error_cb": _on_error,
            "disconnected_cb": self._on_disconnected,
            "reconnected_cb": _on_reconnected,
        }
        # nats-py retries the first connection forever too when reconnects are unlimited: bound it, so a caller
        # finds out the server is away and backs off in its own loop
        try:
            await asyncio.wait_for(nc.connect(**options), timeout=settings.OUTBOX_NATS_TIMEOUT_SECONDS)
        except (OSError, nats.errors.Error) as exc:  # a timeout is an OSError
            try:
                await nc.close()
            except Exception:  # a client that never connected may complain while closing; it holds nothing
                pass
            raise NatsUnavailable(f"cannot connect to NATS at {settings.OUTBOX_NATS_URL}: {exc!r}") from exc
        log.info("nats.connected", url=nc.connected_url.netloc if nc.connected_url else None)
        return nc

    async def _on_disconnected(self) -> None:
        if not self._closing:
            log.warning("nats.disconnected")

    def close(self) -> None:
        """Flush what is buffered (acks) and close; the loop thread ends with the process."""
        self._closing = True
        nc, self._nc = self._nc, None
        if nc is not None and not nc.is_closed:

            async def flush_and_close() -> None:
                try:
                    if nc.is_connected:
                        await nc.flush(timeout=2)
                finally:
                    await nc.close()

            try:
                self.run(flush_and_close(), timeout=settings.OUTBOX_NATS_TIMEOUT_SECONDS)
            except Exception:  # already gone: nothing left to flush
                pass


_process: dict[str, Bridge] = {}
_process_lock = threading.Lock()


def bridge() -> Bridge:
    """This process's bridge (a child forked from a process that had one starts its own: threads do not fork)."""
    with _process_lock:
        current = _process.get("bridge")
        if current is None or current.pid != os.getpid():
            current = _process["bridge"] = Bridge()
        return current


def close() -> None:
    with _process_lock:
        current = _process.pop("bridge", None)
        if current is not None and current.pid == os.getpid():
            current.close()


async def _on_error(exc: Exception) -> None:
    # connection attempts during an outage fail every half second: the relay's and consumers' loops log the outage
    # once (resilience.Backoff); anything else is worth a line
    if isinstance(exc, OSError):  # refused, reset, timed out
        log.debug("nats.error", error=repr(exc))
    else:
        log.warning("nats.error", error=repr(exc))


async def _on_reconnected() -> None:
    log.warning("nats.reconnected")


# ---- publishing (the relay's sink, replays) -------------------------------------------------


def publish_many(envelopes: list[dict[str, Any]]) -> int:
    """Publish every envelope and wait for JetStream to store each (its ack); raises if any was not stored, so
    the relay keeps the rows. Returns how many the duplicate window dropped as re-sends."""
    b = bridge()
    return b.run(_publish_many(b, envelopes), timeout=settings.OUTBOX_NATS_TIMEOUT_SECONDS + 2)


async def _publish_many(b: Bridge, envelopes: list[dict[str, Any]]) -> int:
    js = await b.jetstream()
    stream = settings.OUTBOX_NATS_STREAM
    acks = await asyncio.gather(
        *(
            js.publish(
                subject_for(envelope["type"]),
                json.dumps(envelope, separators=(",", ":")).encode(),
                stream=stream,
                headers={MSG_ID: envelope["id"]},
            )
            for envelope in envelopes
        ),
        return_exceptions=True,
    )
    for ack in acks:
        if isinstance(ack, BaseException):
            raise ack
    return sum(1 for ack in acks if isinstance(ack, api.PubAck) and ack.duplicate)


def publish_replay(*, subscription_name: str, envelope: dict[str, Any], replay: int) -> None:
    """A dead letter back to its subscription's consumer, which applies it with a fresh attempt budget."""
    b = bridge()

    async def send() -> None:
        js = await b.jetstream()
        await js.publish(
            subject_for(envelope["type"]),
            json.dumps(envelope, separators=(",", ":")).encode(),
            stream=settings.OUTBOX_NATS_STREAM,
            headers={MSG_ID: f"{envelope['id']}/replay/{subscription_name}/{replay}", REPLAY_FOR: subscription_name},
        )

    b.run(send(), timeout=settings.OUTBOX_NATS_TIMEOUT_SECONDS + 2)


# ---- stream and consumers ---------------------------------------------------------------------


def ensure_stream(*, update: bool = True) -> str:
    """Create the stream, or bring an existing one to the configured limits. Returns "created", "updated" or
    "unchanged"."""
    b = bridge()

    async def go() -> str:
        js = await b.jetstream()
        wanted = stream_config()
        try:
            info = await js.stream_info(settings.OUTBOX_NATS_STREAM)
        except nats.js.errors.NotFoundError:
            await js.add_stream(wanted)
            return "created"
        if not update or _same(info.config, wanted, _STREAM_FIELDS):
            return "unchanged"
        await js.update_stream(wanted)
        return "updated"

    return b.run(go())


def ensure_consumer(subscription_name: str, event_type: str, *, update: bool = True, from_now: bool = False) -> str:
    """Create a subscription's durable consumer, or update its limits. Returns "created", "updated" or
    "unchanged"."""
    b = bridge()

    async def go() -> str:
        js = await b.jetstream()
        wanted = consumer_config(subscription_name, event_type, from_now=from_now)
        try:
            info = await js.consumer_info(settings.OUTBOX_NATS_STREAM, consumer_name(subscription_name))
        except nats.js.errors.NotFoundError:
            await js.add_consumer(settings.OUTBOX_NATS_STREAM, wanted)
            return "created"
        if not update or _same(info.config, wanted, _CONSUMER_FIELDS):
            return "unchanged"
        wanted.deliver_policy = info.config.deliver_policy  # where it starts cannot change once it exists
        await js.add_consumer(settings.OUTBOX_NATS_STREAM, wanted)  # the server updates what may change
        return "updated"

    return b.run(go())


_STREAM_FIELDS = ("subjects", "retention", "max_age", "duplicate_window", "storage", "num_replicas", "discard")
_CONSUMER_FIELDS = ("filter_subject", "ack_policy", "ack_wait", "max_deliver", "max_ack_pending")


def _same(current: Any, wanted: Any, fields: Iterable[str]) -> bool:
    return all(getattr(current, f) == getattr(wanted, f) for f in fields)


def pull(subscription_name: str) -> JetStreamContext.PullSubscription:
    """A pull subscription bound to the subscription's durable consumer (which must exist)."""
    b = bridge()

    async def go() -> JetStreamContext.PullSubscription:
        js = await b.jetstream()
        durable = consumer_name(subscription_name)
        return await js.pull_subscribe_bind(durable=durable, stream=settings.OUTBOX_NATS_STREAM)

    return b.run(go())


def fetch(psub: JetStreamContext.PullSubscription, *, batch: int, timeout: float) -> list[Msg]:
    """Up to `batch` messages, waiting up to `timeout` for the first; [] when none came."""
    b = bridge()

    async def go() -> list[Msg]:
        await b.client()  # NatsUnavailable now, rather than a fetch that waits out its timeout
        try:
            return await psub.fetch(batch, timeout=timeout)
        except nats.errors.TimeoutError:
            return []

    return b.run(go(), timeout=timeout + settings.OUTBOX_NATS_TIMEOUT_SECONDS)
