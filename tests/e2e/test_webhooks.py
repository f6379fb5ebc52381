"""Webhooks end to end over the real processes: a fleet manager registers an endpoint over HTTP, a trip is completed
through the trips services, and the stack's relay and Celery worker post a signed `trip.completed` to a local
receiver, whose signature the test checks with the README's recipe."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.notifications.tests.receiver import Answer, Receiver
from logitrack.testing import images
from logitrack.testing.processes import wait_for_worker, wait_until
from logitrack.types import GeoPoint
from tests.e2e.conftest import STACK_ENV, build_operator

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]
PICKUP, DROPOFF = (52.5310, 13.3847), (52.5016, 13.4190)


def verify(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's recipe from the README."""
    items = [part.split("=", 1) for part in header.split(",")]
    timestamp = int(next(v for k, v in items if k == "t"))
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in items)


def complete_a_trip(operator) -> uuid.UUID:
    """Booked by a customer, given to the first driver's shift, driven and completed, through the services."""
    from apps.identity.models import User
    from apps.trips.contracts import StopKind
    from apps.trips.services import assignment, booking, lifecycle, stops

    customer = User.objects.create_user(
        email=f"customer.{uuid.uuid4().hex[:6]}@example.test", password="x" * 16, is_customer=True
    )
    driver_user = User.objects.get(email=operator.drivers[0].email)
    booked = booking.trip_book(
        fleet_id=operator.fleet_id, booked_by_id=customer.id, customer_id=customer.id, vehicle_type="van",
        service="delivery", load=booking.Load(weight_kg=20), quote_id=None, requested_for=None, role="customer",
        stops=[
            booking.StopInput(kind=StopKind.PICKUP, address="Invalidenstraße 1", lat=PICKUP[0], lng=PICKUP[1]),
            booking.StopInput(kind=StopKind.DROPOFF, address="Oranienstraße 2", lat=DROPOFF[0], lng=DROPOFF[1]),
        ],
    )  # fmt: skip
    trip = booked.trip
    assignment.trip_assign(trip_id=trip.id, shift_id=operator.drivers[0].shift_id, actor_id=None)
    for action in ("start", "arrive_pickup", "pick_up"):
        lifecycle.trip_transition(trip_id=trip.id, action=action, actor_id=driver_user.id, role="driver")
    stops.stop_done(
        trip_id=trip.id, sequence=2, actor_id=driver_user.id, expected_version=None, recipient_name="Mo",
        signature=SimpleUploadedFile("s.png", images.png()), pin=booked.pins.get(2, ""),
    )  # fmt: skip
    lifecycle.trip_transition(
        trip_id=trip.id, action="complete", actor_id=driver_user.id, role="driver", distance_m=4200,
        location=GeoPoint(*DROPOFF),
    )  # fmt: skip
    return trip.id


def test_completing_a_trip_posts_a_signed_trip_completed_webhook(stack):
    operator = build_operator(drivers=1, auto_dispatch=False)
    manager = stack.api().login(operator.manager_email)
    with Receiver() as receiver:
        made = manager.expect(
            201,
            "POST",
            "/api/v1/notifications/webhooks/endpoints/",
            json={"fleet_id": str(operator.fleet_id), "url": receiver.url, "event_types": ["trip.completed"]},
        )
        trip_id = complete_a_trip(operator)

        got = wait_until(
            lambda: [r for r in receiver.received if r.headers.get("LogiTrack-Event-Type") == "trip.completed"],
            timeout=90,
            what="the trip.completed webhook (relay, then the worker's handler and send job)",
        )
        time.sleep(1)  # nothing else arrives: one delivery, sent once
        assert len(receiver.received) == 1
        (hook,) = got
        assert verify(made["secret"], hook.headers["LogiTrack-Signature"], hook.body)
        envelope = json.loads(hook.body)
        assert envelope["type"] == "trip.completed" and envelope["fleet_id"] == str(operator.fleet_id)
        assert hook.headers["LogiTrack-Event-Id"] == envelope["id"]
        data = envelope["data"]
        assert data["trip"]["id"] == str(trip_id) and data["trip"]["status"] == "completed"
        assert data["distance_m"] == 4200 and [s["address"] for s in data["trip"]["stops"]] == [
            "Invalidenstraße 1",
            "Oranienstraße 2",
        ]
        for internal in ("quote_id", "shift_id", "user_id"):
            assert internal not in hook.body.decode()

        log = manager.get("/api/v1/notifications/webhooks/deliveries/?type=trip.completed")["results"]
        assert [(d["event_id"], d["status"], d["attempts"]) for d in log] == [(envelope["id"], "sent", 1)]


def test_a_worker_killed_mid_send_loses_no_webhook_and_nothing_is_sent_while_its_claim_lives(stack):
    """The worker dies while the receiver is still answering: nothing recorded the attempt, so the delivery is sent
    again (at least once: same event id, the receiver dedupes) — but only once the dead worker's lease ran out, by
    the beat's sweep and a new worker; then it is sent, and never again."""
    from apps.notifications.models import WebhookDelivery

    lease = int(STACK_ENV["NOTIFICATIONS_WEBHOOK_LEASE_SECONDS"])
    operator = build_operator(drivers=1, auto_dispatch=False)
    manager = stack.api().login(operator.manager_email)
    with Receiver() as receiver:
        made = manager.expect(
            201,
            "POST",
            "/api/v1/notifications/webhooks/endpoints/",
            json={"fleet_id": str(operator.fleet_id), "url": receiver.url, "event_types": ["trip.completed"]},
        )
        receiver.answer(Answer(delay=1.5))  # the first answer comes too late for the worker that asked
        complete_a_trip(operator)
        wait_until(lambda: receiver.received, timeout=90, interval=0.05, what="the first send")
        first_seen = time.monotonic()
        stack.procs.kill("worker")  # SIGKILL to the worker and its pool mid-request
        stack.procs.worker("worker", queues="default,events,notifications", concurrency=2)
        wait_for_worker(broker_url=stack.redis.url, names=("worker",))

        wait_until(lambda: len(receiver.received) >= 2, timeout=90, what="the send after the lease ran out")
        assert time.monotonic() - first_seen >= lease - 2  # not while the dead worker's claim was live
        delivery = wait_until(
            lambda: (d := WebhookDelivery.objects.filter(fleet_id=operator.fleet_id).first()) and d.status == "sent"
            and d,
            timeout=30,
            what="the delivery recorded as sent",
        )  # fmt: skip
        time.sleep(3)  # the sweep runs every second: nothing more arrives
        first, second = receiver.received
        assert len(receiver.received) == 2
        assert first.body == second.body and first.headers["LogiTrack-Event-Id"] == second.headers["LogiTrack-Event-Id"]
        assert verify(made["secret"], second.headers["LogiTrack-Signature"], second.body)
        assert delivery.attempts == 1 and delivery.attempt_log.get().succeeded  # the killed try left no record
