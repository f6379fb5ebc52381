"""Test data for trips, shared by any context's tests, written with factory-boy.

`ShiftFactory`, `TripFactory`, `StopFactory`, `TripLogEntryFactory` and `OfferFactory` make rows directly (no
other context is asked: ids of fleets, drivers and vehicles are fresh UUIDs unless given). `PlannedShiftFactory`
plans through the service, so eligibility and overlaps are checked as in production; `shift_under_way` is the
shift most tests want: open for work now."""

from __future__ import annotations

import datetime as dt
import uuid

import factory
from django.utils import timezone

from apps.trips.contracts import ActorRole, StopKind, TripStatus
from apps.trips.events import TripCompletedV1
from apps.trips.models import Offer, Shift, Stop, Trip, TripLogEntry
from apps.trips.services import shifts


class ShiftFactory(factory.django.DjangoModelFactory):
    """A planned shift row, without asking fleet or partner."""

    class Meta:
        model = Shift

    fleet_id = factory.LazyFunction(uuid.uuid4)
    driver_id = factory.LazyFunction(uuid.uuid4)
    vehicle_id = factory.LazyFunction(uuid.uuid4)
    starts_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(hours=1))
    ends_at = factory.LazyAttribute(lambda shift: shift.starts_at + dt.timedelta(hours=8))
    status = Shift.Status.PLANNED
    pooling = False


class PlannedShiftFactory(ShiftFactory):
    """A shift planned through `services.shifts.shift_plan`: the driver must be eligible for the vehicle, the
    vehicle assignable, neither already on a shift then."""

    planned_by_id = None

    class Meta:
        model = Shift
        exclude = ("status",)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return shifts.shift_plan(**kwargs)


class TripFactory(factory.django.DjangoModelFactory):
    """A requested trip row with a pickup and a drop-off (`stops=0` for none), without booking checks."""

    class Meta:
        model = Trip
        skip_postgeneration_save = True

    fleet_id = factory.LazyFunction(uuid.uuid4)
    customer_id = factory.LazyFunction(uuid.uuid4)
    booked_by_id = factory.LazyAttribute(lambda trip: trip.customer_id or uuid.uuid4())
    vehicle_type = "van"
    service = "delivery"
    status = TripStatus.REQUESTED
    weight_kg = 100

    @factory.post_generation
    def stops(self, create, extracted, **kwargs):
        if not create or extracted == 0:
            return
        StopFactory(trip=self, sequence=1, kind=StopKind.PICKUP, lat=52.5310, lng=13.3847)
        StopFactory(trip=self, sequence=2, kind=StopKind.DROPOFF, lat=52.5016, lng=13.4190)


class StopFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Stop

    trip = factory.SubFactory(TripFactory, stops=0)
    sequence = factory.Sequence(lambda n: n + 1)
    kind = StopKind.DROPOFF
    address = factory.Sequence(lambda n: f"Teststraße {n + 1}, Berlin")
    lat = 52.52
    lng = 13.405


class TripLogEntryFactory(factory.django.DjangoModelFactory):
    """One entry on a trip's timeline."""

    class Meta:
        model = TripLogEntry

    trip = factory.SubFactory(TripFactory)
    action = "book"
    from_status = ""
    to_status = factory.LazyAttribute(lambda entry: entry.trip.status)
    actor_id = factory.LazyAttribute(lambda entry: entry.trip.booked_by_id)
    actor_role = ActorRole.CUSTOMER


class OfferFactory(factory.django.DjangoModelFactory):
    """A pending offer of a trip to its fleet's shift's driver."""

    class Meta:
        model = Offer

    trip = factory.SubFactory(TripFactory)
    shift = factory.SubFactory(ShiftFactory, fleet_id=factory.SelfAttribute("..trip.fleet_id"))
    driver_id = factory.SelfAttribute("shift.driver_id")
    status = Offer.Status.PENDING
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(seconds=45))


def shift_under_way(*, fleet_id: uuid.UUID, driver_id: uuid.UUID, vehicle_id: uuid.UUID, hours: int = 7) -> Shift:
    """A shift planned through the service that began an hour ago and runs `hours` more: open for work now."""
    now = timezone.now()
    return PlannedShiftFactory(
        fleet_id=fleet_id,
        driver_id=driver_id,
        vehicle_id=vehicle_id,
        starts_at=now - dt.timedelta(hours=1),
        ends_at=now + dt.timedelta(hours=hours),
    )


def trip_completed_event(
    *,
    fleet_id: uuid.UUID,
    driver_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    trip_id: uuid.UUID | None = None,
    quote_id: uuid.UUID | None = None,
    distance_m: int = 10_000,
    duration_s: int = 1200,
    completed_at: dt.datetime | None = None,
) -> TripCompletedV1:
    """TripCompletedV1 as trips publishes it for a two-stop delivery by van, ended at `completed_at` (now unless
    told) after `duration_s`: what billing settles, for tests that publish it without driving a trip."""
    ended = completed_at or timezone.now()
    return TripCompletedV1(
        trip_id=trip_id or uuid.uuid4(),
        fleet_id=fleet_id,
        customer_id=customer_id,
        driver_id=driver_id,
        vehicle_type="van",
        service="delivery",
        quote_id=quote_id,
        distance_m=distance_m,
        duration_s=duration_s,
        waiting_s=0,
        stops=2,
        started_at=ended - dt.timedelta(seconds=duration_s),
        completed_at=ended,
    )
