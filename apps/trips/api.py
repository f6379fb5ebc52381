"""Public in-process API of the trips context: keyword-only functions, contracts in and out.

Only other apps' `integrations.py` (and `config`) may import this module. Dispatch is the caller:
it reads open trips and shifts to match and route them, and assigns through here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.conf import settings
from django.utils import timezone as _timezone

from apps.trips import domain as _domain
from apps.trips import selectors as _selectors
from apps.trips.contracts import (
    ActorRole,
    OfferRef,
    ProofSummary,
    ShiftRef,
    ShiftStatus,
    StopRef,
    TrackingLinkRef,
    TripDayFigures,
    TripFigures,
    TripRef,
    TripReportLine,
)
from apps.trips.models import Offer as _Offer
from apps.trips.models import ProofOfDelivery as _ProofOfDelivery
from apps.trips.models import Shift as _Shift
from apps.trips.models import TrackingLink as _TrackingLink
from apps.trips.models import Trip as _Trip
from apps.trips.services import assignment, offers, tracking
from apps.trips.services._common import snapshot


def trip_get(*, trip_id: uuid.UUID) -> TripRef:
    return _trip_ref(_selectors.trip_with_stops(trip_id=trip_id))


def trips_open(*, fleet_id: uuid.UUID, trip_ids: list[uuid.UUID] | None = None) -> list[TripRef]:
    """The fleet's trips that are not finished yet (requested, assigned or under way), oldest first."""
    return [_trip_ref(t) for t in _selectors.trips_open(fleet_id=fleet_id, trip_ids=trip_ids)]


def trips_of_drivers(*, driver_ids: list[uuid.UUID]) -> list[TripRef]:
    """Trips the drivers hold now (assigned or under way)."""
    return [_trip_ref(t) for t in _selectors.trips_of_drivers(driver_ids=driver_ids)]


def shifts_open(*, fleet_id: uuid.UUID, at: dt.datetime, driver_ids: list[uuid.UUID] | None = None) -> list[ShiftRef]:
    """Planned or started shifts of the fleet that can take work at `at`, with what they already carry."""
    return [_shift_ref(s) for s in _selectors.shifts_open(fleet_id=fleet_id, at=at, driver_ids=driver_ids)]


def vehicle_drivers(*, vehicle_id: uuid.UUID, since: dt.datetime) -> list[uuid.UUID]:
    """The drivers who will drive this vehicle: a planned or started shift on it not ended by `since` (each once)."""
    return _selectors.vehicle_drivers(vehicle_id=vehicle_id, since=since)


def offer_make(
    *, trip_id: uuid.UUID, shift_id: uuid.UUID, timeout_s: int | None = None, actor_id: uuid.UUID | None = None
) -> OfferRef:
    """Offer a requested trip to a shift's driver (IllegalTransition when the trip or shift cannot). Without an
    `actor_id` the offer is the system's (auto-dispatch), and the timeline says so."""
    offer = offers.offer_make(
        trip_id=trip_id,
        shift_id=shift_id,
        actor_id=actor_id,
        timeout_s=timeout_s,
        role=ActorRole.DISPATCHER if actor_id is not None else ActorRole.SYSTEM,
    )
    return _offer_ref(offer)


def trip_assign(
    *,
    trip_id: uuid.UUID,
    shift_id: uuid.UUID,
    actor_id: uuid.UUID | None,
    reason: str = "",
    expected_version: int | None = None,
    sequenced: bool = False,
) -> TripRef:
    """Assign (or, with a reason, reassign) a trip to a shift, with trips' own capacity and eligibility checks.
    `sequenced`: a route plan orders the shift's trips so loads never add up beyond the vehicle's capacity."""
    trip = assignment.trip_assign(
        trip_id=trip_id,
        shift_id=shift_id,
        actor_id=actor_id,
        reason=reason,
        expected_version=expected_version,
        sequenced=sequenced,
    )
    return trip_get(trip_id=trip.id)


def tracking_update(
    *, trip_id: uuid.UUID, at: dt.datetime, eta: dt.datetime | None, lat: float | None, lng: float | None
) -> bool:
    """Record the live estimate a tracking page shows. Older estimates than the one held are ignored."""
    return tracking.tracking_update(trip_id=trip_id, at=at, eta=eta, lat=lat, lng=lng)


def tracking_link(*, trip_id: uuid.UUID) -> TrackingLinkRef | None:
    """The trip's customer tracking link while it is valid (None once expired, or for a trip booked before links
    were derived from the secret key), for messages that carry it. Its token is derived again, never stored."""
    links = {
        link.token_hash: link.expires_at
        for link in _TrackingLink.objects.filter(trip_id=trip_id, expires_at__gt=_timezone.now())
    }
    for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        token = _domain.tracking_token(secret=key, trip_id=trip_id)
        expires_at = links.get(_domain.secret_hash(token))
        if expires_at is not None:
            return TrackingLinkRef(trip_id=trip_id, token=token, expires_at=expires_at)
    return None


def tracking_links(*, trip_ids: list[uuid.UUID]) -> dict[uuid.UUID, TrackingLinkRef]:
    """`tracking_link` of several trips in one query (a batch of messages); trips without a valid link left out."""
    links: dict[uuid.UUID, dict[str, dt.datetime]] = {}
    for link in _TrackingLink.objects.filter(trip_id__in=trip_ids, expires_at__gt=_timezone.now()):
        links.setdefault(link.trip_id, {})[link.token_hash] = link.expires_at
    found = {}
    for trip_id, hashes in links.items():
        for key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
            token = _domain.tracking_token(secret=key, trip_id=trip_id)
            expires_at = hashes.get(_domain.secret_hash(token))
            if expires_at is not None:
                found[trip_id] = TrackingLinkRef(trip_id=trip_id, token=token, expires_at=expires_at)
                break
    return found


def trips_proofs(*, trip_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ProofSummary]]:
    """`trip_proofs` of several trips in one query; a trip with none maps to an empty list."""
    found: dict[uuid.UUID, list[ProofSummary]] = {trip_id: [] for trip_id in trip_ids}
    rows = _ProofOfDelivery.objects.filter(stop__trip_id__in=trip_ids).select_related("stop")
    for p in rows.order_by("stop__trip_id", "stop__sequence"):
        found.setdefault(p.stop.trip_id, []).append(
            ProofSummary(
                sequence=p.stop.sequence,
                recipient_name=p.recipient_name,
                signed=bool(p.signature_path),
                photo=bool(p.photo_path),
                pin_verified=p.pin_verified,
                captured_at=p.captured_at,
            )
        )
    return found


def trip_proofs(*, trip_id: uuid.UUID) -> list[ProofSummary]:
    """What was captured at the trip's drop-offs (no files), by stop sequence."""
    return trips_proofs(trip_ids=[trip_id])[trip_id]


def trip_figures(
    *, fleet_ids: list[uuid.UUID], days: int, now: dt.datetime | None = None, recent: int = 10
) -> TripFigures:
    """The manager's overview of these fleets' trips over the `days` ending today (each fleet's local day): today
    by status, drivers' utilisation and trips per driver and vehicle, the `recent` latest cancelled or failed trips
    of the period. Reads daily figures kept as trips and shifts end, so it costs the same at a year of history as at
    a day."""
    return _selectors.overview_figures(
        fleet_ids=list(fleet_ids), days=max(1, days), now=now or _timezone.now(), recent=recent
    )


def trip_days(*, fleet_ids: list[uuid.UUID], first: dt.date, last: dt.date) -> list[TripDayFigures]:
    """Each local day from `first` to `last` of these fleets: trips completed, cancelled and failed, stops counted
    and on time (contracts.TripDayFigures says what counts). A row per day whatever the history."""
    return _selectors.trip_days(fleet_ids=list(fleet_ids), first=first, last=last)


def trip_report_lines(
    *, fleet_id: uuid.UUID, first: dt.date, last: dt.date, customer_id: uuid.UUID | None = None, routes: bool = False
) -> list[TripReportLine]:
    """The fleet's ended trips wanted on its local days `first` to `last` (1 to REPORT_MAX_DAYS days, else
    InvalidTrip), oldest first, optionally of one customer: day, driver, vehicle, stops on time, and with `routes`
    the first and last stop's address. For the manager's reports, which meet each line with its fare from billing."""
    return _selectors.trip_report_lines(
        fleet_id=fleet_id, first=first, last=last, customer_id=customer_id, routes=routes
    )


def trip_customers(*, fleet_id: uuid.UUID, first: dt.date, last: dt.date) -> list[uuid.UUID]:
    """The customers with ended trips of the fleet wanted on its local days `first` to `last` (as
    `trip_report_lines`): whom the manager's statements can be made for."""
    return _selectors.trip_customers(fleet_id=fleet_id, first=first, last=last)


def _trip_ref(trip: _Trip) -> TripRef:
    """The in-process view of a trip is the published snapshot without what only events carry (people's ids,
    times, the ETA): one mapping from the model, in services._common.snapshot."""
    snap = snapshot(trip, stops=trip.stops.all())
    stop_fields = [f.name for f in dataclasses.fields(StopRef)]
    return TripRef(
        **{f.name: getattr(snap, f.name) for f in dataclasses.fields(TripRef) if f.name != "stops"},
        stops=tuple(StopRef(**{name: getattr(stop, name) for name in stop_fields}) for stop in snap.stops),
    )


def _shift_ref(shift: _Shift) -> ShiftRef:
    open_trips = getattr(shift, "open_trips", [])
    return ShiftRef(
        id=shift.id,
        fleet_id=shift.fleet_id,
        driver_id=shift.driver_id,
        vehicle_id=shift.vehicle_id,
        starts_at=shift.starts_at,
        ends_at=shift.ends_at,
        status=ShiftStatus(shift.status),
        pooling=shift.pooling,
        load_weight_kg=sum(t.weight_kg for t in open_trips),
        load_seats=sum(t.seats for t in open_trips),
        open_trip_ids=tuple(t.id for t in open_trips),
    )


def _offer_ref(offer: _Offer) -> OfferRef:
    return OfferRef(
        id=offer.id,
        trip_id=offer.trip_id,
        shift_id=offer.shift_id,
        driver_id=offer.driver_id,
        status=offer.status,
        expires_at=offer.expires_at,
    )
