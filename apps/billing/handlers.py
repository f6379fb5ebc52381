"""Reactions of the billing context: it learns of completed and cancelled trips only from trips' events."""

import dataclasses

from apps.billing.contracts import TripFacts
from apps.billing.services import settlement
from apps.trips.events import TripCancelledV1, TripCompletedV1
from logitrack.bus import subscriber


def _completed(event: TripCompletedV1) -> settlement.CompletedTrip:
    return settlement.CompletedTrip(
        trip_id=event.trip_id,
        fleet_id=event.fleet_id,
        customer_id=event.customer_id,
        driver_id=event.driver_id,
        vehicle_type=event.vehicle_type,
        service=event.service,
        quote_id=event.quote_id,
        facts=TripFacts(
            distance_m=event.distance_m,
            duration_s=event.duration_s,
            stops=event.stops,
            waiting_s=event.waiting_s,
            at=event.started_at,
            points=event.stop_points,
        ),
    )


def settle_trips(events: list[TripCompletedV1]) -> None:
    """A batch of completions settled together (the events worker's batches): one look-up of each kind."""
    settlement.trips_complete_settle(trips=[_completed(event) for event in events])


@subscriber(TripCompletedV1, name="billing.settle_trip", batch=settle_trips)
def settle_trip(event: TripCompletedV1) -> None:
    trip = _completed(event)
    settlement.trip_complete_settle(**{f.name: getattr(trip, f.name) for f in dataclasses.fields(trip)})


@subscriber(TripCancelledV1, name="billing.charge_cancellation")
def charge_cancellation(event: TripCancelledV1) -> None:
    settlement.trip_cancel_settle(
        trip_id=event.trip_id,
        fleet_id=event.fleet_id,
        customer_id=event.customer_id,
        driver_id=event.driver_id,
        quote_id=event.quote_id,
        cancelled_by=event.cancelled_by,
        booked_at=event.booked_at,
        cancelled_at=event.cancelled_at,
    )
