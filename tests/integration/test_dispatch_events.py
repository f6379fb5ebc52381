"""Dispatch reacts to trips' V2 events from the trip they carry: a late event never undoes what trips did
meanwhile, and a V1 event still queued for a subscription from before it moved to V2 is applied as before."""

import pytest

from apps.dispatch.models import DispatchAttempt
from apps.trips.events import TripRequestedV1
from apps.trips.models import Offer, Trip
from apps.trips.services import assignment as trip_assignment
from logitrack.db import contexts
from logitrack.events import to_envelope
from logitrack.outbox import delivery
from logitrack.outbox.models import OutboxMessage
from logitrack.types import GeoPoint
from tests.support.dispatch_world import ping
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}
DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}


def book(world) -> str:
    response = client_for(world.fleets.customer).post(
        "/api/v1/trips/trips/",
        {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 50},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["id"]


def on_the_map(crew):
    placed = crew.client().post("/api/v1/dispatch/positions/", {"pings": [ping(52.54, 13.3847)]}, format="json")
    assert placed.status_code == 200, placed.json()


def test_a_request_delivered_after_a_dispatcher_assigned_the_trip_offers_nothing(dispatch_world, relay_and_deliver):
    world = dispatch_world
    crew = world.crews[0]
    on_the_map(crew)
    trip_id = book(world)
    # a dispatcher is quicker than the event: the trip is assigned before auto-dispatch hears it was requested
    trip_assignment.trip_assign(trip_id=trip_id, shift_id=world.crews[1].shift_id, actor_id=None)
    requested = next(
        m
        for m in OutboxMessage.objects.using(contexts.alias("trips")).filter(
            event_type="logitrack.trips.trip.requested.v2"
        )
        if m.envelope["data"]["trip"]["id"] == trip_id
    )
    delivery.deliver(subscription_name="dispatch.auto_dispatch", envelope=requested.envelope)

    attempt = DispatchAttempt.objects.get(trip_id=trip_id)
    assert attempt.status == "assigned"  # trips refused the offer with the trip's status: nobody else is asked
    assert not Offer.objects.filter(trip_id=trip_id).exists()


def test_a_v1_event_queued_before_the_subscription_moved_to_v2_is_still_applied(dispatch_world, relay_and_deliver):
    world = dispatch_world
    crew = world.crews[0]
    on_the_map(crew)
    trip_id = book(world)
    trip = Trip.objects.get(id=trip_id)
    legacy = TripRequestedV1(
        trip_id=trip.id,
        fleet_id=trip.fleet_id,
        vehicle_type=trip.vehicle_type,
        service=trip.service,
        weight_kg=trip.weight_kg,
        seats=trip.seats,
        pickup=GeoPoint(lat=PICKUP["lat"], lng=PICKUP["lng"]),
    )
    assert delivery.deliver(subscription_name="dispatch.auto_dispatch", envelope=to_envelope(legacy))

    assert Offer.objects.get(trip_id=trip_id, status="pending").driver_id == crew.driver.id
    assert DispatchAttempt.objects.get(trip_id=trip_id).status == "offered"


def test_a_trip_a_dispatcher_took_back_waits_for_a_dispatcher_and_costs_nothing(
    dispatch_world, relay_and_deliver, monkeypatch
):
    from apps.dispatch import feed

    world = dispatch_world
    for crew in world.crews:
        on_the_map(crew)
    trip_id = book(world)
    relay_and_deliver()  # auto-dispatch offers it to the nearest driver
    offered = Offer.objects.get(trip_id=trip_id, status="pending")
    accepted = client_for(world.fleets.a.users["driver"]).post(
        f"/api/v1/trips/offers/{offered.id}/accept/", {}, format="json"
    )
    assert accepted.status_code == 200, accepted.json()
    relay_and_deliver()
    assert DispatchAttempt.objects.get(trip_id=trip_id).status == "assigned"
    sent = []
    monkeypatch.setattr(feed, "to_fleet", lambda fleet_id, kind, payload: sent.append(("fleet", kind, payload)))
    monkeypatch.setattr(feed, "to_driver", lambda driver_id, kind, payload: sent.append((driver_id, kind, payload)))

    dispatcher = client_for(world.fleets.a.users["dispatcher"])
    version = Trip.objects.get(id=trip_id).version
    taken = dispatcher.post(
        f"/api/v1/trips/trips/{trip_id}/unassign/",
        {"reason": "customer asked for a bigger van"},
        format="json",
        HTTP_IF_MATCH=f'W/"{version}"',
    )
    assert taken.status_code == 200, taken.json()
    relay_and_deliver()

    attempt = DispatchAttempt.objects.get(trip_id=trip_id)
    assert (attempt.status, attempt.flag_reason) == (
        "flagged",
        "unassigned by a dispatcher: customer asked for a bigger van",
    )
    assert not Offer.objects.filter(trip_id=trip_id, status="pending").exists()  # not offered again on its own
    cards = [p for who, kind, p in sent if who == "fleet" and kind == "trip"]
    assert [(c["change"], c["trip"]["status"], c["trip"]["dispatch"]["status"]) for c in cards] == [
        ("unassigned", "requested", "flagged")
    ]
    assert (offered.driver_id, "unassigned", {"trip_id": trip_id, "reason": "customer asked for a bigger van"}) in sent
    fare = dispatcher.get(f"/api/v1/trips/trips/{trip_id}/").json()["fare"]
    assert fare is None or fare["final_total_minor"] is None  # billing charged nothing
