"""Celery entry point for deliveries: one task per (subscription, event)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from celery import shared_task
from celery.exceptions import Reject

from logitrack.outbox import delivery, services


@shared_task(name="outbox.deliver", bind=True, acks_late=True, max_retries=None, ignore_result=True)
def deliver(self: Any, subscription_name: str, envelope: dict[str, Any]) -> bool:
    try:
        return delivery.deliver(subscription_name=subscription_name, envelope=envelope)
    except Exception as exc:
        attempt = self.request.retries + 1
        if attempt >= delivery.max_attempts():
            delivery.park(subscription_name=subscription_name, envelope=envelope, attempts=attempt, error=exc)
            return False
        try:
            retry = self.retry(exc=exc, countdown=delivery.backoff_seconds(attempt), throw=False)
        except Reject:  # Celery could not send the retry to the broker and would drop this delivery
            delivery.hand_back(subscription_name=subscription_name, envelope=envelope, error=exc)
            return False
        raise retry from exc


@shared_task(name="outbox.purge", ignore_result=True)
def purge() -> None:
    services.outbox_purge(published_older_than=dt.timedelta(days=7), inbox_older_than=dt.timedelta(days=30))
