"""The trips factories make consistent rows (other contexts' tests build on them)."""

import pytest

from apps.trips.tests.factories import OfferFactory, ShiftFactory, TripFactory, TripLogEntryFactory

pytestmark = pytest.mark.django_db


def test_a_trip_has_a_pickup_then_a_drop_off_and_a_timeline_entry_names_it():
    trip = TripFactory()
    assert [s.kind for s in trip.stops.all()] == ["pickup", "dropoff"]
    entry = TripLogEntryFactory(trip=trip)
    assert list(trip.timeline.all()) == [entry]
    assert TripFactory(stops=0).stops.count() == 0


def test_an_offer_goes_to_a_shift_of_the_trips_fleet():
    offer = OfferFactory()
    assert offer.shift.fleet_id == offer.trip.fleet_id
    assert offer.driver_id == offer.shift.driver_id
    assert ShiftFactory().ends_at > ShiftFactory().starts_at
