"""Celery entry point for deliveries: one task per (subscription, event)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from celery.exceptions import Reject

from logitrack import bus, resilience
from logitrack.outbox import delivery, services


@shared_task(  # type: ignore[untyped-decorator]  # celery ships no types
    name="outbox.deliver", bind=True, acks_late=True, max_retries=None, ignore_result=True
)
def deliver(self: Any, subscription_name: str, envelope: dict[str, Any], outages: int = 0) -> bool:
    """`outages` counts the tries that found the database (or Redis) unreachable: they are retried with the outage
    backoff for as long as the outage lasts and do not use up the handler's attempts, so an outage longer than
    the retry budget parks nothing (and could not: parking writes to the database too)."""
    try:
        applied = delivery.deliver(subscription_name=subscription_name, envelope=envelope)
    except Exception as exc:
        if resilience.is_unavailable(exc):
            outages += 1
            countdown = _OUTAGE.failed(exc)
        else:
            attempt = self.request.retries + 1 - outages
            if attempt >= delivery.max_attempts():
                delivery.park(subscription_name=subscription_name, envelope=envelope, attempts=attempt, error=exc)
                return False
            countdown = delivery.backoff_seconds(attempt)
        try:
            retry = self.retry(exc=exc, countdown=countdown, kwargs={"outages": outages}, throw=False)
        except Reject:  # Celery could not send the retry to the broker and would drop this delivery
            delivery.hand_back(subscription_name=subscription_name, envelope=envelope, error=exc)
            return False
        raise retry from exc
    _OUTAGE.succeeded()
    return applied


_OUTAGE = resilience.Backoff("outbox.deliver")  # per worker process: one log line per outage, not per delivery


@shared_task(  # type: ignore[untyped-decorator]
    name="outbox.deliver_batch", bind=True, acks_late=True, max_retries=None, ignore_result=True
)
def deliver_batch(self: Any, subscription_name: str, envelopes: list[dict[str, Any]], outages: int = 0) -> int:
    """Several events for one subscriber (the relay groups what it claimed together), applied in one transaction.
    An outage retries the batch as `deliver` does; a batch that failed otherwise is delivered event by event, each
    failing one then retried alone by `deliver` with its attempts counted from this first one."""
    try:
        applied, alone = delivery.deliver_many(subscription_name=subscription_name, envelopes=envelopes)
    except Exception as exc:  # an outage: deliver_many raises nothing else
        try:
            retry = self.retry(exc=exc, countdown=_OUTAGE.failed(exc), kwargs={"outages": outages + 1}, throw=False)
        except Reject:
            for envelope in envelopes:
                delivery.hand_back(subscription_name=subscription_name, envelope=envelope, error=exc)
            return 0
        raise retry from exc
    _OUTAGE.succeeded()
    for envelope in alone:
        applied += _deliver_alone(subscription_name, envelope)
    return applied


def _deliver_alone(subscription_name: str, envelope: dict[str, Any]) -> int:
    """The first attempt of one event of a failed batch, here; a failure is retried by `deliver` as its second."""
    try:
        return int(delivery.deliver(subscription_name=subscription_name, envelope=envelope))
    except Exception as exc:
        unavailable = resilience.is_unavailable(exc)
        if not unavailable and delivery.max_attempts() <= 1:
            delivery.park(subscription_name=subscription_name, envelope=envelope, attempts=1, error=exc)
            return 0
        countdown = _OUTAGE.failed(exc) if unavailable else delivery.backoff_seconds(1)
        try:
            deliver.apply_async(
                args=(subscription_name, envelope),
                kwargs={"outages": int(unavailable)},
                countdown=countdown,
                retries=1,
                queue=_queue_of(subscription_name),
            )
        except Exception:  # the broker would not take it (or anything else): never drop it, the relay resends it
            delivery.hand_back(subscription_name=subscription_name, envelope=envelope, error=exc)
        return 0


def _queue_of(subscription_name: str) -> str:
    try:
        return bus.subscription(subscription_name).queue
    except LookupError:  # an unknown subscription: retried on the default events queue, then parked
        return "events"


@shared_task(name="outbox.purge", ignore_result=True)  # type: ignore[untyped-decorator]
def purge() -> None:
    services.outbox_purge(published_older_than=dt.timedelta(days=7), inbox_older_than=dt.timedelta(days=30))
