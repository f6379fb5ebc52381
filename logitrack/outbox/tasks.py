"""Celery entry point for deliveries: one task per (subscription, event)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from celery.exceptions import Reject

from logitrack import resilience
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


@shared_task(name="outbox.purge", ignore_result=True)  # type: ignore[untyped-decorator]
def purge() -> None:
    services.outbox_purge(published_older_than=dt.timedelta(days=7), inbox_older_than=dt.timedelta(days=30))
