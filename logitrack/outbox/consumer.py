"""Deliveries from NATS JetStream: a subscription's durable pull consumer feeding the same inbox and handler as the
Celery path (`delivery.deliver_many` / `deliver`), with the same attempt budget and dead letters.

One thread per subscription fetches a batch, applies it and only then acknowledges it: a consumer that dies
before its acks reach the server has its messages redelivered after the consumer's ack_wait, and the inbox skips
those it had committed. A message seen for the first time goes into a batch (one transaction); a redelivered one,
or one whose batch failed, is delivered alone. A handler failure is negatively acknowledged with the Celery
path's backoff as the delay; the OUTBOX_MAX_ATTEMPTS-th failure parks it in `outbox_deadletter` (replay with
`manage.py outbox_replay`) and terminates the message. When the database is unreachable the message is redelivered
with the outage backoff and the try is not counted.

Tries are the handler failures this process saw, not the server's delivery count: JetStream also counts deliveries
that never reached a handler (a redelivery after ack_wait into an abandoned pull request, an outage), and counting
those parked messages before they had their tries. A restarted consumer gives a failing message a fresh budget:
more tries than promised, never fewer.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from django.conf import settings
from nats.aio.msg import Msg
from nats.js.client import JetStreamContext

from logitrack import bus, resilience
from logitrack.outbox import delivery, jetstream

log = structlog.get_logger(__name__)


class SubscriptionConsumer:
    """The fetch-apply-acknowledge loop of one subscription; `run` until `should_stop` says so."""

    def __init__(self, subscription: bus.Subscription, *, batch: int | None = None, fetch_timeout: float = 1.0):
        self.sub = subscription
        self.batch = max(1, int(settings.OUTBOX_DELIVERY_BATCH if batch is None else batch))
        self.fetch_timeout = fetch_timeout
        self._psub: JetStreamContext.PullSubscription | None = None
        self._nats = resilience.Backoff(f"outbox.consume.fetch:{subscription.name}")  # NATS away
        self._database = resilience.Backoff(f"outbox.consume.deliver:{subscription.name}")  # PostgreSQL away
        self._tries: dict[int, int] = {}  # handler failures seen here, by stream sequence
        self.applied = 0

    def run(self, should_stop: Callable[[], bool]) -> int:
        while not should_stop():
            try:
                if self._psub is None:  # what it reads from, with the configured limits if nobody made it yet
                    jetstream.ensure_stream(update=False)
                    jetstream.ensure_consumer(self.sub.name, self.sub.event_type, update=False)
                    self._psub = jetstream.pull(self.sub.name)
                msgs = jetstream.fetch(self._psub, batch=self.batch, timeout=self.fetch_timeout)
            except Exception as exc:  # NATS away (the messages wait in the stream) or the stream deleted
                if not resilience.is_unavailable(exc):
                    self._psub = None
                _sleep(self._nats.failed(exc), should_stop)
                continue
            self._nats.succeeded()
            if msgs:
                resilience.close_broken_connections()  # a long idle spell may have outlived the database connection
                try:
                    self.handle(msgs)
                except Exception:  # a bug: what was not acknowledged comes back after ack_wait
                    log.exception("outbox.consume_failed", subscriber=self.sub.name, messages=len(msgs))
                    _sleep(1.0, should_stop)
        return self.applied

    def handle(self, msgs: list[Msg]) -> None:
        todo: list[tuple[Msg, dict[str, Any]]] = []
        skip: list[Msg] = []
        for msg in msgs:
            replay_for = (msg.headers or {}).get(jetstream.REPLAY_FOR)
            if replay_for and replay_for != self.sub.name:
                skip.append(msg)  # another subscription's replay of a dead letter
                continue
            try:
                todo.append((msg, json.loads(msg.data)))
            except ValueError:
                log.error("outbox.nats_unreadable", subscriber=self.sub.name, seq=msg.metadata.sequence.stream)
                _settle([msg], "term")
        if skip:
            _settle(skip, "ack")
        first: list[tuple[Msg, dict[str, Any]]] = []
        again: list[tuple[Msg, dict[str, Any]]] = []
        for item in todo:
            replay = (item[0].headers or {}).get(jetstream.REPLAY_FOR)
            (first if item[0].metadata.num_delivered == 1 and not replay else again).append(item)
        alone = (self._apply_batch(first) if len(first) > 1 else first) + again
        for msg, envelope in alone:
            self._apply_one(msg, envelope)
        if len(self._tries) > 10_000:  # entries of messages another consumer process finished
            self._tries.clear()

    def _apply_batch(self, items: list[tuple[Msg, dict[str, Any]]]) -> list[tuple[Msg, dict[str, Any]]]:
        """The batch in one transaction; what it hands back is to be delivered alone."""
        msgs = [m for m, _ in items]
        try:
            with _in_progress(msgs):
                applied, alone = delivery.deliver_many(subscription_name=self.sub.name, envelopes=[e for _, e in items])
        except Exception as exc:  # the database is away: every message again later, not counted as a try
            resilience.close_broken_connections()
            _settle(msgs, "nak", delay=self._database.failed(exc))
            return []
        self._database.succeeded()
        if alone:
            return items
        self.applied += applied
        _settle(msgs, "ack")
        return []

    def _apply_one(self, msg: Msg, envelope: dict[str, Any]) -> None:
        seq = msg.metadata.sequence.stream
        attempt = self._tries.get(seq, 0) + 1
        try:
            with _in_progress([msg]):
                applied = delivery.deliver(subscription_name=self.sub.name, envelope=envelope)
        except Exception as exc:
            if resilience.is_unavailable(exc):
                resilience.close_broken_connections()
                _settle([msg], "nak", delay=self._database.failed(exc))
                return
            self._database.succeeded()
            self._tries[seq] = attempt
            if attempt < delivery.max_attempts():
                log.warning(
                    "outbox.delivery_failed", subscriber=self.sub.name, event_id=envelope.get("id"), attempt=attempt
                )
                _settle([msg], "nak", delay=delivery.backoff_seconds(attempt))
                return
            try:
                delivery.park(subscription_name=self.sub.name, envelope=envelope, attempts=attempt, error=exc)
            except Exception as park_exc:  # cannot write the dead letter: keep the message, try again later
                resilience.close_broken_connections()
                self._tries[seq] = attempt - 1  # the park is tried again on the next delivery
                _settle([msg], "nak", delay=self._database.failed(park_exc))
                return
            self._tries.pop(seq, None)
            _settle([msg], "term")
            return
        self._database.succeeded()
        self._tries.pop(seq, None)
        self.applied += int(applied)
        _settle([msg], "ack")


def _settle(msgs: list[Msg], how: str, *, delay: float | None = None) -> None:
    """ack / nak (with a redelivery delay) / term, sent together. Best effort: one that does not reach the server
    is redelivered after ack_wait, and the inbox skips what was applied."""

    async def send() -> None:
        if how == "ack":
            await asyncio.gather(*(m.ack() for m in msgs))
        elif how == "nak":
            await asyncio.gather(*(m.nak(delay=delay or None) for m in msgs))
        else:
            await asyncio.gather(*(m.term() for m in msgs))

    try:
        jetstream.bridge().run(send())
    except Exception as exc:
        log.warning("outbox.nats_settle_failed", how=how, messages=len(msgs), error=repr(exc))


@contextmanager
def _in_progress(msgs: list[Msg]) -> Iterator[None]:
    """Tell the server every half ack_wait that these messages are still being worked on, so a slow batch is not
    redelivered to another consumer while this one is alive (a dead one stops telling, and it is)."""
    interval = max(0.5, settings.OUTBOX_NATS_ACK_WAIT_SECONDS / 2)
    b = jetstream.bridge()

    async def beat() -> None:
        while True:
            await asyncio.sleep(interval)
            await asyncio.gather(*(m.in_progress() for m in msgs), return_exceptions=True)

    task = asyncio.run_coroutine_threadsafe(beat(), b.loop)
    try:
        yield
    finally:
        task.cancel()


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    deadline = time.monotonic() + seconds
    while not should_stop() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.1))


def run(subscriptions: list[bus.Subscription], *, should_stop: Callable[[], bool], batch: int | None = None) -> int:
    """A thread per subscription until `should_stop`; returns how many events they applied. A thread that dies
    stops them all and raises, so the process exits and its supervisor starts it again, rather than running on
    without that subscription."""
    consumers = [SubscriptionConsumer(sub, batch=batch) for sub in subscriptions]
    crashed = threading.Event()

    def stop() -> bool:
        return crashed.is_set() or should_stop()

    threads = [
        threading.Thread(target=_thread_main, args=(c, stop, crashed), name=f"consume:{c.sub.name}", daemon=True)
        for c in consumers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    jetstream.close()
    if crashed.is_set():
        raise RuntimeError("a subscription's consumer thread died (see outbox.consumer_died)")
    return sum(c.applied for c in consumers)


def _thread_main(consumer: SubscriptionConsumer, should_stop: Callable[[], bool], crashed: threading.Event) -> None:
    try:
        consumer.run(should_stop)
    except BaseException:
        log.exception("outbox.consumer_died", subscriber=consumer.sub.name)
        crashed.set()
    finally:
        from django.db import connections

        connections.close_all()  # this thread's, on every context's database
