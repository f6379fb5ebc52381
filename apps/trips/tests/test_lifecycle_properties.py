"""A Hypothesis state machine drives random legal and illegal operations on trips and checks the
lifecycle's invariants after every step."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from apps.trips import domain
from apps.trips.contracts import (
    TERMINAL_STATUSES,
    ActorRole,
    IllegalTransition,
    InvalidTrip,
    StaleVersion,
    StopKind,
    StopStatus,
    TripStatus,
)
from apps.trips.models import Trip
from apps.trips.services import assignment as trips_assignment
from apps.trips.services import booking as trips_booking
from apps.trips.services import lifecycle as trips_lifecycle
from apps.trips.services import shifts as trips_shifts
from tests.support.trip_world import fleet_with_a_compliant_driver

ROLES = (ActorRole.DRIVER, ActorRole.DISPATCHER, ActorRole.CUSTOMER)
PICKUP = trips_booking.StopInput(kind=StopKind.PICKUP, address="A", lat=52.53, lng=13.38)
DROPOFF = trips_booking.StopInput(kind=StopKind.DROPOFF, address="B", lat=52.50, lng=13.42)


class TripMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        fleet, van, self.driver = fleet_with_a_compliant_driver(capacity_kg=500)
        self.fleet = fleet
        now = timezone.now()
        self.shift = trips_shifts.shift_plan(
            fleet_id=fleet.id,
            driver_id=self.driver.id,
            vehicle_id=van.id,
            starts_at=now - dt.timedelta(hours=1),
            ends_at=now + dt.timedelta(hours=8),
            planned_by_id=None,
        )
        self.trips: list[uuid.UUID] = []
        self.versions: dict[uuid.UUID, int] = {}

    @rule(weight=st.integers(0, 300))
    def book(self, weight):
        booking = trips_booking.trip_book(
            fleet_id=self.fleet.id,
            booked_by_id=uuid.uuid4(),
            customer_id=uuid.uuid4(),
            vehicle_type="van",
            service="delivery",
            stops=[PICKUP, DROPOFF],
            load=trips_booking.Load(weight_kg=weight),
            quote_id=None,
            requested_for=None,
            role="customer",
        )
        self.trips.append(booking.trip.id)
        self.versions[booking.trip.id] = booking.trip.version

    @precondition(lambda self: self.trips)
    @rule(i=st.integers(0, 10_000))
    def assign(self, i):
        trip_id = self.trips[i % len(self.trips)]
        before = Trip.objects.get(id=trip_id)
        try:
            trip = trips_assignment.trip_assign(
                trip_id=trip_id, shift_id=self.shift.id, actor_id=None, reason="shuffle"
            )
        except (IllegalTransition, InvalidTrip):
            assert Trip.objects.get(id=trip_id).version == before.version  # a refusal changes nothing
            return
        assert before.status in (TripStatus.REQUESTED, TripStatus.ASSIGNED)
        self._bumped(trip)

    @precondition(lambda self: self.trips)
    @rule(
        i=st.integers(0, 10_000),
        action=st.sampled_from(sorted(domain.ACTIONS)),
        role=st.sampled_from(ROLES),
        reason=st.sampled_from(["", "because"]),
    )
    def transition(self, i, action, role, reason):
        trip_id = self.trips[i % len(self.trips)]
        before = Trip.objects.get(id=trip_id)
        allowed = domain.next_status(TripStatus(before.status), action, role)
        try:
            trip = trips_lifecycle.trip_transition(
                trip_id=trip_id, action=action, actor_id=None, role=role, expected_version=before.version, reason=reason
            )
        except (IllegalTransition, InvalidTrip):
            after = Trip.objects.get(id=trip_id)
            assert (after.status, after.version) == (before.status, before.version)
            return
        assert allowed is not None and trip.status == allowed
        self._bumped(trip)

    @precondition(lambda self: self.trips)
    @rule(i=st.integers(0, 10_000))
    def stale_update(self, i):
        trip_id = self.trips[i % len(self.trips)]
        current = Trip.objects.get(id=trip_id)
        with pytest.raises(StaleVersion):
            trips_lifecycle.trip_transition(
                trip_id=trip_id,
                action="cancel",
                actor_id=None,
                role="dispatcher",
                expected_version=current.version - 1,
                reason="x",
            )

    def _bumped(self, trip):
        assert trip.version > self.versions[trip.id]
        self.versions[trip.id] = trip.version

    @invariant()
    def completed_trips_have_every_stop_done_or_failed(self):
        for trip in Trip.objects.filter(id__in=self.trips, status=TripStatus.COMPLETED):
            assert set(trip.stops.values_list("status", flat=True)) <= {StopStatus.DONE, StopStatus.FAILED}

    @invariant()
    def a_driver_is_on_at_most_one_trip_in_progress(self):
        if hasattr(self, "driver"):
            assert Trip.objects.filter(driver_id=self.driver.id, status=TripStatus.IN_PROGRESS).count() <= 1

    @invariant()
    def every_trip_is_in_exactly_one_known_state(self):
        statuses = set(Trip.objects.filter(id__in=self.trips).values_list("status", flat=True))
        assert statuses <= {s.value for s in TripStatus}

    @invariant()
    def the_shifts_vehicle_is_never_over_capacity(self):
        if hasattr(self, "shift"):
            open_trips = self.shift.trips.exclude(status__in=TERMINAL_STATUSES)
            assert sum(t.weight_kg for t in open_trips) <= 500


@pytest.mark.django_db
def test_trip_lifecycle_invariants_hold_under_random_operations():
    run_state_machine_as_test(
        TripMachine,
        settings=settings(
            max_examples=12,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
