"""Publishing integration events: the only entry point apps use."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

import structlog
from django.conf import settings
from django.db import connections, transaction
from opentelemetry.trace import SpanKind

from logitrack import correlation, tracing
from logitrack.db import contexts
from logitrack.events import IntegrationEvent, to_envelope
from logitrack.outbox.models import OutboxMessage

log = structlog.get_logger(__name__)


class PublishOutsideTransaction(RuntimeError):
    pass


def outbox_alias(event: IntegrationEvent | type[IntegrationEvent]) -> str:
    """Where `event`'s outbox row goes: the database of the context that publishes it (its type names it,
    `logitrack.<context>....`), so the row commits in that context's transaction. Events of no context (the tests'
    ping) go to default."""
    return contexts.alias_of(event.source())


def publish(event: IntegrationEvent) -> OutboxMessage:
    """Record `event` in the caller's transaction: the state change and its event commit or roll back together."""
    using = outbox_alias(event)
    if not connections[using].in_atomic_block:
        raise PublishOutsideTransaction(
            f"publish({type(event).__name__}) must run inside contexts.atomic({event.source()!r}), in the service that "
            "changes state"
        )
    with _producing(event):
        message = _row(event)
        message.save(force_insert=True, using=using)
    log.info("outbox.published", event_type=event.TYPE, event_id=str(event.event_id))
    _relay_inline(using)
    return message


def publish_many(events: Sequence[IntegrationEvent]) -> list[OutboxMessage]:
    """`publish` of several events in one insert per publishing context's database, in this order (a handler
    applying a batch of events)."""
    outside = sorted({e.source() for e in events if not connections[outbox_alias(e)].in_atomic_block})
    if outside:
        raise PublishOutsideTransaction(f"publish_many must run inside contexts.atomic() of {', '.join(outside)}")
    if not events:
        return []
    messages = []
    for event in events:
        with _producing(event):  # each event its own producer span, ended before the one insert: a mark, not a time
            messages.append(_row(event))
    per_alias: dict[str, list[OutboxMessage]] = {}
    for event, message in zip(events, messages, strict=True):
        per_alias.setdefault(outbox_alias(event), []).append(message)
    for using, mine in per_alias.items():
        OutboxMessage.objects.using(using).bulk_create(mine)
    for event in events:
        log.info("outbox.published", event_type=event.TYPE, event_id=str(event.event_id))
    for using in per_alias:
        _relay_inline(using)
    return messages


def _row(event: IntegrationEvent) -> OutboxMessage:
    """The event's outbox row, unsaved; the request id and the current span's trace context travel with the event
    (in its envelope, not in its schema)."""
    envelope = tracing.stamp(correlation.stamp(to_envelope(event)))
    return OutboxMessage(
        event_id=event.event_id,
        event_type=event.TYPE,
        source=envelope["source"],
        occurred_at=event.occurred_at,
        envelope=envelope,
    )


def _producing(event: IntegrationEvent) -> contextlib.AbstractContextManager[object]:
    """The span of writing an event's outbox row, whose context the envelope carries (nothing when tracing is off)."""
    return tracing.span(
        f"outbox publish {event.TYPE}",
        kind=SpanKind.PRODUCER,
        attributes={"messaging.message.id": str(event.event_id), "logitrack.event.type": event.TYPE},
    )


def _relay_inline(using: str) -> None:
    if settings.OUTBOX_INLINE_RELAY:
        from logitrack.outbox.relay import relay_pending  # the relay imports this module

        transaction.on_commit(relay_pending, using=using)
