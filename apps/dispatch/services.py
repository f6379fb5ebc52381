"""Write use cases of the dispatch context: position ingestion, auto-dispatch, manual assignment, routing jobs."""

from __future__ import annotations

import datetime as dt
import json
import uuid

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from apps.dispatch import domain, feed, integrations, live, matching, matrix
from apps.dispatch.contracts import LivePosition, NotYourDriver, Ping, PingOutcome
from apps.dispatch.models import DispatchAttempt, PositionPing
from apps.trips.contracts import IllegalTransition, TripStatus

# ---- live positions -------------------------------------------------------------------------------------

_HISTORY_COLUMNS = (
    "ping_id",
    "driver_id",
    "fleet_id",
    "recorded_at",
    "received_at",
    "lat",
    "lng",
    "accuracy_m",
    "heading",
    "speed_mps",
)
_CHUNK = 1000  # rows per INSERT: under every backend's bound-parameter limit


def _history_insert(rows: list[tuple]) -> set[uuid.UUID]:
    """INSERT ... ON CONFLICT DO NOTHING in chunks; returns the ping ids that were new."""
    table = connection.ops.quote_name(PositionPing._meta.db_table)
    fields = [PositionPing._meta.get_field(c) for c in _HISTORY_COLUMNS]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
    inserted: set[uuid.UUID] = set()
    with connection.cursor() as cursor:
        for start in range(0, len(rows), _CHUNK):
            chunk = rows[start : start + _CHUNK]
            params = [f.get_db_prep_save(v, connection) for row in chunk for f, v in zip(fields, row, strict=True)]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES {', '.join([placeholder] * len(chunk))} "
                f"ON CONFLICT (ping_id) DO NOTHING RETURNING ping_id",
                params,
            )
            inserted.update(v if isinstance(v, uuid.UUID) else uuid.UUID(v) for (v,) in cursor.fetchall())
    return inserted


def positions_record(*, fixes: list[tuple[uuid.UUID, uuid.UUID, Ping]]) -> PingOutcome:
    """Store (driver, fleet, ping) fixes once each in the history, then move the live map for those that are
    newer than what it holds. The caller has checked that each driver is on duty and is who sent the ping."""
    received_at = timezone.now()
    unique: dict[uuid.UUID, tuple[uuid.UUID, uuid.UUID, Ping]] = {}
    for fix in fixes:
        unique.setdefault(fix[2].ping_id, fix)
    rows = [
        (p.ping_id, d, f, p.recorded_at, received_at, p.lat, p.lng, p.accuracy_m, p.heading, p.speed_mps)
        for d, f, p in unique.values()
    ]
    new = _history_insert(rows)
    by_fleet: dict[uuid.UUID, list[LivePosition]] = {}
    for driver_id, fleet_id, p in unique.values():
        if p.ping_id in new:
            by_fleet.setdefault(fleet_id, []).append(
                LivePosition(
                    driver_id=driver_id,
                    fleet_id=fleet_id,
                    lat=p.lat,
                    lng=p.lng,
                    recorded_at=p.recorded_at,
                    heading=p.heading,
                    speed_mps=p.speed_mps,
                )
            )
    moved = []
    for fleet_id, positions in by_fleet.items():
        moved += live.store().update(fleet_id, domain.newest_per_driver(positions))
    if moved:
        _tracking_refresh(moved)
    return PingOutcome(
        stored=tuple(i for i in unique if i in new),
        duplicates=tuple(f[2].ping_id for f in fixes if f[2].ping_id not in new),
        moved=tuple(moved),
    )


def positions_upload(
    *, user_id: uuid.UUID, fleet_id: uuid.UUID | None, raw_pings: object, claimed_driver_id: str | None = None
) -> PingOutcome:
    """A driver app's buffered upload over REST: all pings valid or none stored; screens see the newest."""
    pings = domain.parse_batch(raw_pings, now=timezone.now())
    driver = integrations.driver_on_duty(user_id=user_id, fleet_id=fleet_id)
    claimed = {str(p.get("driver_id")) for p in raw_pings if isinstance(p, dict) and p.get("driver_id")}
    if claimed_driver_id:
        claimed.add(claimed_driver_id)
    if claimed - {str(driver.id)}:
        raise NotYourDriver("pings can only be sent for yourself, from your own login")
    outcome = positions_record(fixes=[(driver.id, driver.fleet_id, p) for p in pings])
    feed.positions(driver.fleet_id, list(outcome.moved))
    return outcome


def positions_prune(*, older_than: dt.timedelta, batch: int = 10_000) -> int:
    """Delete history older than the retention window, in batches so the table is never locked for long."""
    cutoff = timezone.now() - older_than
    deleted = 0
    while True:
        ids = list(PositionPing.objects.filter(recorded_at__lt=cutoff).values_list("id", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += PositionPing.objects.filter(id__in=ids).delete()[0]


# ---- tracking estimates for customers -----------------------------------------------------------------------


def _tracking_refresh(moved: list[LivePosition]) -> None:
    """Keep the tracking page's ETA and approximate position current, at most every TRACKING_EVERY per driver."""
    due = live.store().claim_each([p.driver_id for p in moved], seconds=settings.DISPATCH_TRACKING_EVERY_SECONDS)
    if not due:
        return
    latest = {p.driver_id: p for p in moved if p.driver_id in due}
    provider = matrix.provider()
    for trip in integrations.trips_moving(driver_ids=list(latest)):
        here = latest[trip.driver_id]
        eta = None
        target = next((s for s in trip.stops if s.status in ("pending", "arrived")), None)
        if target is not None:
            travel = provider.matrix(
                [(here.lat, here.lng), (target.lat, target.lng)], vehicle_type=trip.vehicle_type
            ).duration_s[0][1]
            eta = here.recorded_at + dt.timedelta(seconds=travel)
        integrations.tracking_update(trip_id=trip.id, at=here.recorded_at, eta=eta, lat=here.lat, lng=here.lng)


# ---- what screens and driver apps hear about trips ----------------------------------------------------------


def _push_trip(trip_id: uuid.UUID, fleet_id: uuid.UUID, change: str) -> None:
    trip = integrations.trip_get(trip_id=trip_id)
    attempt = DispatchAttempt.objects.filter(trip_id=trip_id).first()
    feed.to_fleet(fleet_id, "trip", {"change": change, "trip": _jsonable(domain.trip_json(trip, attempt))})


def _jsonable(data):
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def trip_changed(*, trip_id: uuid.UUID, fleet_id: uuid.UUID, change: str) -> None:
    _push_trip(trip_id, fleet_id, change)


@transaction.atomic
def trip_assigned(*, trip_id: uuid.UUID, fleet_id: uuid.UUID, driver_id: uuid.UUID, reassigned: bool) -> None:
    DispatchAttempt.objects.filter(trip_id=trip_id).exclude(status=DispatchAttempt.Status.CLOSED).update(
        status=DispatchAttempt.Status.ASSIGNED, updated_at=timezone.now()
    )
    _push_trip(trip_id, fleet_id, "reassigned" if reassigned else "assigned")
    trip = integrations.trip_get(trip_id=trip_id)
    feed.to_driver(driver_id, "assignment", {"trip": _jsonable(domain.trip_json(trip))})


@transaction.atomic
def trip_closed(*, trip_id: uuid.UUID, fleet_id: uuid.UUID, change: str) -> None:
    DispatchAttempt.objects.filter(trip_id=trip_id).update(
        status=DispatchAttempt.Status.CLOSED, updated_at=timezone.now()
    )
    _push_trip(trip_id, fleet_id, change)


def offer_made(
    *, offer_id: uuid.UUID, trip_id: uuid.UUID, fleet_id: uuid.UUID, driver_id: uuid.UUID, expires_at: dt.datetime
) -> None:
    trip = _jsonable(domain.trip_json(integrations.trip_get(trip_id=trip_id)))
    offer = {
        "id": str(offer_id),
        "trip_id": str(trip_id),
        "driver_id": str(driver_id),
        "expires_at": expires_at.isoformat(),
    }
    feed.to_driver(driver_id, "offer", {"offer": offer, "trip": trip})
    feed.to_fleet(fleet_id, "offer", {"offer": offer})


def duty_changed(*, driver_id: uuid.UUID, fleet_id: uuid.UUID, on_duty: bool) -> None:
    if not on_duty:
        live.store().remove(fleet_id, driver_id)
        feed.to_fleet(fleet_id, "driver_off", {"driver_id": str(driver_id)})


# ---- auto-dispatch ------------------------------------------------------------------------------------------


@transaction.atomic
def trip_requested(*, trip_id: uuid.UUID, fleet_id: uuid.UUID) -> None:
    """A new trip: show it, and when the fleet auto-dispatches, offer it to the best candidate."""
    if integrations.auto_dispatch_enabled(fleet_id=fleet_id):
        attempt, _ = DispatchAttempt.objects.get_or_create(trip_id=trip_id, defaults={"fleet_id": fleet_id})
        _offer_next(DispatchAttempt.objects.select_for_update().get(id=attempt.id))
    _push_trip(trip_id, fleet_id, "requested")


@transaction.atomic
def offer_declined(
    *, trip_id: uuid.UUID, fleet_id: uuid.UUID, driver_id: uuid.UUID, expired: bool, reason: str
) -> None:
    """The offered driver refused or let the offer run out: the next candidate gets it (auto-dispatch only)."""
    attempt = DispatchAttempt.objects.select_for_update().filter(trip_id=trip_id).first()
    if attempt is not None and attempt.status == DispatchAttempt.Status.OFFERED:
        _offer_next(attempt)
    feed.to_fleet(
        fleet_id,
        "offer_declined",
        {"trip_id": str(trip_id), "driver_id": str(driver_id), "expired": expired, "reason": reason},
    )
    _push_trip(trip_id, fleet_id, "offer_declined")


def _flag(attempt: DispatchAttempt, reason: str) -> None:
    attempt.status, attempt.flag_reason, attempt.offered_driver_id = DispatchAttempt.Status.FLAGGED, reason, None
    attempt.save(update_fields=["status", "flag_reason", "offered_driver_id", "updated_at"])


def _offer_next(attempt: DispatchAttempt) -> None:
    trip = integrations.trip_get(trip_id=attempt.trip_id)
    if trip.status != TripStatus.REQUESTED:
        attempt.status = DispatchAttempt.Status.ASSIGNED if trip.driver_id else DispatchAttempt.Status.CLOSED
        attempt.save(update_fields=["status", "updated_at"])
        return
    if attempt.offers_made >= settings.DISPATCH_MAX_OFFERS:
        _flag(attempt, f"no driver took it after {attempt.offers_made} offers")
        return
    tried = {uuid.UUID(d) for d in attempt.tried_driver_ids}
    for candidate in matching.strategy().candidates(trip, exclude=tried):
        try:
            integrations.offer_make(trip_id=trip.id, shift_id=candidate.shift_id)
        except IllegalTransition as exc:
            if exc.code == "trips.offer_open":  # a dispatcher offered it meanwhile
                return
            tried.add(candidate.driver_id)  # trips' own checks refused this shift: try the next one
            continue
        attempt.status, attempt.offered_driver_id = DispatchAttempt.Status.OFFERED, candidate.driver_id
        attempt.offers_made += 1
        attempt.tried_driver_ids = [str(d) for d in [*tried, candidate.driver_id]]
        attempt.save(update_fields=["status", "offered_driver_id", "offers_made", "tried_driver_ids", "updated_at"])
        return
    attempt.tried_driver_ids = [str(d) for d in tried]
    _flag(attempt, "no eligible driver nearby" if not attempt.offers_made else "no other eligible driver nearby")
