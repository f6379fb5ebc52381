"""The relay: moves committed outbox rows to the sinks, at least once, safe to run many at once."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import structlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from logitrack import correlation, heartbeats, resilience, tracing
from logitrack.db import contexts
from logitrack.outbox.models import OutboxMessage
from logitrack.outbox.sinks import Sink, configured_sinks

log = structlog.get_logger(__name__)


def relay_batch(*, limit: int = 100, sinks: Sequence[Sink] | None = None, using: str | None = None) -> int:
    """Claim up to `limit` unpublished rows (skipping rows another relay holds), send, mark published: in the outbox
    of database `using`, or of each context's database in turn (`contexts.aliases()`) when it is None.

    If a sink fails, the whole batch rolls back and stays unpublished: at-least-once. A row sent but
    not marked (crash between the two) is sent again; subscribers' inboxes absorb the duplicate.
    """
    sinks = list(sinks) if sinks is not None else configured_sinks()
    if using is None:
        return sum(relay_batch(limit=limit, sinks=sinks, using=alias) for alias in contexts.aliases())
    with transaction.atomic(using=using):
        rows = list(
            OutboxMessage.objects.using(using)
            .select_for_update(skip_locked=True)
            .filter(published_at__isnull=True)
            .order_by("id")[:limit]
        )
        if not rows:
            return 0
        envelopes = [row.envelope for row in rows]
        # each event's relay span in its trace; the sinks send copies carrying it (unchanged when tracing is off)
        with tracing.relaying(envelopes) as sent:
            for sink in sinks:
                send_many = getattr(sink, "send_many", None)
                if send_many is not None:
                    send_many(sent)
                else:
                    for envelope in sent:
                        sink.send(envelope)
        OutboxMessage.objects.using(using).filter(id__in=[r.id for r in rows]).update(published_at=timezone.now())
    log.info(
        "outbox.relayed",
        database=using,
        count=len(rows),
        first_id=rows[0].id,
        last_id=rows[-1].id,
        request_ids=correlation.distinct(envelopes),  # grep-able: which requests' events went out
        trace_ids=tracing.trace_ids(envelopes),  # ... and which traces
    )
    return len(rows)


def _record_failure(exc: Exception, using: str) -> None:
    """Count a failed relay attempt on the oldest pending row so operators can see a stuck relay. Best effort: when
    the database itself is what failed, there is nothing to write to, and the relay must not die trying."""
    try:
        outbox = OutboxMessage.objects.using(using)
        oldest = outbox.filter(published_at__isnull=True).order_by("id").first()
        if oldest is not None:
            outbox.filter(id=oldest.id).update(relay_attempts=oldest.relay_attempts + 1, last_error=repr(exc)[:2000])
    except Exception:
        resilience.close_broken_connections()


def relay_pending(*, sinks: Sequence[Sink] | None = None, limit: int = 100) -> int:
    """Drain everything currently pending. Returns how many rows were relayed."""
    total = 0
    while count := relay_batch(limit=limit, sinks=sinks):
        total += count
    return total


def _sleep(seconds: float, should_stop: Callable[[], bool]) -> None:
    """Sleep in short steps so a stop request is honoured promptly."""
    deadline = time.monotonic() + seconds
    while not should_stop() and (left := deadline - time.monotonic()) > 0:
        time.sleep(min(left, 0.1))


def _backlogged() -> bool:
    """Whether the sinks hold more undelivered work than OUTBOX_RELAY_MAX_WAITING (tasks in the broker): then the
    relay waits, and the rows it would have sent trickling in a few at a time are claimed later in full batches,
    which the events worker applies several times cheaper per event (batch handlers). 0 turns this off."""
    cap = int(settings.OUTBOX_RELAY_MAX_WAITING)
    if cap <= 0:
        return False
    return any(getattr(sink, "waiting", lambda: 0)() > cap for sink in configured_sinks())


def run_forever(*, should_stop: Callable[[], bool], poll_seconds: float | None = None, limit: int = 100) -> int:
    """The relay process loop: drain, sleep when idle, and linger a moment (OUTBOX_RELAY_LINGER_SECONDS) after a
    batch that was not full, so the next gathers more events: fewer, larger deliveries for the workers. When the
    database or the broker cannot be reached it keeps the rows, backs off (capped, jittered) and tries again until
    they answer, logging the outage once."""
    poll = settings.OUTBOX_RELAY_POLL_SECONDS if poll_seconds is None else poll_seconds  # also while backlogged
    total, backoff = 0, resilience.Backoff("outbox.relay")
    pulse = heartbeats.Pulse(heartbeats.RELAY)  # /readyz: a relay that stops looping goes stale
    while not should_stop():
        pulse()
        if _backlogged():
            _sleep(poll, should_stop)
            continue
        count, failure = 0, None
        for using in contexts.aliases():  # each context's outbox; one that fails does not hold up the others
            try:
                count += relay_batch(limit=limit, using=using)
            except Exception as exc:  # rows stay unpublished: at least once
                resilience.close_broken_connections()
                _record_failure(exc, using)
                failure = failure or exc
        if failure is not None:
            total += count
            _sleep(backoff.failed(failure), should_stop)
            continue
        backoff.succeeded(relayed=count)
        total += count
        if count == 0:
            _sleep(poll, should_stop)
        elif count < limit:
            _sleep(min(poll, settings.OUTBOX_RELAY_LINGER_SECONDS), should_stop)
    return total
