"""Celery entry points: send one delivery (queued after the commit that made it), and the sweep that sends what
is due and was not sent by its own job (a lost job, a killed worker, a deferral). Both run on the `notifications`
queue (CELERY_TASK_ROUTES)."""

from __future__ import annotations

import uuid

from celery import shared_task
from django.conf import settings

from apps.notifications.services import deliveries


@shared_task(name="notifications.send", acks_late=True, ignore_result=True)
def send(delivery_id: str) -> str | None:
    return deliveries.delivery_send(delivery_id=uuid.UUID(delivery_id))


@shared_task(name="notifications.sweep", ignore_result=True)
def sweep() -> int:
    return deliveries.deliveries_send_due(
        limit=settings.NOTIFICATIONS_SWEEP_BATCH, overdue_by=settings.NOTIFICATIONS_SWEEP_GRACE_SECONDS
    )
