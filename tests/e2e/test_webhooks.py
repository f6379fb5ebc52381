"""Webhooks end to end over the real processes: a fleet manager registers an endpoint over HTTP, a trip is completed
through the trips services, and the stack's relay and Celery worker post a signed `trip.completed` to a local
receiver, whose signature the test checks with the README's recipe. Then the hard cases: a worker killed mid-send,
and an endpoint answering 500 (retried ever later by the worker and the beat's sweep, dead, replayed over REST)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import itertools
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


# Retries come with the beat's sweep (every second here). A failed try n waits between c/2 and c, c = 1 s doubling
# per try up to 8 s; the window lets at least 4 tries in whatever the jitter (the third failure schedules the fourth
# by 1 + 2 + 4 s plus two sweeps = 9 s) and the delivery is dead soon after (within about 12 s).
SHORT_RETRIES = {
    "NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS": "1",
    "NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS": "8",
    "NOTIFICATIONS_WEBHOOK_RETRY_FOR_SECONDS": "11",
}


@pytest.mark.parametrize("stack_env", [SHORT_RETRIES], ids=["short-retries"])
def test_an_endpoint_answering_500_is_retried_ever_later_until_dead_and_a_replay_delivers_it(stack):
    base = float(SHORT_RETRIES["NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS"])
    cap = float(SHORT_RETRIES["NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS"])
    failure = b'{"error": "our database is down"}'
    operator = build_operator(drivers=1, auto_dispatch=False)
    manager = stack.api().login(operator.manager_email)
    deliveries = "/api/v1/notifications/webhooks/deliveries/"
    with Receiver() as receiver:
        receiver.default = Answer(status=500, body=failure)
        made = manager.expect(
            201,
            "POST",
            "/api/v1/notifications/webhooks/endpoints/",
            json={"fleet_id": str(operator.fleet_id), "url": receiver.url, "event_types": ["trip.completed"]},
        )
        complete_a_trip(operator)

        row = wait_until(
            lambda: (found := manager.get(f"{deliveries}?fleet_id={operator.fleet_id}&status=dead")["results"])
            and found[0],
            timeout=40,
            interval=0.25,
            what="the delivery dead after its retries (the worker's sends, the beat's sweeps)",
        )  # fmt: skip
        tries = list(receiver.received)
        dead = manager.get(f"{deliveries}{row['id']}/")
        event_id = json.loads(tries[0].body)["id"]
        assert len(tries) >= 4 and dead["attempts"] == len(tries)
        for number, hook in enumerate(tries, start=1):
            assert hook.body == tries[0].body and hook.headers["LogiTrack-Event-Id"] == event_id == dead["event_id"]
            assert hook.headers["LogiTrack-Delivery-Attempt"] == str(number)
            assert verify(made["secret"], hook.headers["LogiTrack-Signature"], hook.body)
        # each retry comes no sooner than its backoff's floor (scheduled after the answer), and the floors double
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(tries)]
        floors = [min(cap, base * 2**n) / 2 for n in range(len(gaps))]
        assert all(gap >= floor for gap, floor in zip(gaps, floors, strict=True)), (gaps, floors)
        assert gaps[-1] > gaps[0], gaps
        assert (dead["status"], dead["last_status_code"], dead["last_error"], dead["next_attempt_at"]) == (
            "dead",
            500,
            "HTTP 500",
            None,
        )
        log = dead["attempt_log"]
        assert [(a["number"], a["response_status"], a["response_body"], a["error"], a["succeeded"]) for a in log] == [
            (n, 500, failure.decode(), "HTTP 500", False) for n in range(1, len(tries) + 1)
        ]
        assert dt.datetime.fromisoformat(dead["dead_at"]) >= dt.datetime.fromisoformat(log[-1]["started_at"])

        receiver.default = Answer(status=204, body=b"")
        replayed = manager.expect(202, "POST", f"{deliveries}{row['id']}/replay/")
        assert (replayed["status"], replayed["replays"]) == ("pending", 1)
        sent = wait_until(
            lambda: (found := manager.get(f"{deliveries}{row['id']}/"))["status"] == "sent" and found,
            timeout=30,
            interval=0.2,
            what="the replayed delivery sent by the worker",
        )
        assert len(receiver.received) == len(tries) + 1
        hook = receiver.received[-1]
        assert hook.body == tries[0].body and hook.headers["LogiTrack-Event-Id"] == event_id
        assert hook.headers["LogiTrack-Delivery-Attempt"] == str(len(tries) + 1)
        assert verify(made["secret"], hook.headers["LogiTrack-Signature"], hook.body)
        assert (sent["attempts"], sent["replays"], sent["last_status_code"], sent["last_error"]) == (
            len(tries) + 1,
            1,
            204,
            "",
        )
        assert sent["delivered_at"] and sent["dead_at"] is None
        assert [(a["response_status"], a["succeeded"]) for a in sent["attempt_log"]][-2:] == [(500, False), (204, True)]
        endpoint = manager.get(f"/api/v1/notifications/webhooks/endpoints/{made['id']}/")
        assert endpoint["failing_since"] is None and endpoint["last_success_at"] and endpoint["last_error"] == ""
