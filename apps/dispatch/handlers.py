"""Reactions of the dispatch context to other contexts' integration events (registered with logitrack.bus):
screens and driver apps hear of trip changes, auto-dispatch moves on, off-duty drivers leave the map, an erased
driver's position history goes.

Trip events are V2: each carries the trip as it is after the change (TripSnapshot), so nothing here reads the trip
back from trips. The subscriptions kept their names when they moved from V1 to V2 (the inbox keys a delivery by
subscription name and event id, and V1 and V2 events have different ids, so nothing is applied twice or taken for
applied). A change relayed before the move reached these subscriptions as its V1 event and is still delivered as
one (from the queue, or replayed from the dead letters): `_trip` reads that trip once, as the V1 handlers did.
"""

from __future__ import annotations

from apps.dispatch import integrations
from apps.dispatch.contracts import TripView
from apps.dispatch.services import autodispatch, board, positions
from apps.identity.events import UserErasedV1
from apps.partner.events import DutyStatusChangedV1
from apps.trips.contracts import TripStatus
from apps.trips.events import (
    TripAssignedV1,
    TripAssignedV2,
    TripCancelledV1,
    TripCancelledV2,
    TripFailedV1,
    TripFailedV2,
    TripOfferDeclinedV1,
    TripOfferDeclinedV2,
    TripOfferedV1,
    TripOfferedV2,
    TripRequestedV1,
    TripRequestedV2,
    TripStatusChangedV1,
    TripStatusChangedV2,
)
from logitrack.bus import subscriber


def _trip(event) -> TripView:
    """The trip as the event says it is; a V1 event delivered after the move carries none (see above)."""
    trip = getattr(event, "trip", None)
    return trip if trip is not None else integrations.trip_get(trip_id=event.trip_id)


def show_trip_statuses(events: list[TripStatusChangedV2 | TripStatusChangedV1]) -> None:
    """A batch (the events worker's): the cards of every trip that moved on, in one push per fleet; an unassignment
    (back to requested) is handled alone, as `show_trip_status` does."""
    cards = []
    for event in events:
        if event.new_status == TripStatus.REQUESTED:
            _show_status(event)
        else:
            cards.append(_trip(event))
    if cards:
        board.trip_cards_push(trips=cards, change="status_changed")


@subscriber(TripStatusChangedV2, name="dispatch.show_trip_status", batch=show_trip_statuses)
def show_trip_status(event: TripStatusChangedV2 | TripStatusChangedV1) -> None:
    _show_status(event)


def _show_status(event: TripStatusChangedV2 | TripStatusChangedV1) -> None:
    if event.new_status == TripStatus.REQUESTED:  # only an unassignment leads back to requested
        autodispatch.unassigned_flag(
            trip=_trip(event), reason=event.reason, previous_driver_id=getattr(event, "previous_driver_id", None)
        )
        return
    board.trip_card_push(trip=_trip(event), change="status_changed")


@subscriber(TripAssignedV2, name="dispatch.show_assignment")
def show_assignment(event: TripAssignedV2 | TripAssignedV1) -> None:
    board.assignment_push(trip=_trip(event), reassigned=event.reassigned)


@subscriber(TripOfferedV2, name="dispatch.push_offer")
def push_offer(event: TripOfferedV2 | TripOfferedV1) -> None:
    board.offer_push(offer_id=event.offer_id, trip=_trip(event), driver_id=event.driver_id, expires_at=event.expires_at)


@subscriber(TripOfferDeclinedV2, name="dispatch.offer_next_driver")
def offer_next_driver(event: TripOfferDeclinedV2 | TripOfferDeclinedV1) -> None:
    autodispatch.offer_next(trip=_trip(event), driver_id=event.driver_id, expired=event.expired, reason=event.reason)


@subscriber(TripRequestedV2, name="dispatch.auto_dispatch")
def auto_dispatch(event: TripRequestedV2 | TripRequestedV1) -> None:
    autodispatch.auto_dispatch_start(trip=_trip(event))


@subscriber(TripCancelledV2, name="dispatch.show_cancellation")
def show_cancellation(event: TripCancelledV2 | TripCancelledV1) -> None:
    board.trip_card_close(trip=_trip(event), change="cancelled")


@subscriber(TripFailedV2, name="dispatch.show_failure")
def show_failure(event: TripFailedV2 | TripFailedV1) -> None:
    board.trip_card_close(trip=_trip(event), change="failed")


@subscriber(DutyStatusChangedV1, name="dispatch.follow_duty")
def follow_duty(event: DutyStatusChangedV1) -> None:
    board.duty_follow(driver_id=event.driver_id, fleet_id=event.fleet_id, on_duty=event.duty_status == "on_duty")


@subscriber(UserErasedV1, name="dispatch.erase_driver_trail")
def erase_driver_trail(event: UserErasedV1) -> None:
    positions.driver_trail_erase(user_id=event.user_id)
