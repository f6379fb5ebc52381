"""Applying one event to one subscriber, exactly once, and parking deliveries that keep failing."""

from __future__ import annotations

import traceback
import uuid
from typing import Any

import structlog
from django.conf import settings
from django.db import connections, transaction
from django.utils import timezone

from logitrack import bus, correlation, resilience, tracing
from logitrack.db import contexts
from logitrack.events import from_envelope
from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage

log = structlog.get_logger(__name__)


def subscriber_alias(subscription_name: str) -> str:
    """The database a subscriber applies events in: its context's (`apps.<context>.…`, from its handler's module),
    where its inbox records and dead letters are kept too, so they commit with what the handler writes. A name no
    longer subscribed (a dead letter of a removed subscription) by its `<app>.` prefix; the kernel's and the tests'
    subscribers: default."""
    try:
        module = bus.subscription(subscription_name).handler.__module__
    except LookupError:
        module = "apps." + subscription_name
    return contexts.alias_of(contexts.context_of_module(module))


def deliver(*, subscription_name: str, envelope: dict[str, Any]) -> bool:
    """Run the handler and record it in the inbox in one transaction. False if already applied.

    Concurrent duplicates serialise on the inbox's unique key: the second waits for the first to
    commit, then finds the record and skips.
    """
    sub = bus.subscription(subscription_name)
    event = from_envelope(envelope)
    # the publishing request's id, and a span in its trace (what the handler does, writes and publishes joins it)
    with (
        correlation.bound(correlation.of(envelope)),
        tracing.consuming(f"outbox deliver {sub.name}", envelope, attributes=_attributes(sub.name, envelope)),
    ):
        using = subscriber_alias(sub.name)
        with transaction.atomic(using=using):
            _, created = InboxRecord.objects.using(using).get_or_create(
                subscriber=sub.name, event_id=event.event_id, defaults={"event_type": event.TYPE}
            )
            if not created:
                log.info("outbox.duplicate_skipped", subscriber=sub.name, event_id=str(event.event_id))
                return False
            sub.handler(event)
        log.info("outbox.delivered", subscriber=sub.name, event_type=event.TYPE, event_id=str(event.event_id))
    return True


def _attributes(subscriber: str, envelope: dict[str, Any]) -> dict[str, str]:
    return {
        "messaging.consumer.group.name": subscriber,
        "messaging.message.id": str(envelope.get("id")),
        "logitrack.event.type": str(envelope.get("type")),
    }


def deliver_many(*, subscription_name: str, envelopes: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    """Apply a batch of events to one subscriber in one transaction: one statement claims them all in the inbox
        (those already applied are skipped), the subscription's batch handler runs once with the new ones (or its
    handler for each), one commit. Returns (how many were
        applied, the envelopes to deliver one by one instead).

        A handler that raises (or a deadlock between two batches) rolls the whole batch back, nothing of it applied,
        and every envelope comes back to be delivered alone, with its own retries: a failing event costs its batch
        one wasted try and never blocks the others. An outage of the database is raised: retry the batch later.
    """
    if not envelopes:
        return 0, []
    try:
        sub = bus.subscription(subscription_name)
        events: dict[uuid.UUID, Any] = {}
        request_ids: dict[uuid.UUID, str | None] = {}
        carriers: dict[uuid.UUID, dict[str, Any]] = {}
        for envelope in envelopes:  # a duplicate within the batch is applied once
            event = from_envelope(envelope)
            events.setdefault(event.event_id, event)
            request_ids.setdefault(event.event_id, correlation.of(envelope))
            carriers.setdefault(event.event_id, envelope)
        # linked to every event's trace; a child of theirs only when it is one (as the request id below)
        attributes: dict[str, str | int] = {
            "messaging.consumer.group.name": sub.name,
            "messaging.batch.message_count": len(envelopes),
        }
        with tracing.consuming_batch(f"outbox deliver_batch {sub.name}", envelopes, attributes=attributes):
            using = subscriber_alias(sub.name)
            with transaction.atomic(using=using):
                fresh = _claim(sub.name, list(events.values()), using)
                new = [event for event_id, event in events.items() if event_id in fresh]
                if sub.batch_handler is not None and new:
                    # one request id only when the whole batch came from one request; the log line lists them all
                    shared = {request_ids[event.event_id] for event in new}
                    with correlation.bound(shared.pop() if len(shared) == 1 else None):
                        sub.batch_handler(new)
                else:
                    for event in new:  # each event's own request and trace, not the batch's
                        envelope = carriers[event.event_id]
                        with (
                            correlation.bound(request_ids[event.event_id]),
                            tracing.consuming(
                                f"outbox deliver {sub.name}", envelope, attributes=_attributes(sub.name, envelope)
                            ),
                        ):
                            sub.handler(event)
    except Exception as exc:
        if resilience.is_unavailable(exc):
            raise
        log.warning("outbox.batch_failed", subscriber=subscription_name, events=len(envelopes), error=repr(exc))
        return 0, envelopes
    log.info(
        "outbox.delivered_batch",
        subscriber=sub.name,
        applied=len(fresh),
        skipped=len(events) - len(fresh),
        request_ids=correlation.distinct(envelopes),
        trace_ids=tracing.trace_ids(envelopes),
    )
    return len(fresh), []


def _claim(subscriber: str, events: list[Any], using: str) -> set[uuid.UUID]:
    """Inbox rows for the events not yet applied, in one statement; returns their ids. A concurrent transaction
    claiming the same event makes this one wait for its outcome, then skip it (as `deliver`'s get_or_create)."""
    connection = connections[using]
    meta = InboxRecord._meta
    event_id, processed_at = meta.get_field("event_id"), meta.get_field("processed_at")
    now = processed_at.get_db_prep_value(timezone.now(), connection)
    rows = ", ".join(["(%s, %s, %s, %s)"] * len(events))
    params: list[Any] = []
    for event in events:
        params += [subscriber, event_id.get_db_prep_value(event.event_id, connection), event.TYPE, now]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {meta.db_table} (subscriber, event_id, event_type, processed_at) VALUES {rows} "
            "ON CONFLICT (subscriber, event_id) DO NOTHING RETURNING event_id",
            params,
        )
        return {value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)) for (value,) in cursor.fetchall()}


def max_attempts() -> int:
    return int(settings.OUTBOX_MAX_ATTEMPTS)


def backoff_seconds(attempt: int) -> int:
    """Exponential backoff after failed attempt number `attempt` (1-based), capped."""
    return int(min(settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (attempt - 1), settings.OUTBOX_RETRY_MAX_SECONDS))


def park(*, subscription_name: str, envelope: dict[str, Any], attempts: int, error: BaseException) -> DeadLetter:
    """Give up on a delivery for now; `outbox_replay` re-delivers it once the fault is fixed."""
    detail = "".join(traceback.format_exception(error))[-4000:]
    letter, _ = DeadLetter.objects.using(subscriber_alias(subscription_name)).update_or_create(
        subscriber=subscription_name,
        event_id=uuid.UUID(envelope["id"]),
        defaults={
            "event_type": envelope["type"],
            "envelope": envelope,
            "attempts": attempts,
            "last_error": detail,
            "failed_at": timezone.now(),
            "replayed_at": None,
        },
    )
    log.error("outbox.dead_lettered", subscriber=subscription_name, event_id=envelope["id"], attempts=attempts)
    return letter


def hand_back(*, subscription_name: str, envelope: dict[str, Any], error: BaseException) -> None:
    """A failed delivery whose retry the broker would not take (it is unreachable, often the very reason the
    handler failed): mark the event unrelayed again, so the relay sends it once the broker answers. Every
    subscriber receives it again and those that applied it skip it (inbox). Dropping the message instead, as Celery
    does when a retry cannot be sent, would lose the delivery."""
    outbox = OutboxMessage.objects.using(contexts.alias_of(envelope.get("source")))  # the publisher's database
    if outbox.filter(event_id=uuid.UUID(envelope["id"])).update(published_at=None):
        log.warning("outbox.handed_back", subscriber=subscription_name, event_id=envelope["id"], error=repr(error))
    else:  # the row was purged meanwhile: park the delivery rather than lose it
        park(subscription_name=subscription_name, envelope=envelope, attempts=0, error=error)


def deliver_inline(*, subscription_name: str, envelope: dict[str, Any]) -> bool:
    """Deliver in this process with the same attempt budget as the worker, parking on the last failure."""
    attempts = max_attempts()
    for attempt in range(1, attempts + 1):
        try:
            return deliver(subscription_name=subscription_name, envelope=envelope)
        except Exception as exc:
            if attempt == attempts:
                park(subscription_name=subscription_name, envelope=envelope, attempts=attempt, error=exc)
                return False
    return False
