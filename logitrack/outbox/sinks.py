"""Where the relay hands events. A sink sees only the JSON envelope, never the outbox table.

`CelerySink` fans each event out to the in-process subscribers as one Celery task per
subscription. An external broker sink (NATS JetStream, Kafka) implements the same `send` and is
added to OUTBOX_SINKS; publishers and subscribers do not change.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from logitrack import bus, jobs
from logitrack.outbox import delivery

DELIVER_TASK = "outbox.deliver"


class Sink(Protocol):
    def send(self, envelope: dict[str, Any]) -> None: ...


class CelerySink:
    """One `outbox.deliver` task per subscription, on the subscription's queue."""

    def send(self, envelope: dict[str, Any]) -> None:
        for sub in bus.subscriptions_for(envelope["type"]):
            jobs.enqueue(DELIVER_TASK, args=(sub.name, envelope), queue=sub.queue)


class InlineSink:
    """Delivers in the relaying process itself (tests, and tools that must not need a worker)."""

    def send(self, envelope: dict[str, Any]) -> None:
        for sub in bus.subscriptions_for(envelope["type"]):
            delivery.deliver_inline(subscription_name=sub.name, envelope=envelope)


def configured_sinks() -> list[Sink]:
    return [import_string(path)() for path in settings.OUTBOX_SINKS]
