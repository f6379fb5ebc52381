"""Offers: accepted, rejected or run out."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.trips.models import Trip
from apps.trips.services import offers as trips_offers
from apps.trips.tests.rest import book
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db


def test_offers_are_accepted_rejected_or_run_out(world, captured_events):
    from apps.trips.models import Offer

    two_fleets, fleet, _van, _driver, shift = world
    customer, dispatcher, driver_app = (
        client_for(two_fleets.customer),
        two_fleets.a.client("dispatcher"),
        two_fleets.a.client("driver"),
    )
    first, second, third = (book(customer, fleet.id).json() for _ in range(3))

    made = dispatcher.post(f"/api/v1/trips/trips/{first['id']}/offers/", {"shift_id": str(shift.id)}, format="json")
    assert made.status_code == 201 and made.json()["status"] == "pending"
    again = dispatcher.post(f"/api/v1/trips/trips/{first['id']}/offers/", {"shift_id": str(shift.id)}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "trips.offer_open")
    assert [o["id"] for o in driver_app.get("/api/v1/trips/offers/").json()["results"]] == [made.json()["id"]]
    assert (
        two_fleets.b.client("driver")
        .post(f"/api/v1/trips/offers/{made.json()['id']}/accept/", {}, format="json")
        .status_code
        == 404
    )
    accepted = driver_app.post(f"/api/v1/trips/offers/{made.json()['id']}/accept/", {}, format="json")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert Trip.objects.get(id=first["id"]).status == "assigned"
    taken = Trip.objects.get(id=first["id"]).timeline.get(action="assign")
    assert (taken.actor_role, taken.actor_id) == ("driver", two_fleets.a.users["driver"].id)  # who took it

    offer_b = dispatcher.post(
        f"/api/v1/trips/trips/{second['id']}/offers/", {"shift_id": str(shift.id)}, format="json"
    ).json()
    with captured_events() as events:
        rejected = driver_app.post(
            f"/api/v1/trips/offers/{offer_b['id']}/reject/", {"reason": "too far"}, format="json"
        )
    assert rejected.json()["status"] == "rejected"
    assert [(e.TYPE, e.expired) for e in events if hasattr(e, "expired")] == [
        ("logitrack.trips.offer.declined.v1", False),
        ("logitrack.trips.offer.declined.v2", False),  # the same fact, with the trip in it
    ]

    offer_c = dispatcher.post(
        f"/api/v1/trips/trips/{third['id']}/offers/", {"shift_id": str(shift.id), "timeout_seconds": 10}, format="json"
    ).json()
    Offer.objects.filter(id=offer_c["id"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    late = driver_app.post(f"/api/v1/trips/offers/{offer_c['id']}/accept/", {}, format="json")
    assert (late.status_code, late.json()["code"]) == (409, "trips.offer_expired")
    assert Trip.objects.get(id=third["id"]).status == "requested"
    offer_d = dispatcher.post(
        f"/api/v1/trips/trips/{third['id']}/offers/", {"shift_id": str(shift.id)}, format="json"
    ).json()
    Offer.objects.filter(id=offer_d["id"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with captured_events() as events:
        assert trips_offers.offers_expire() == 1  # what beat runs every 15 seconds
    assert Offer.objects.get(id=offer_d["id"]).status == "expired"
    assert any(getattr(e, "expired", False) for e in events)
