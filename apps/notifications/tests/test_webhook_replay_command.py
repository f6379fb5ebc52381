"""`manage.py notifications_webhooks_replay`: one delivery or a time range, sent again to the local receiver."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import CommandError, call_command

from apps.notifications.contracts import DeliveryStatus
from apps.notifications.models import WebhookDelivery
from apps.notifications.tests.receiver import Answer
from apps.notifications.webhooks import services
from logitrack.events import to_envelope
from tests.support.webhook_world import vehicle_event

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = io.StringIO()
    call_command("notifications_webhooks_replay", *args, stdout=out)
    return out.getvalue()


def test_replays_one_delivery_and_a_range_now(fleets, receiver, clock):
    clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    _, a, b = fleets
    services.endpoint_create(fleet_id=a.id, url=receiver.url, event_types=["vehicle.status_changed"])
    services.endpoint_create(fleet_id=b.id, url=receiver.url, event_types=["vehicle.status_changed"])
    (first,) = services.deliveries_create(event_envelope=to_envelope(vehicle_event(a.id)))
    (other,) = services.deliveries_create(event_envelope=to_envelope(vehicle_event(b.id)))
    WebhookDelivery.objects.update(status=DeliveryStatus.DEAD, claim=None, claimed_until=None)
    receiver.default = Answer(status=200)

    assert run("--delivery", str(first), "--now") == "1 sent again: 1 delivered\n"
    assert json.loads(receiver.received[-1].body)["fleet_id"] == str(a.id)
    assert WebhookDelivery.objects.get(id=first).status == DeliveryStatus.SENT

    out = run("--since", "2026-12-01T08:00", "--until", "2026-12-01T10:00", "--fleet", str(b.id), "--now")
    assert out == "1 sent again: 1 delivered\n"
    assert WebhookDelivery.objects.get(id=other).status == DeliveryStatus.SENT
    assert len(receiver.received) == 2
    assert run("--since", "2026-12-01T08:00", "--until", "2026-12-01T10:00", "--status", "dead") == (
        "0 queued to send again\n"
    )


def test_bad_arguments_are_command_errors(fleets):
    with pytest.raises(CommandError, match="give --delivery"):
        run("--since", "2026-12-01T08:00")
    with pytest.raises(CommandError, match="no webhook delivery"):
        run("--delivery", "6a0b7f2e-0000-4000-8000-000000000000")
    with pytest.raises(CommandError, match="ends before it starts"):
        run("--since", "2026-12-02T08:00", "--until", "2026-12-01T08:00")
