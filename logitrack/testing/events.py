"""Test helpers for integration events: see what a block published, relay and deliver in-process."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from django.db.models import Max

from logitrack import bus
from logitrack.db import contexts
from logitrack.events import IntegrationEvent, from_envelope
from logitrack.outbox.models import OutboxMessage
from logitrack.outbox.relay import relay_pending
from logitrack.outbox.sinks import InlineSink


@contextlib.contextmanager
def captured_events() -> Iterator[list[IntegrationEvent]]:
    """Collect the events committed to the outbox inside the block (nothing is relayed): from every context's
    outbox, in the order they were written (each database's in its own order when split)."""
    starts = {
        using: OutboxMessage.objects.using(using).aggregate(m=Max("id"))["m"] or 0 for using in contexts.aliases()
    }
    published: list[IntegrationEvent] = []
    yield published
    rows = [
        row
        for using, start in starts.items()
        for row in OutboxMessage.objects.using(using).filter(id__gt=start).order_by("id")
    ]
    rows.sort(key=lambda row: row.created_at)
    published.extend(from_envelope(row.envelope) for row in rows)


def relay_and_deliver() -> int:
    """Run the relay now and deliver to every subscriber in this process, with the worker's retry budget."""
    return relay_pending(sinks=[InlineSink()])


@contextlib.contextmanager
def temporary_subscription(
    event_cls: type[IntegrationEvent], *, name: str, handler: Callable[..., Any]
) -> Iterator[None]:
    """Register a handler for the duration of a test."""
    bus.subscriber(event_cls, name=name)(handler)
    try:
        yield
    finally:
        bus.unsubscribe(name)
