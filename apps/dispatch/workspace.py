"""The dispatcher's board, computed on the server: each open trip's timing against its windows, each driver's state,
and the alerts that need a person. One pass per fleet with batched look-ups (a fixed number of queries whatever
the fleet's size) and one travel-matrix call per driver holding trips, so it stays cheap at 2,000 open trips and
1,000 drivers. The snapshot, the periodic `board` message and each `trip` message read it from here."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db.models import Max
from django.utils import timezone

from apps.dispatch import domain, integrations, live, matrix, timing
from apps.dispatch.contracts import LivePosition, TripView
from apps.dispatch.models import DispatchAttempt, PositionPing
from apps.trips.contracts import TERMINAL_STATUSES, ShiftRef, TripRef

HIGH, MEDIUM = "high", "medium"


@dataclasses.dataclass
class Board:
    fleet_id: uuid.UUID
    now: dt.datetime
    trips: list[TripRef]
    shifts: list[ShiftRef]
    positions: dict[uuid.UUID, LivePosition]
    attempts: dict[uuid.UUID, DispatchAttempt]
    vehicles: dict[uuid.UUID, tuple]
    driver_names: dict[uuid.UUID, str]
    customer_names: dict[uuid.UUID, str]
    last_ping: dict[uuid.UUID, dt.datetime]
    timings: dict[uuid.UUID, timing.Timing]
    drivers: list[dict[str, Any]]
    alerts: list[dict[str, Any]]

    def card(self, trip: TripView) -> dict[str, Any]:
        return trip_card(
            trip,
            self.attempts.get(trip.id),
            timing=self.timings[trip.id],
            driver_names=self.driver_names,
            customer_names=self.customer_names,
            vehicles=self.vehicles,
        )

    def board_message(self) -> dict[str, Any]:
        """The payload of the periodic `board` feed message (without type and seq)."""
        return {
            "generated_at": self.now.isoformat(),
            "timings": {str(trip_id): t.json() for trip_id, t in self.timings.items()},
            "drivers": {
                d["driver_id"]: {k: d[k] for k in ("state", "trip_ids", "stale", "last_ping_at", "shift_id")}
                for d in self.drivers
            },
            "alerts": self.alerts,
        }


def trip_card(
    trip: TripView,
    attempt: DispatchAttempt | None,
    *,
    timing: timing.Timing,
    driver_names: dict[uuid.UUID, str],
    customer_names: dict[uuid.UUID, str],
    vehicles: dict[uuid.UUID, tuple],
) -> dict[str, Any]:
    """domain.trip_json plus what the board shows of it: names (not ids) and its timing."""
    customer, vehicle = trip.customer_id, trip.vehicle_id
    return {
        **domain.trip_json(trip, attempt),
        "customer_name": customer_names.get(customer, "") if customer else "",
        "driver_name": driver_names.get(trip.driver_id, "") if trip.driver_id else "",
        "registration": vehicles[vehicle][2] if vehicle in vehicles else "",
        "timing": timing.json(),
    }


def _legs(provider, here: LivePosition, trips: list[TripView], vehicle_type: str) -> dict[uuid.UUID, list[int]]:
    """Travel seconds per trip: the driver's fix to its first open stop, then between its open stops. One matrix
    call for all the trips a driver holds."""
    points = [(here.lat, here.lng)]
    index: dict[uuid.UUID, list[int]] = {}
    for t in trips:
        index[t.id] = []
        for s in timing.open_stops(t.stops):
            index[t.id].append(len(points))
            points.append((s.lat, s.lng))
    if len(points) == 1:
        return {t.id: [] for t in trips}
    durations = provider.matrix(points, vehicle_type=vehicle_type).duration_s
    legs = {}
    for trip_id, idx in index.items():
        legs[trip_id] = [durations[0][idx[0]]] + [durations[a][b] for a, b in itertools.pairwise(idx)] if idx else []
    return legs


def timings_of(
    trips: Sequence[TripView],
    *,
    positions: dict[uuid.UUID, LivePosition],
    vehicle_types: dict[uuid.UUID, str],
    now: dt.datetime,
) -> dict[uuid.UUID, timing.Timing]:
    """Each trip's timing; `vehicle_types` per driver (their shift's vehicle) for travel speeds."""
    at_risk = settings.DISPATCH_AT_RISK_SECONDS
    provider = matrix.provider()
    held: dict[uuid.UUID, list[TripView]] = defaultdict(list)
    for t in trips:
        if t.driver_id is not None and t.status not in TERMINAL_STATUSES:
            held[t.driver_id].append(t)
    legs: dict[uuid.UUID, list[int]] = {}
    for driver_id, theirs in held.items():
        here = positions.get(driver_id)
        if here is not None:
            legs.update(_legs(provider, here, theirs, vehicle_types.get(driver_id) or theirs[0].vehicle_type))
    out = {}
    for t in trips:
        if t.status in TERMINAL_STATUSES:
            out[t.id] = timing.Timing(None, None, None, None, None, timing.ON_TIME, now)
            continue
        here = positions.get(t.driver_id) if t.driver_id is not None else None
        out[t.id] = timing.trip_timing(
            status=str(t.status),
            has_driver=t.driver_id is not None,
            stops=t.stops,
            now=now,
            at_risk_s=at_risk,
            fix_at=here.recorded_at if here is not None else None,
            legs_s=legs.get(t.id) if here is not None else None,
        )
    return out


def trip_extras(trip: TripView) -> dict[str, Any]:
    """A single trip's card for a `trip` feed message: a few look-ups (names, the driver's fix), no fleet pass."""
    return trips_extras([trip])[0]


def trips_extras(trips: Sequence[TripView]) -> list[dict[str, Any]]:
    """The cards of several trips (a batch of events), in order, with one look-up of each kind for all of them:
    attempts, vehicles, drivers' and customers' names, and the drivers' fixes once per fleet."""
    now = timezone.now()
    ids = [t.id for t in trips]
    attempts = {a.trip_id: a for a in DispatchAttempt.objects.filter(trip_id__in=ids)} if ids else {}
    positions: dict[uuid.UUID, LivePosition] = {}
    by_fleet: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for t in trips:
        if t.driver_id is not None:
            by_fleet[t.fleet_id].add(t.driver_id)
    for fleet_id, driver_ids in by_fleet.items():
        positions.update(live.store().get(fleet_id, sorted(driver_ids, key=str)))
    vehicle_ids = list({v for t in trips if (v := t.vehicle_id) is not None})
    vehicles = integrations.vehicles(vehicle_ids=vehicle_ids) if vehicle_ids else {}
    types = {t.driver_id: vehicles[t.vehicle_id][0] for t in trips if t.driver_id and t.vehicle_id in vehicles}
    drivers = list({d for t in trips if (d := t.driver_id) is not None})
    customers = list({c for t in trips if (c := t.customer_id) is not None})
    driver_names = integrations.drivers_named(driver_ids=drivers) if drivers else {}
    customer_names = integrations.people_named(user_ids=customers) if customers else {}
    timings = timings_of(trips, positions=positions, vehicle_types=types, now=now)
    return [
        trip_card(
            t,
            attempts.get(t.id),
            timing=timings[t.id],
            driver_names=driver_names,
            customer_names=customer_names,
            vehicles=vehicles,
        )
        for t in trips
    ]


def _last_pings(driver_ids: list[uuid.UUID]) -> dict[uuid.UUID, dt.datetime]:
    """The newest stored ping of drivers the live map has forgotten (one grouped query on the trail index)."""
    if not driver_ids:
        return {}
    rows = PositionPing.objects.filter(driver_id__in=driver_ids).values("driver_id").annotate(at=Max("recorded_at"))
    return {r["driver_id"]: r["at"] for r in rows}


def board_gather(*, fleet_id: uuid.UUID, now: dt.datetime | None = None) -> Board:
    now = now or timezone.now()
    positions = {p.driver_id: p for p in live.store().fleet(fleet_id)}
    trips = integrations.trips_open(fleet_id=fleet_id)
    shifts = integrations.shifts_open(fleet_id=fleet_id, at=now)
    attempts = {a.trip_id: a for a in DispatchAttempt.objects.filter(trip_id__in=[t.id for t in trips])}
    vehicle_ids = {s.vehicle_id for s in shifts} | {v for t in trips if (v := t.vehicle_id) is not None}
    vehicles = integrations.vehicles(vehicle_ids=list(vehicle_ids))
    driver_ids = list({*(s.driver_id for s in shifts), *positions, *(t.driver_id for t in trips if t.driver_id)})
    driver_names = integrations.drivers_named(driver_ids=driver_ids)
    customers = list({c for t in trips if (c := t.customer_id) is not None})
    customer_names = integrations.people_named(user_ids=customers)
    last_ping = {d: p.recorded_at for d, p in positions.items()}
    last_ping.update(_last_pings([d for d in driver_ids if d not in positions]))
    shift_of = {s.driver_id: s for s in shifts}
    vehicle_types = {d: vehicles[s.vehicle_id][0] for d, s in shift_of.items() if s.vehicle_id in vehicles}
    timings = timings_of(trips, positions=positions, vehicle_types=vehicle_types, now=now)
    board = Board(
        fleet_id, now, trips, shifts, positions, attempts, vehicles, driver_names, customer_names, last_ping, timings,
        [], [],
    )  # fmt: skip
    board.drivers = _drivers(board, driver_ids)
    board.alerts = _alerts(board)
    return board


def _drivers(board: Board, driver_ids: list[uuid.UUID]) -> list[dict[str, Any]]:
    """Every driver on the live map or on an open shift (one with no fix yet: no lat/lng, state stale)."""
    stale_s = settings.DISPATCH_STALE_SECONDS
    held: dict[uuid.UUID, list[str]] = defaultdict(list)
    for t in board.trips:
        if t.driver_id is not None:
            held[t.driver_id].append(str(t.id))
    offered = {
        a.offered_driver_id
        for a in board.attempts.values()
        if a.status == DispatchAttempt.Status.OFFERED and a.offered_driver_id is not None
    }
    shift_of = {s.driver_id: s for s in board.shifts}
    out = []
    for driver_id in driver_ids:
        if driver_id not in board.positions and driver_id not in shift_of:
            continue  # holds a trip but has neither a shift open now nor a fix: the trip's card says who
        here, shift = board.positions.get(driver_id), shift_of.get(driver_id)
        last = board.last_ping.get(driver_id)
        state = timing.driver_state(
            last_ping_at=last,
            now=board.now,
            stale_s=stale_s,
            holds_trips=bool(held[driver_id]),
            offered=driver_id in offered,
        )
        vehicle = board.vehicles.get(shift.vehicle_id) if shift is not None else None
        out.append(
            {
                "driver_id": str(driver_id),
                "name": board.driver_names.get(driver_id, ""),
                "lat": here.lat if here else None,
                "lng": here.lng if here else None,
                "heading": here.heading if here else None,
                "speed_mps": here.speed_mps if here else None,
                "recorded_at": here.recorded_at.isoformat() if here else None,
                "shift_id": str(shift.id) if shift else None,
                "state": state,
                "stale": last is None or (board.now - last).total_seconds() > stale_s,
                "last_ping_at": last.isoformat() if last else None,
                "trip_ids": held[driver_id],
                "vehicle_type": vehicle[0] if vehicle else "",
                "registration": vehicle[2] if vehicle else "",
            }
        )
    out.sort(key=lambda d: (str(d["name"]).casefold(), str(d["driver_id"])))
    return out


# ---- alerts ---------------------------------------------------------------------------------------------------


def human_duration(seconds: float) -> str:
    seconds = int(abs(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min" if minutes % 60 else f"{minutes // 60} h"


def _trip_label(board: Board, trip: TripView) -> str:
    customer = trip.customer_id
    who = board.customer_names.get(customer, "") if customer else ""
    first = min(trip.stops, key=lambda s: s.sequence).address if trip.stops else ""
    return f"{who}'s trip from {first}" if who else f"the trip from {first}"


def _alert(kind, severity, since, title, detail, *, trip_id=None, driver_id=None) -> dict[str, Any]:
    key = trip_id if trip_id is not None else driver_id
    return {
        "id": f"{kind}:{key}",
        "kind": kind,
        "severity": severity,
        "trip_id": str(trip_id) if trip_id else None,
        "driver_id": str(driver_id) if driver_id else None,
        "title": title,
        "detail": detail,
        "since": since.isoformat(),
    }


def _alerts(board: Board) -> list[dict[str, Any]]:
    now = board.now
    at_risk_s = settings.DISPATCH_AT_RISK_SECONDS
    offer_s = settings.DISPATCH_OFFER_ALERT_SECONDS
    alerts = []
    for t in board.trips:
        tm, label = board.timings[t.id], _trip_label(board, t)
        driver = board.driver_names.get(t.driver_id, "its driver") if t.driver_id else ""
        stop = next((s for s in t.stops if s.sequence == tm.next_stop), None)
        where = f"stop {tm.next_stop} ({stop.address})" if stop is not None else ""
        if tm.state == timing.LATE and tm.late_by_s is not None and tm.window_end is not None:
            detail = (
                f"{human_duration(tm.late_by_s)} late at {where}"
                + (f"; {driver} is due {tm.eta:%H:%M} UTC" if tm.eta else "")
                + ("; no driver yet" if t.driver_id is None else "")
            )
            alerts.append(_alert("late", HIGH, min(tm.window_end, now), f"Late: {label}", detail, trip_id=t.id))
        elif tm.state == timing.AT_RISK:
            if t.driver_id is None and tm.window_end is not None:
                closes = human_duration((tm.window_end - now).total_seconds())
                detail = f"no driver yet and the pickup window closes in {closes}"
                since = min(tm.window_end - dt.timedelta(seconds=at_risk_s), now)
            elif tm.late_by_s is not None and tm.late_by_s > -at_risk_s and tm.window_end is not None:
                detail = f"only {human_duration(-tm.late_by_s)} to spare at {where} ({driver})"
                since = min(tm.window_end - dt.timedelta(seconds=at_risk_s), now)
            else:
                behind = human_duration(tm.last_stop_late_by_s or 0)
                detail = f"the last stop is projected {behind} after its window ({driver})"
                since = now
            alerts.append(_alert("at_risk", MEDIUM, since, f"At risk: {label}", detail, trip_id=t.id))
        attempt = board.attempts.get(t.id)
        if attempt is None or t.status != "requested":
            continue
        if attempt.status == DispatchAttempt.Status.FLAGGED:
            alerts.append(
                _alert(
                    "unassignable",
                    HIGH,
                    attempt.updated_at,
                    f"No driver can take {label}",
                    attempt.flag_reason or "auto-dispatch found nobody",
                    trip_id=t.id,
                )
            )
        elif attempt.status == DispatchAttempt.Status.OFFERED and (now - attempt.updated_at).total_seconds() > offer_s:
            offered = (
                board.driver_names.get(attempt.offered_driver_id, "a driver")
                if attempt.offered_driver_id
                else "a driver"
            )
            alerts.append(
                _alert(
                    "offer_unanswered",
                    MEDIUM,
                    attempt.updated_at,
                    f"Offer unanswered: {label}",
                    f"offered to {offered} {human_duration((now - attempt.updated_at).total_seconds())} ago "
                    f"(offer {attempt.offers_made}), no answer yet",
                    trip_id=t.id,
                    driver_id=attempt.offered_driver_id,
                )
            )
    for d in board.drivers:
        if d["trip_ids"] and d["stale"]:
            driver_id = uuid.UUID(d["driver_id"])
            last = board.last_ping.get(driver_id)
            name = d["name"] or "A driver"
            count = len(d["trip_ids"])
            detail = (
                f"last ping {human_duration((now - last).total_seconds())} ago" if last else "no position on record"
            ) + f"; holds {count} open trip{'s' if count != 1 else ''}"
            alerts.append(
                _alert("driver_offline", HIGH, last or now, f"{name} is offline mid-trip", detail, driver_id=driver_id)
            )
    alerts += _papers_alerts(board)
    alerts.sort(key=lambda a: (a["severity"] != HIGH, a["since"], a["id"]))
    return alerts


def _papers_alerts(board: Board) -> list[dict[str, Any]]:
    """Drivers on an open shift whose KYC documents or whose shift vehicle's papers run out soon."""
    warn_days = settings.DISPATCH_PAPERS_WARN_DAYS
    today = timezone.localdate(board.now)
    by = today + dt.timedelta(days=warn_days)
    shift_of = {s.driver_id: s for s in board.shifts}
    found: dict[uuid.UUID, list[tuple[dt.date, str]]] = defaultdict(list)
    for doc in integrations.driver_papers_expiring(driver_ids=list(shift_of), on_or_before=by):
        found[doc.driver_id].append((doc.expires_on, str(doc.document_type).replace("_", " ")))
    driver_of_vehicle = {s.vehicle_id: s.driver_id for s in board.shifts}
    for paper in integrations.vehicle_papers_expiring(vehicle_ids=list(driver_of_vehicle), on_or_before=by):
        registration = board.vehicles[paper.vehicle_id][2] if paper.vehicle_id in board.vehicles else "the vehicle"
        found[driver_of_vehicle[paper.vehicle_id]].append((paper.expires_on, f"{registration} {paper.kind}"))
    alerts = []
    for driver_id, papers in found.items():
        papers.sort()
        soonest = papers[0][0]
        words = "; ".join(
            f"{what} {'expired on' if on < today else 'expires on'} {on.isoformat()}" for on, what in papers
        )
        severity = HIGH if soonest <= today + dt.timedelta(days=1) else MEDIUM
        since = dt.datetime.combine(soonest - dt.timedelta(days=warn_days), dt.time(), tzinfo=dt.UTC)
        name = board.driver_names.get(driver_id, "") or "A driver on shift"
        alerts.append(
            _alert(
                "papers_expiring",
                severity,
                min(since, board.now),
                f"{name}: papers expiring",
                words,
                driver_id=driver_id,
            )
        )
    return alerts
