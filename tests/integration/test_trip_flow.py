"""A trip across contexts over REST as the apps use it: quoted by billing, done in trips, settled by billing;
and a fleet's proof-of-delivery setting (fleet) applied to every drop-off (trips)."""

from __future__ import annotations

import uuid

import pytest

from apps.billing.models import FareRecord, JournalTransaction
from apps.trips.tests.rest import DROPOFF, PICKUP, PNG, assign, book, step
from logitrack.db import contexts
from logitrack.outbox.models import OutboxMessage
from tests.support.isolation import client_for
from tests.support.trip_world import world  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db


def test_a_trip_from_quote_to_settlement(world, relay_and_deliver):  # noqa: F811  (the fixture)
    two_fleets, fleet, _van, driver, shift = world
    customer = client_for(two_fleets.customer)
    quote = customer.post(
        "/api/v1/billing/quotes/",
        {
            "fleet_id": str(fleet.id),
            "vehicle_type": "van",
            "stops": [[PICKUP["lat"], PICKUP["lng"]], [DROPOFF["lat"], DROPOFF["lng"]]],
        },
        format="json",
    ).json()
    booked = book(customer, fleet.id, quote_id=quote["id"])
    assert booked.status_code == 201, booked.json()
    trip = booked.json()
    assert (trip["status"], trip["version"], booked["ETag"]) == ("requested", 1, 'W/"1"')

    dispatcher = two_fleets.a.client("dispatcher")
    assert trip["id"] in {
        t["id"] for t in dispatcher.get("/api/v1/trips/trips/", {"status": "requested"}).json()["results"]
    }
    assigned = dispatcher.post(
        f"/api/v1/trips/trips/{trip['id']}/assign/",
        {"shift_id": str(shift.id)},
        format="json",
        HTTP_IF_MATCH='W/"1"',
    )
    assert assigned.status_code == 200, assigned.json()

    driver_app = two_fleets.a.client("driver")
    assert trip["id"] in {t["id"] for t in driver_app.get("/api/v1/trips/trips/").json()["results"]}  # my trips
    version = assigned.json()["version"]
    for action in ("start", "arrive_pickup", "pick_up", "complete"):
        extra = {"distance_m": 4200, "lat": DROPOFF["lat"], "lng": DROPOFF["lng"]} if action == "complete" else {}
        moved = step(driver_app, trip["id"], action, version, **extra)
        assert moved.status_code == 200, (action, moved.json())
        version = moved.json()["version"]
    assert moved.json()["status"] == "completed"
    assert {s["status"] for s in moved.json()["stops"]} == {"done"}

    timeline = customer.get(f"/api/v1/trips/trips/{trip['id']}/timeline/").json()["results"]
    assert [e["action"] for e in timeline] == ["book", "assign", "start", "arrive_pickup", "pick_up", "complete"]
    assert timeline[-1]["lat"] == DROPOFF["lat"] and timeline[-1]["actor_role"] == "driver"

    relay_and_deliver()
    relay_and_deliver()
    record = FareRecord.objects.get(trip_id=trip["id"])
    assert record.quote_id == uuid.UUID(quote["id"]) and record.driver_id == driver.id
    assert JournalTransaction.objects.filter(kind="settlement", reference_id=trip["id"]).count() == 1
    assert (
        OutboxMessage.objects.using(contexts.alias("trips"))
        .filter(event_type="logitrack.trips.trip.completed.v1")
        .count()
        == 1
    )


def test_a_fleet_that_requires_proof_gets_it_for_every_drop_off(world):  # noqa: F811  (the fixture)
    from django.core.files.uploadedfile import SimpleUploadedFile

    two_fleets, fleet, _van, _driver, shift = world
    manager = two_fleets.a.client("fleet_manager")
    bad = manager.patch(f"/api/v1/fleet/fleets/{fleet.id}/", {"proof_of_delivery": ["dna"]}, format="json")
    assert bad.status_code == 400
    ok = manager.patch(
        f"/api/v1/fleet/fleets/{fleet.id}/", {"proof_of_delivery": ["recipient", "signature", "pin"]}, format="json"
    )
    assert ok.status_code == 200 and ok.json()["proof_of_delivery"] == ["recipient", "signature", "pin"]

    booked = book(
        client_for(two_fleets.customer), fleet.id
    ).json()  # the customer did not ask for a PIN: the fleet does
    assert set(booked["pins"]) == {"2"}
    dispatcher, driver_app = two_fleets.a.client("dispatcher"), two_fleets.a.client("driver")
    assign(dispatcher, booked["id"], shift.id, 1)
    for version, action in ((2, "start"), (3, "arrive_pickup"), (4, "pick_up")):
        step(driver_app, booked["id"], action, version)
    base = f"/api/v1/trips/trips/{booked['id']}/stops/2"
    missing = driver_app.post(f"{base}/done/", {"pin": booked["pins"]["2"]}, format="multipart", HTTP_IF_MATCH='W/"5"')
    # one status wherever proof is missing: 409, as completing before a PIN drop-off is (well-formed, too early)
    assert (missing.status_code, missing.json()["code"]) == (409, "trips.proof_missing")
    assert set(missing.json()["errors"]) == {"recipient", "signature"}
    done = driver_app.post(
        f"{base}/done/",
        {"pin": booked["pins"]["2"], "recipient_name": "Kai", "signature": SimpleUploadedFile("s.png", PNG)},
        format="multipart",
        HTTP_IF_MATCH='W/"5"',
    )
    assert done.status_code == 200, done.json()
