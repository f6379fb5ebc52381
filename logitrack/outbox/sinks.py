"""Where the relay hands events. A sink sees only the JSON envelope, never the outbox table.

`CelerySink` fans each event out to the in-process subscribers as Celery tasks; `NatsSink` publishes it to the
JetStream stream, where each subscription named in OUTBOX_NATS_SUBSCRIPTIONS has a durable consumer
(`manage.py outbox_consume`). A subscription is carried by exactly one of them: the in-process sinks skip those
that NATS carries. Publishers and subscribers do not change.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from logitrack import bus, correlation, jobs, tracing
from logitrack.outbox import delivery, jetstream

DELIVER_TASK = "outbox.deliver"
DELIVER_BATCH_TASK = "outbox.deliver_batch"


class Sink(Protocol):
    """`send` takes one event; a sink may also offer `send_many(envelopes)`, which the relay then prefers."""

    def send(self, envelope: dict[str, Any]) -> None: ...


class CelerySink:
    """Tasks on each subscription's queue: what the relay claimed together goes to a subscriber as batches of up to
    OUTBOX_DELIVERY_BATCH events (`outbox.deliver_batch`, one transaction each), a lone event as `outbox.deliver`."""

    def send(self, envelope: dict[str, Any]) -> None:
        self.send_many([envelope])

    def send_many(self, envelopes: list[dict[str, Any]]) -> None:
        size = max(1, int(settings.OUTBOX_DELIVERY_BATCH))
        per_subscription: dict[str, tuple[bus.Subscription, list[dict[str, Any]]]] = {}
        for envelope in envelopes:  # in relay order, which each batch keeps
            for sub in _in_process(envelope["type"]):
                per_subscription.setdefault(sub.name, (sub, []))[1].append(envelope)
        for sub, mine in per_subscription.values():
            for start in range(0, len(mine), size):
                chunk = mine[start : start + size]
                # the task's headers: the request id its events share, if they share one, and their trace, or a
                # span linked to each of their kept traces
                resumed = tracing.resuming(chunk, f"outbox relay batch {sub.name}")
                with correlation.bound(correlation.common(chunk)), resumed:
                    if len(chunk) == 1:
                        jobs.enqueue(DELIVER_TASK, args=(sub.name, chunk[0]), queue=sub.queue)
                    else:
                        jobs.enqueue(DELIVER_BATCH_TASK, args=(sub.name, chunk), queue=sub.queue)

    def waiting(self) -> int:
        """Deliveries queued in the broker and not yet taken by a worker, on every subscription's queue (0 when the
        broker cannot say). The relay holds back while there are many: a backlog then waits in the outbox, from which
        the relay later claims it in full batches, rather than in the broker as the small batches of a slow trickle."""
        from celery import current_app

        queues = sorted({sub.queue for sub in bus.all_subscriptions()})
        try:
            with current_app.pool.acquire(block=True, timeout=2) as conn:
                channel = conn.default_channel
                return sum(_queued(channel, queue) for queue in queues)
        except Exception:  # never stop relaying for want of a count
            return 0


def _queued(channel: Any, queue: str) -> int:
    try:
        return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except Exception:  # a queue nothing was ever sent to
        return 0


class InlineSink:
    """Delivers in the relaying process itself (tests, and tools that must not need a worker)."""

    def send(self, envelope: dict[str, Any]) -> None:
        for sub in _in_process(envelope["type"]):
            delivery.deliver_inline(subscription_name=sub.name, envelope=envelope)


class NatsSink:
    """Every event to the JetStream stream (subject from its type, event id as Nats-Msg-Id), returning only once
    the server stored each: the relay marks its rows after that, and a re-send after a crash in between is dropped
    by the stream's duplicate window (and, past it, by the subscribers' inboxes). Every event, not only those a
    NATS subscription here listens to: a consumer may live in another service, whose subscriptions this process
    does not know."""

    def send(self, envelope: dict[str, Any]) -> None:
        self.send_many([envelope])

    def send_many(self, envelopes: list[dict[str, Any]]) -> None:
        jetstream.publish_many(envelopes)


def _in_process(event_type: str) -> list[bus.Subscription]:
    """The subscriptions to an event that Celery (or the inline sink) delivers: all but those NATS carries."""
    return [sub for sub in bus.subscriptions_for(event_type) if not jetstream.carried_by_nats(sub.name)]


def configured_sinks() -> list[Sink]:
    return [import_string(path)() for path in settings.OUTBOX_SINKS]
