"""Reactions of the billing context: it learns of completed and cancelled trips only from trips' events."""

from apps.billing.contracts import TripFacts
from apps.billing.services import settlement
from apps.trips.events import TripCancelledV1, TripCompletedV1
from logitrack.bus import subscriber


@subscriber(TripCompletedV1, name="billing.settle_trip")
def settle_trip(event: TripCompletedV1) -> None:
    settlement.trip_complete_settle(
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
