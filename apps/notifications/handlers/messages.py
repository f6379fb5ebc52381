"""Trips' and identity's events, turned into messages to the trip's customer (services.messages) or scrubbed from
the log (an erased user). Thin: each parses the event and calls one service."""

from __future__ import annotations

from apps.identity.events import UserErasedV1
from apps.notifications.domain import TripView
from apps.notifications.services import deliveries, messages
from apps.trips.events import (
    TripArrivingV1,
    TripAssignedV2,
    TripCancelledV2,
    TripCompletedV2,
    TripFailedV2,
    TripRequestedV2,
)
from logitrack.bus import subscriber


@subscriber(TripRequestedV2, name="notifications.tell_booking_confirmed")
def tell_booking_confirmed(event: TripRequestedV2) -> None:
    messages.booking_confirmed(event_id=event.event_id, event_type=event.TYPE, trip=TripView.of(event.trip))


@subscriber(TripAssignedV2, name="notifications.tell_driver_assigned")
def tell_driver_assigned(event: TripAssignedV2) -> None:
    messages.driver_assigned(event_id=event.event_id, event_type=event.TYPE, trip=TripView.of(event.trip))


@subscriber(TripArrivingV1, name="notifications.tell_arriving")
def tell_arriving(event: TripArrivingV1) -> None:
    messages.arriving(
        event_id=event.event_id,
        event_type=event.TYPE,
        trip=TripView.of(event.trip),
        stop_sequence=event.stop_sequence,
        eta=event.eta,
    )


def tell_delivered_many(events: list[TripCompletedV2]) -> None:
    """A batch of completions (the events worker's): branding, contacts, preferences, links and proofs once."""
    messages.completed_many(events=[(e.event_id, e.TYPE, TripView.of(e.trip)) for e in events])


@subscriber(TripCompletedV2, name="notifications.tell_delivered", batch=tell_delivered_many)
def tell_delivered(event: TripCompletedV2) -> None:
    messages.completed(event_id=event.event_id, event_type=event.TYPE, trip=TripView.of(event.trip))


@subscriber(TripFailedV2, name="notifications.tell_failed")
def tell_failed(event: TripFailedV2) -> None:
    messages.failed(event_id=event.event_id, event_type=event.TYPE, trip=TripView.of(event.trip), reason=event.reason)


@subscriber(TripCancelledV2, name="notifications.tell_cancelled")
def tell_cancelled(event: TripCancelledV2) -> None:
    messages.cancelled(
        event_id=event.event_id,
        event_type=event.TYPE,
        trip=TripView.of(event.trip),
        reason=event.reason,
        by=str(event.cancelled_by),
    )


@subscriber(UserErasedV1, name="notifications.erase_recipient")
def erase_recipient(event: UserErasedV1) -> None:
    deliveries.recipient_erase(user_id=event.user_id)
