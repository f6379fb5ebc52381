"""Deliveries made the way the handlers make them, for the machinery's tests."""

from __future__ import annotations

import uuid

from django.utils import timezone

from apps.notifications.contracts import Channel
from apps.notifications.models import Delivery
from apps.notifications.services.deliveries import NewDelivery, delivery_create


def make_delivery(
    *, address="ana@example.test", recipient_id=None, urgent=False, kind="trip.confirmed", channel=Channel.EMAIL, **data
) -> Delivery:
    delivery, created = delivery_create(
        new=NewDelivery(
            event_id=uuid.uuid4(),
            event_type="logitrack.test.v1",
            kind=kind,
            channel=channel,
            recipient_id=recipient_id,
            fleet_id=None,
            address=address,
            language="en",
            urgent=urgent,
            subject=data.get("subject", "Hello"),
            text=data.get("text", "Plain body\n"),
            html=data.get("html", "<p>HTML body</p>"),
            sender_name=data.get("sender_name", "Alpha Logistics"),
            data=data.get("data", {}),
        )
    )
    assert created
    return delivery


def due_now(delivery: Delivery) -> None:
    """As if its retry delay had passed."""
    Delivery.objects.filter(id=delivery.id).update(next_attempt_at=timezone.now())
