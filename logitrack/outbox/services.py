"""Operator actions on the outbox: replay dead letters, purge old rows."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from logitrack import jobs
from logitrack.db import contexts
from logitrack.outbox import delivery, jetstream
from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage
from logitrack.outbox.sinks import DELIVER_TASK


@dataclass(frozen=True)
class ReplayResult:
    subscriber: str
    event_id: uuid.UUID
    outcome: str  # "enqueued", "delivered", "already_applied", "failed_again"


def dead_letters_pending(*, subscriber: str | None = None, event_id: uuid.UUID | None = None) -> list[DeadLetter]:
    """Parked deliveries in every context's database (each letter knows its own: `letter._state.db`)."""
    found: list[DeadLetter] = []
    for using in contexts.aliases():
        qs = DeadLetter.objects.using(using).filter(replayed_at__isnull=True)
        if subscriber:
            qs = qs.filter(subscriber=subscriber)
        if event_id:
            qs = qs.filter(event_id=event_id)
        found += qs
    return sorted(found, key=lambda letter: letter.failed_at)


def dead_letter_replay(*, letter: DeadLetter, inline: bool = False) -> ReplayResult:
    """Re-deliver one parked event with a fresh attempt budget. A new failure parks it again. Not inline, it goes
    the way the subscription's deliveries go: a Celery task, or a message on NATS for its consumer alone."""
    using = letter._state.db or delivery.subscriber_alias(letter.subscriber)
    with transaction.atomic(using=using):
        locked = DeadLetter.objects.using(using).select_for_update().get(id=letter.id)
        locked.replayed_at = timezone.now()
        locked.replay_count += 1
        locked.save(update_fields=["replayed_at", "replay_count"])
    if not inline:
        if jetstream.carried_by_nats(letter.subscriber):
            try:
                jetstream.publish_replay(
                    subscription_name=letter.subscriber, envelope=letter.envelope, replay=locked.replay_count
                )
            except Exception:  # not sent: the letter stays pending, to be replayed again
                DeadLetter.objects.using(using).filter(id=letter.id).update(replayed_at=None)
                raise
        else:
            jobs.enqueue(DELIVER_TASK, args=(letter.subscriber, letter.envelope))
        return ReplayResult(letter.subscriber, letter.event_id, "enqueued")
    try:
        applied = delivery.deliver(subscription_name=letter.subscriber, envelope=letter.envelope)
    except Exception as exc:
        delivery.park(
            subscription_name=letter.subscriber, envelope=letter.envelope, attempts=letter.attempts + 1, error=exc
        )
        return ReplayResult(letter.subscriber, letter.event_id, "failed_again")
    return ReplayResult(letter.subscriber, letter.event_id, "delivered" if applied else "already_applied")


def outbox_purge(*, published_older_than: dt.timedelta, inbox_older_than: dt.timedelta) -> tuple[int, int]:
    """Delete relayed outbox rows and old inbox records, in every context's database. Inbox retention must exceed any
    redelivery delay."""
    now = timezone.now()
    outbox_deleted = inbox_deleted = 0
    for using in contexts.aliases():
        outbox_deleted += (
            OutboxMessage.objects.using(using).filter(published_at__lt=now - published_older_than).delete()[0]
        )
        inbox_deleted += InboxRecord.objects.using(using).filter(processed_at__lt=now - inbox_older_than).delete()[0]
    return outbox_deleted, inbox_deleted
