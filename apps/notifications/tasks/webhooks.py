"""Sending webhook deliveries: one job per claimed delivery, and the periodic sweep that claims what is due (a retry
whose time came, a job that was lost, a claim whose worker died)."""

import uuid

from celery import shared_task

from apps.notifications.webhooks import services


@shared_task(name=services.SEND_TASK, acks_late=True, ignore_result=True)
def webhooks_send(delivery_id: str, claim: str | None = None) -> str:
    return services.delivery_send(delivery_id=uuid.UUID(delivery_id), claim=uuid.UUID(claim) if claim else None)


@shared_task(name=services.SWEEP_TASK, ignore_result=True)
def webhooks_sweep() -> int:
    return services.deliveries_sweep()


@shared_task(name="notifications.webhooks_purge", ignore_result=True)
def webhooks_purge() -> int:
    return services.deliveries_purge()
