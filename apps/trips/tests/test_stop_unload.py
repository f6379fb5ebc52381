"""What comes off at each drop-off (`stops[].unload`): checked at booking (4xx problem bodies, nothing created),
stored, shown on the trip and carried to other contexts by the contract and the V2 events; an envelope written
before the field existed still loads."""

from __future__ import annotations

import pytest

from apps.trips import api
from apps.trips.contracts import StopLoad
from apps.trips.events import TripRequestedV2
from apps.trips.models import Trip
from apps.trips.services._common import snapshot
from apps.trips.tests.rest import DROPOFF, PICKUP, book, detail
from logitrack.events import from_envelope, to_envelope
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db

SECOND = {"kind": "dropoff", "address": "Kastanienallee 1, Berlin", "lat": 52.5380, "lng": 13.4110}


def test_bad_shares_are_4xx_problems_and_create_nothing(world):
    two_fleets, fleet, *_ = world
    customer = client_for(two_fleets.customer)
    cases = [
        # a pickup unloads nothing
        (
            [{**PICKUP, "unload": {"weight_kg": 10}}, {**DROPOFF, "unload": {"weight_kg": 10}}],
            "trips.invalid",
            "stops[0].unload",
        ),
        ([PICKUP, {**DROPOFF, "unload": {"weight_kg": -1}}], "validation_failed", "stops"),
        ([PICKUP, {**DROPOFF, "unload": {"volume_m3": "-0.5"}}], "validation_failed", "stops"),
        # together more than the trip's 120 kg
        (
            [PICKUP, {**DROPOFF, "unload": {"weight_kg": 100}}, {**SECOND, "unload": {"weight_kg": 30}}],
            "trips.invalid",
            "weight_kg",
        ),
        # parcels: the trip has none
        ([PICKUP, {**DROPOFF, "unload": {"parcels": 1}}], "trips.invalid", "parcels"),
        # one drop-off declared, the other not
        ([PICKUP, {**DROPOFF, "unload": {"weight_kg": 100}}, SECOND], "trips.invalid", "stops[2].unload"),
        ([PICKUP, {**DROPOFF, "unload": {"weight": 10}}], "validation_failed", "stops"),
        ([PICKUP, {**DROPOFF, "unload": {"weight_kg": "ten"}}], "validation_failed", "stops"),
        ([PICKUP, {**DROPOFF, "unload": 10}], "validation_failed", "stops"),
    ]
    for stops, code, where in cases:
        response = book(customer, fleet.id, stops=stops)
        assert response.status_code == 400, (stops, response.json())
        body = response.json()
        assert response["Content-Type"].startswith("application/problem+json")
        assert body["code"] == code, (stops, body)
        assert where in body["errors"], (stops, body)
    assert Trip.objects.count() == 0


def test_declared_shares_round_trip_through_the_api_the_contract_and_the_event(world, captured_events):
    two_fleets, fleet, *_ = world
    customer = client_for(two_fleets.customer)
    stops = [
        PICKUP,
        {**DROPOFF, "unload": {"weight_kg": 100, "parcels": 1}},
        {**SECOND, "unload": {"weight_kg": 15, "parcels": 3}},
    ]
    with captured_events() as events:
        response = book(customer, fleet.id, stops=stops, parcels=4)
    assert response.status_code == 201, response.json()
    booked = response.json()
    declared = [
        None,
        {"weight_kg": 100, "volume_m3": 0.0, "parcels": 1, "seats": 0},
        {"weight_kg": 15, "volume_m3": 0.0, "parcels": 3, "seats": 0},
    ]
    assert [s["unload"] for s in booked["stops"]] == declared
    assert [s["unload"] for s in detail(customer, booked["id"])["stops"]] == declared

    ref = api.trip_get(trip_id=booked["id"])
    assert [s.unload for s in ref.stops] == [
        None,
        StopLoad(weight_kg=100, parcels=1),
        StopLoad(weight_kg=15, parcels=3),
    ]
    [requested] = [e for e in events if isinstance(e, TripRequestedV2)]  # as read back from the outbox
    assert [s.unload for s in requested.trip.stops] == [s.unload for s in ref.stops]

    # a trip booked without shares shows null on every stop
    plain = book(customer, fleet.id).json()
    assert [s["unload"] for s in plain["stops"]] == [None, None]
    assert [s.unload for s in api.trip_get(trip_id=plain["id"]).stops] == [None, None]


def test_an_envelope_written_before_unload_existed_still_loads(world):
    two_fleets, fleet, *_ = world
    booked = book(client_for(two_fleets.customer), fleet.id).json()
    envelope = to_envelope(TripRequestedV2(trip=snapshot(Trip.objects.get(id=booked["id"]))))
    for stop in envelope["data"]["trip"]["stops"]:
        del stop["unload"]  # what the outbox held before this field
    old = from_envelope(envelope)
    assert isinstance(old, TripRequestedV2)
    assert [s.unload for s in old.trip.stops] == [None, None]
    assert [s.address for s in old.trip.stops] == [PICKUP["address"], DROPOFF["address"]]
