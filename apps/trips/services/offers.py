"""Offers: a requested trip offered to a shift's driver, who accepts or rejects it before it runs out."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.utils import timezone

from apps.trips import domain
from apps.trips.contracts import ActorRole, IllegalTransition, TripNotFound
from apps.trips.events import TripOfferDeclinedV1, TripOfferDeclinedV2, TripOfferedV1, TripOfferedV2
from apps.trips.models import Offer
from apps.trips.services import assignment
from apps.trips.services._common import locked, snapshot, timeline_add
from logitrack.db import contexts
from logitrack.outbox.api import publish


@contexts.atomic("trips")
def offer_make(
    *,
    trip_id: uuid.UUID,
    shift_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    timeout_s: int | None = None,
    role: ActorRole = ActorRole.DISPATCHER,
) -> Offer:
    """Offer a requested trip to a shift's driver; it lapses after `timeout_s` (OFFER_TIMEOUT_SECONDS).
    `role` is who offers it on the timeline: a dispatcher, or the system (auto-dispatch)."""
    trip = locked(trip_id, None)
    if trip.status not in domain.OFFERABLE:
        raise IllegalTransition(f"a trip that is {trip.status} is not offered", extra={"current_status": trip.status})
    if trip.offers.filter(status=Offer.Status.PENDING, expires_at__gt=timezone.now()).exists():
        raise IllegalTransition("the trip already has an open offer", code="trips.offer_open")
    trip.offers.filter(status=Offer.Status.PENDING).update(status=Offer.Status.EXPIRED, answered_at=timezone.now())
    shift = assignment.shift_that_fits(trip, shift_id)
    offer = Offer.objects.create(
        trip=trip,
        shift=shift,
        driver_id=shift.driver_id,
        expires_at=timezone.now() + dt.timedelta(seconds=timeout_s or settings.OFFER_TIMEOUT_SECONDS),
    )
    timeline_add(trip, action="offer", old=trip.status, actor_id=actor_id, role=role)
    publish(
        TripOfferedV1(
            offer_id=offer.id,
            trip_id=trip.id,
            fleet_id=trip.fleet_id,
            driver_id=shift.driver_id,
            expires_at=offer.expires_at,
        )
    )
    publish(
        TripOfferedV2(
            offer_id=offer.id,
            shift_id=shift.id,
            driver_id=shift.driver_id,
            expires_at=offer.expires_at,
            trip=snapshot(trip),
        )
    )
    return offer


@contexts.atomic("trips")
def offer_answer(
    *, offer_id: uuid.UUID, driver_ids: set[uuid.UUID], accept: bool, actor_id: uuid.UUID | None, reason: str = ""
) -> Offer:
    """The driver's answer. Accepting assigns the trip to the offer's shift; a late answer finds it expired."""
    offer = (
        Offer.objects.select_for_update().select_related("trip").filter(id=offer_id, driver_id__in=driver_ids).first()
    )
    if offer is None:
        raise TripNotFound("no such offer", code="trips.offer_not_found")
    if offer.status != Offer.Status.PENDING:
        raise IllegalTransition(f"the offer was already {offer.status}", code="trips.offer_closed")
    now = timezone.now()
    if offer.expires_at <= now:
        _decline(offer, expired=True, reason="no answer in time")
        raise IllegalTransition("the offer expired before the answer came", code="trips.offer_expired")
    if accept:
        assignment.trip_assign(trip_id=offer.trip_id, shift_id=offer.shift_id, actor_id=actor_id, role=ActorRole.DRIVER)
        Offer.objects.filter(id=offer.id).update(status=Offer.Status.ACCEPTED, answered_at=now)
    else:
        _decline(offer, expired=False, reason=reason.strip())
    offer.refresh_from_db()
    return offer


def _decline(offer: Offer, *, expired: bool, reason: str) -> None:
    offer.status = Offer.Status.EXPIRED if expired else Offer.Status.REJECTED
    offer.answered_at, offer.reason = timezone.now(), reason
    offer.save(update_fields=["status", "answered_at", "reason", "updated_at"])
    timeline_add(
        offer.trip,
        action="offer_expired" if expired else "offer_rejected",
        old=offer.trip.status,
        actor_id=None,
        role=ActorRole.SYSTEM if expired else ActorRole.DRIVER,
        reason=reason,
    )
    publish(
        TripOfferDeclinedV1(
            offer_id=offer.id,
            trip_id=offer.trip_id,
            fleet_id=offer.trip.fleet_id,
            driver_id=offer.driver_id,
            expired=expired,
            reason=reason,
        )
    )
    publish(
        TripOfferDeclinedV2(
            offer_id=offer.id,
            driver_id=offer.driver_id,
            expired=expired,
            reason=reason,
            trip=snapshot(offer.trip),
        )
    )


@contexts.atomic("trips")
def offers_expire() -> int:
    """Close offers nobody answered in time (beat runs this every 15 seconds)."""
    lapsed = list(
        Offer.objects.select_for_update(skip_locked=True)
        .select_related("trip")
        .filter(status=Offer.Status.PENDING, expires_at__lte=timezone.now())
    )
    for offer in lapsed:
        _decline(offer, expired=True, reason="no answer in time")
    return len(lapsed)
