"""Reactions of the dispatch context to other contexts' integration events (registered with logitrack.bus):
screens and driver apps hear of trip changes, auto-dispatch moves on, off-duty drivers leave the map, an erased
driver's position history goes."""

from __future__ import annotations

from apps.dispatch import services
from apps.identity.events import UserErasedV1
from apps.partner.events import DutyStatusChangedV1
from apps.trips.events import (
    TripAssignedV1,
    TripCancelledV1,
    TripFailedV1,
    TripOfferDeclinedV1,
    TripOfferedV1,
    TripRequestedV1,
    TripStatusChangedV1,
)
from logitrack.bus import subscriber


@subscriber(TripStatusChangedV1, name="dispatch.show_trip_status")
def show_trip_status(event: TripStatusChangedV1) -> None:
    services.trip_changed(trip_id=event.trip_id, fleet_id=event.fleet_id, change="status_changed")


@subscriber(TripAssignedV1, name="dispatch.show_assignment")
def show_assignment(event: TripAssignedV1) -> None:
    services.trip_assigned(
        trip_id=event.trip_id, fleet_id=event.fleet_id, driver_id=event.driver_id, reassigned=event.reassigned
    )


@subscriber(TripOfferedV1, name="dispatch.push_offer")
def push_offer(event: TripOfferedV1) -> None:
    services.offer_made(
        offer_id=event.offer_id,
        trip_id=event.trip_id,
        fleet_id=event.fleet_id,
        driver_id=event.driver_id,
        expires_at=event.expires_at,
    )


@subscriber(TripOfferDeclinedV1, name="dispatch.offer_next_driver")
def offer_next_driver(event: TripOfferDeclinedV1) -> None:
    services.offer_declined(
        trip_id=event.trip_id,
        fleet_id=event.fleet_id,
        driver_id=event.driver_id,
        expired=event.expired,
        reason=event.reason,
    )


@subscriber(TripRequestedV1, name="dispatch.auto_dispatch")
def auto_dispatch(event: TripRequestedV1) -> None:
    services.trip_requested(trip_id=event.trip_id, fleet_id=event.fleet_id)


@subscriber(TripCancelledV1, name="dispatch.show_cancellation")
def show_cancellation(event: TripCancelledV1) -> None:
    services.trip_closed(trip_id=event.trip_id, fleet_id=event.fleet_id, change="cancelled")


@subscriber(TripFailedV1, name="dispatch.show_failure")
def show_failure(event: TripFailedV1) -> None:
    services.trip_closed(trip_id=event.trip_id, fleet_id=event.fleet_id, change="failed")


@subscriber(DutyStatusChangedV1, name="dispatch.follow_duty")
def follow_duty(event: DutyStatusChangedV1) -> None:
    services.duty_changed(driver_id=event.driver_id, fleet_id=event.fleet_id, on_duty=event.duty_status == "on_duty")


@subscriber(UserErasedV1, name="dispatch.erase_driver_trail")
def erase_driver_trail(event: UserErasedV1) -> None:
    services.driver_trail_erase(user_id=event.user_id)
