"""What dispatch screens and driver apps hear about trips and duty: the trip's card (from the trip its event
carries), offers, assignments (which end auto-dispatch's attempt), a driver going off duty, and the periodic
`board` (timings, driver states, alerts) for every fleet a screen watches."""

from __future__ import annotations

import datetime as dt
import functools
import uuid

from django.conf import settings
from django.utils import timezone

from apps.dispatch import domain, feed, live, workspace
from apps.dispatch.contracts import TripView
from apps.dispatch.models import DispatchAttempt
from logitrack.db import contexts


def trip_card_push(*, trip: TripView, change: str) -> None:
    """The fleet's screens show the trip as its event says it is now, with auto-dispatch's progress on it
    (`change` says why: requested, status_changed…). An event delivered late, whose trip is older than one
    already shown, shows nothing: the screens have moved on."""
    if not live.store().trip_version_current(trip.id, trip.version):
        return
    feed.to_fleet(trip.fleet_id, "trip", {"change": change, "trip": workspace.trip_extras(trip)})  # encoded by the send


def trip_cards_push(*, trips: list[TripView], change: str) -> None:
    """`trip_card_push` of several trips (a batch of events): one version check, one look-up of each kind for the
    cards (workspace.trips_extras) and one message per fleet."""
    current = live.store().trip_versions_current([(t.id, t.version) for t in trips])
    shown = [t for t, ok in zip(trips, current, strict=True) if ok]
    cards: dict[uuid.UUID, list[dict]] = {}
    for trip, card in zip(shown, workspace.trips_extras(shown), strict=True):
        cards.setdefault(trip.fleet_id, []).append(card)
    for fleet_id, theirs in cards.items():
        feed.trips_to_fleet(fleet_id, change, theirs)  # encoded once, by the send


@contexts.atomic("dispatch")
def assignment_push(*, trip: TripView, reassigned: bool) -> None:
    """The trip has a driver: auto-dispatch's part is over, the screens show it, the driver's app gets it."""
    DispatchAttempt.objects.filter(trip_id=trip.id).exclude(status=DispatchAttempt.Status.CLOSED).update(
        status=DispatchAttempt.Status.ASSIGNED, updated_at=timezone.now()
    )
    if not live.store().trip_version_current(trip.id, trip.version):
        return  # a late assignment: the trip has moved on since (reassigned, cancelled), tell nobody
    trip_card_push(trip=trip, change="reassigned" if reassigned else "assigned")
    if trip.driver_id is not None:
        feed.to_driver(trip.driver_id, "assignment", {"trip": feed.jsonable(domain.trip_json(trip))})


@contexts.atomic("dispatch")
def trip_card_close(*, trip: TripView, change: str) -> None:
    """The trip ended (cancelled, failed): auto-dispatch stops, the screens take its card off the board."""
    DispatchAttempt.objects.filter(trip_id=trip.id).update(
        status=DispatchAttempt.Status.CLOSED, updated_at=timezone.now()
    )
    trip_card_push(trip=trip, change=change)


def offer_push(*, offer_id: uuid.UUID, trip: TripView, driver_id: uuid.UUID, expires_at: dt.datetime) -> None:
    """The offered driver's app shows the offer with the trip; the fleet's screens see it was made."""
    offer = {
        "id": str(offer_id),
        "trip_id": str(trip.id),
        "driver_id": str(driver_id),
        "expires_at": expires_at.isoformat(),
    }
    feed.to_driver(driver_id, "offer", {"offer": offer, "trip": feed.jsonable(domain.trip_json(trip))})
    feed.to_fleet(trip.fleet_id, "offer", {"offer": offer})


def duty_follow(*, driver_id: uuid.UUID, fleet_id: uuid.UUID, on_duty: bool) -> None:
    """The driver's socket hears the duty change at once; off duty, the driver leaves the live map."""
    feed.to_driver(driver_id, "duty", {"on_duty": on_duty})
    if not on_duty:
        live.store().remove(fleet_id, driver_id)
        feed.to_fleet(fleet_id, "driver_off", {"driver_id": str(driver_id)})


def _board_message(fleet_id: uuid.UUID) -> dict:
    return workspace.board_gather(fleet_id=fleet_id).board_message()


def boards_push() -> int:
    """The `board` message to every fleet a screen watches (beat, every DISPATCH_BOARD_EVERY_SECONDS): one pass
    per fleet. Best effort, like every push; a fleet that fails is logged and the others still get theirs. A fleet
    another run is computing right now (a slow pass overlapping the next beat, two workers) is skipped: its screens
    get that run's board. Returns how many fleets this run pushed to."""
    store = live.store()
    pushed = 0
    for fleet_id in sorted(store.fleets_watched(), key=str):
        with store.exclusive(f"board:{fleet_id}", seconds=settings.DISPATCH_BOARD_EVERY_SECONDS) as mine:
            if mine:
                feed.board(fleet_id, functools.partial(_board_message, fleet_id))
                pushed += 1
    return pushed
