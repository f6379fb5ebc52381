"""Past days of a fleet, written in bulk: ended shifts, trips with their stops (in their time windows or late),
cancellations and failures with their reasons, and each completed trip's fare settled on the ledger — as if
imported from the system the operator used before. For the overview's charts in the demo (`seed_demo
--history-days`) and for its benchmark at a year of history (`scripts/bench/overview.py`).

The rows go in with PostgreSQL's COPY (a million trips in minutes; the embedded SQLite default has no history).
They bypass the services, so nothing is published and the overview's daily tables are rebuilt afterwards from the
raw rows (`trips_figures_rebuild`, `billing_figures_rebuild`: `rebuild_figures`), which is what an import would
need too. Fares are priced by the fleet's own tariff (billing's pricing engine) and split by billing's own rule;
each posting's account balance moves by it, so `billing_verify_ledger` stays clean.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import random
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import connections, models
from django.db.backends.base.base import BaseDatabaseWrapper

from apps.billing import pricing
from apps.billing.contracts import TripFacts
from apps.billing.models import Account, AccountKind, FareRecord, JournalTransaction, Posting, Tariff
from apps.billing.services import fares, ledger
from apps.billing.services import figures as billing_figures
from apps.billing.services.settlement import split
from apps.trips.models import Shift, Stop, Trip, TripLogEntry
from apps.trips.services import figures as trips_figures
from logitrack.db import contexts
from logitrack.formatting import zone
from logitrack.types import GeoPoint, road_distance_m

CANCEL_REASONS = ("plans changed", "booked twice", "customer not reachable", "goods not ready")
FAIL_REASONS = ("flat tyre on the way", "recipient refused the goods", "address not found", "vehicle broke down")
BATCH = 20_000  # rows held before they are copied


@dataclasses.dataclass(frozen=True)
class Crew:
    """A driver with their vehicle: one shift a working day."""

    driver_id: uuid.UUID
    vehicle_id: uuid.UUID
    vehicle_type: str


@dataclasses.dataclass(frozen=True)
class FleetHistory:
    fleet_id: uuid.UUID
    time_zone: str
    commission_bps: int
    crews: list[Crew]
    customers: list[uuid.UUID]
    address: Callable[[random.Random], tuple[str, float, float]]  # a street address and its point
    tariffs: dict[tuple[str, str], Tariff]  # (service, vehicle type) -> the tariff that prices it


WRITTEN = ("trips", "billing")  # the contexts whose tables the history fills, in the order they are written


def copy_available() -> bool:
    """Every database the history goes to is PostgreSQL (COPY)."""
    return all(connections[contexts.alias(context)].vendor == "postgresql" for context in WRITTEN)


def write(
    *, fleet: FleetHistory, last_day: dt.date, days: int, trips_per_day: int, rng: random.Random, tick=None
) -> Counter:
    """`days` days of the fleet ending with `last_day` (local dates), about `trips_per_day` trips each (fewer at
    weekends); returns what was written. `tick(n)` is told of each day's trips."""
    if not copy_available():
        raise RuntimeError("history is written with PostgreSQL's COPY; the embedded SQLite default has none")
    writer = _Writer()
    counts: Counter = Counter()
    for n in range(days):
        day = last_day - dt.timedelta(days=days - 1 - n)
        weekend = day.weekday() >= 5
        wanted = max(1, round(trips_per_day * (0.55 if weekend else 1.0) * rng.uniform(0.85, 1.15)))
        _day(fleet, day, wanted, rng, writer, counts)
        writer.flush_if_full()
        if tick is not None:
            tick(wanted)
    writer.flush()
    return counts


def rebuild_figures(fleet_ids: list[uuid.UUID]) -> None:
    """The overview's daily tables of these fleets, from the rows just written."""
    trips_figures.figures_rebuild(fleet_ids=fleet_ids)
    billing_figures.revenue_rebuild(fleet_ids=fleet_ids)


# ---- one day ------------------------------------------------------------------------------------------------------


def _day(fleet: FleetHistory, day: dt.date, wanted: int, rng: random.Random, writer: _Writer, counts: Counter) -> None:
    tz = zone(fleet.time_zone)
    crews = [c for c in fleet.crews if rng.random() < (0.6 if day.weekday() >= 5 else 0.9)] or fleet.crews[:1]
    work: dict[Crew, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    shift_ids = {crew: uuid.uuid4() for crew in crews}
    opening = dt.datetime.combine(day, dt.time(7, 30), tzinfo=tz)
    for k in range(wanted):
        crew = crews[k % len(crews)]
        at = opening + dt.timedelta(minutes=rng.randint(0, 9 * 60))
        span = _trip(fleet, crew, shift_ids[crew], at, rng, writer, counts)
        if span is not None:
            work[crew].append(span)
    for crew in crews:
        spans = work.get(crew)
        if not spans:
            continue
        started = min(s for s, _ in spans) - dt.timedelta(minutes=rng.randint(15, 45))
        ended = max(e for _, e in spans) + dt.timedelta(minutes=rng.randint(15, 45))
        ended = max(ended, started + dt.timedelta(hours=4))
        writer.add(
            Shift(
                id=shift_ids[crew],
                created_at=started - dt.timedelta(days=1),
                updated_at=ended,
                fleet_id=fleet.fleet_id,
                driver_id=crew.driver_id,
                vehicle_id=crew.vehicle_id,
                starts_at=started,
                ends_at=ended,
                status=Shift.Status.ENDED,
                started_at=started,
                ended_at=ended,
            )
        )
        counts["shifts"] += 1


def _trip(
    fleet: FleetHistory,
    crew: Crew,
    shift_id: uuid.UUID,
    at: dt.datetime,
    rng: random.Random,
    writer: _Writer,
    counts: Counter,
) -> tuple[dt.datetime, dt.datetime] | None:
    """One trip wanted at `at`; the span its driver was on it, if it started."""
    customer = rng.choice(fleet.customers)
    pickup, dropoff = fleet.address(rng), fleet.address(rng)
    fate = rng.random()
    status = "cancelled" if fate < 0.06 else "failed" if fate < 0.10 else "completed"
    trip = Trip(
        id=uuid.uuid4(),
        created_at=at - dt.timedelta(minutes=rng.randint(20, 240)),
        updated_at=at,
        fleet_id=fleet.fleet_id,
        customer_id=customer,
        booked_by_id=customer,
        service="ride" if crew.vehicle_type == "car" else "delivery",
        vehicle_type=crew.vehicle_type,
        status=status,
        version=6,
        requested_for=at,
        requested_at=at,
        weight_kg=0 if crew.vehicle_type == "car" else rng.randint(2, 300),
        seats=rng.randint(1, 3) if crew.vehicle_type == "car" else 0,
        parcels=0 if crew.vehicle_type == "car" else rng.randint(1, 8),
    )
    windows = ((at, at + dt.timedelta(minutes=30)), (at + dt.timedelta(minutes=45), at + dt.timedelta(minutes=105)))
    reach_pickup = at + dt.timedelta(minutes=max(-10.0, rng.gauss(12, 14)))
    reach_dropoff = reach_pickup + dt.timedelta(minutes=rng.uniform(25, 85))
    stops = [
        Stop(trip_id=trip.id, sequence=1, kind="pickup", address=pickup[0], lat=pickup[1], lng=pickup[2]),
        Stop(trip_id=trip.id, sequence=2, kind="dropoff", address=dropoff[0], lat=dropoff[1], lng=dropoff[2]),
    ]
    for stop, (start, end) in zip(stops, windows, strict=True):
        stop.window_start, stop.window_end, stop.service_minutes = start, end, 2
    span = None
    if status == "cancelled":
        trip.ended_at = at - dt.timedelta(minutes=rng.randint(5, 60))
        trip.end_reason = rng.choice(CANCEL_REASONS)
        for stop in stops:
            stop.status = "failed"
        writer.add(_ended(trip, "cancel", rng.choice(("customer", "dispatcher"))))
    else:
        trip.shift_id, trip.driver_id, trip.vehicle_id = shift_id, crew.driver_id, crew.vehicle_id
        trip.started_at = at - dt.timedelta(minutes=rng.randint(5, 20))
        stops[0].status, stops[0].arrived_at = "done", reach_pickup
        stops[0].finished_at = reach_pickup + dt.timedelta(minutes=2)
        if status == "failed":
            trip.ended_at = reach_pickup + dt.timedelta(minutes=rng.randint(10, 40))
            trip.end_reason = rng.choice(FAIL_REASONS)
            stops[1].status = "failed"
            writer.add(_ended(trip, "fail", "driver"))
        else:
            stops[1].status, stops[1].arrived_at = "done", reach_dropoff
            stops[1].finished_at = reach_dropoff + dt.timedelta(minutes=3)
            trip.ended_at = stops[1].finished_at
            _fare(fleet, trip, [GeoPoint(pickup[1], pickup[2]), GeoPoint(dropoff[1], dropoff[2])], writer)
            counts["fares"] += 1
        span = (trip.started_at, trip.ended_at)
    writer.add(trip)
    for stop in stops:
        writer.add(stop)
    counts[f"trips {status}"] += 1
    return span


def _ended(trip: Trip, action: str, role: str) -> TripLogEntry:
    assert trip.ended_at is not None  # an ended trip
    return TripLogEntry(
        trip_id=trip.id,
        action=action,
        from_status="requested" if action == "cancel" else "en_route",
        to_status=trip.status,
        actor_role=role,
        at=trip.ended_at,
        reason=trip.end_reason,
    )


def _fare(fleet: FleetHistory, trip: Trip, points: list[GeoPoint], writer: _Writer) -> None:
    """The completed trip's fare by the fleet's tariff, and its settlement: the customer's receivable pays, the
    tax, the platform's fee, the fleet's commission and the driver's earning are credited (billing's split)."""
    tariff = fleet.tariffs.get((trip.service, trip.vehicle_type)) or next(iter(fleet.tariffs.values()))
    assert trip.started_at is not None and trip.ended_at is not None  # a completed trip
    metres = road_distance_m(points, detour=settings.ROAD_DETOUR_FACTOR)  # as trips estimates without an odometer
    facts = TripFacts(
        distance_m=round(metres),
        duration_s=int((trip.ended_at - trip.started_at).total_seconds()),
        stops=len(points),
        at=trip.started_at,
        points=tuple(points),
    )
    fare = pricing.price(
        tariff.pricing_components(),
        facts,
        currency=tariff.currency,
        default_tax=tariff.default_tax.as_tax(),
        prices_include_tax=tariff.prices_include_tax,
        local_time=trip.started_at.astimezone(zone(fleet.time_zone)),
    )
    currency = fare.currency
    net, tax, total = fare.net.amount_minor, fare.tax.amount_minor, fare.total.amount_minor
    writer.add(
        FareRecord(
            id=uuid.uuid4(),
            created_at=trip.ended_at,
            updated_at=trip.ended_at,
            trip_id=trip.id,
            kind="fare",
            fleet_id=trip.fleet_id,
            customer_id=trip.customer_id,
            driver_id=trip.driver_id,
            facts=fares.facts_json(facts),
            breakdown=fares.breakdown_json(fare),
            currency=currency,
            net_minor=net,
            tax_minor=tax,
            total_minor=total,
        )
    )
    shares = split(net=net, tax=tax, fleet_commission_bps=fleet.commission_bps)
    txn = JournalTransaction(
        id=uuid.uuid4(),
        idempotency_key=f"settle:{trip.id}",
        kind="settlement",
        reference_id=trip.id,
        fleet_id=trip.fleet_id,
        memo=f"fare for trip {trip.id}",
        posted_at=trip.ended_at + dt.timedelta(seconds=2),
    )
    writer.add(txn)
    legs = [
        (writer.account(AccountKind.CUSTOMER_RECEIVABLE, currency, trip.customer_id, trip.fleet_id), total),
        (writer.account(AccountKind.TAX_PAYABLE, currency, trip.fleet_id, None), -shares.tax),
        (writer.account(AccountKind.PLATFORM_COMMISSION, currency, None, None), -shares.platform),
        (writer.account(AccountKind.FLEET_REVENUE, currency, trip.fleet_id, None), -shares.fleet),
        (writer.account(AccountKind.DRIVER_WALLET, currency, trip.driver_id, trip.fleet_id), -shares.driver),
    ]
    for account, amount in legs:
        if amount:
            writer.add(Posting(transaction_id=txn.id, account_id=account.id, amount_minor=amount, currency=currency))
            writer.balances[account.id] += amount if account.debit_normal else -amount


# ---- writing ------------------------------------------------------------------------------------------------------


class _Writer:
    """Holds rows per model and copies them in dependency order; keeps the ledger accounts and their balance
    changes. Accounts are looked up once and new ones copied with the rows (a look-up or insert per account, and an
    update per account and batch, cost more than the trips themselves with thousands of customers)."""

    ORDER = (Account, Shift, Trip, Stop, TripLogEntry, FareRecord, JournalTransaction, Posting)

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], list[models.Model]] = defaultdict(list)
        self.accounts: dict[tuple, Account] | None = None
        self.balances: Counter = Counter()

    def add(self, obj: models.Model) -> None:
        self.rows[type(obj)].append(obj)

    def account(self, kind: AccountKind, currency: str, owner_id: Any, fleet_id: Any) -> Account:
        """As ledger.account_for: the account, opened on first use (with the floor it gives that kind)."""
        if self.accounts is None:
            self.accounts = {(a.kind, a.currency, a.owner_id, a.fleet_id): a for a in Account.objects.all()}
        key = (kind, currency, owner_id, fleet_id)
        if key not in self.accounts:
            opened = Account(
                kind=kind,
                currency=currency,
                owner_id=owner_id,
                fleet_id=fleet_id,
                floor_minor=0 if kind in ledger.FLOORED else None,
            )
            opened.created_at = opened.updated_at = dt.datetime.now(dt.UTC)
            self.add(opened)
            self.accounts[key] = opened
        return self.accounts[key]

    def flush_if_full(self) -> None:
        if sum(len(rows) for rows in self.rows.values()) >= BATCH:
            self.flush()

    def flush(self) -> None:
        """Whole days at a time, each batch in a transaction per context: trips' rows, then billing's with the
        balances its postings move (the ledger is consistent after every commit, and PostgreSQL checks each
        transaction's postings at that commit). Split, a failure between the two commits leaves trips without their
        fares: as an import, rerun on an empty database."""
        for context in WRITTEN:
            with contexts.atomic(context):
                for model in self.ORDER:
                    if model._meta.app_label == context and self.rows.get(model):
                        copy_rows(model, self.rows.pop(model))
                if context == "billing" and self.balances:
                    ids, deltas = zip(*self.balances.items(), strict=True)
                    with connections[contexts.alias("billing")].cursor() as cursor:
                        cursor.execute(
                            f"UPDATE {Account._meta.db_table} AS a SET balance_minor = a.balance_minor + moved.delta "
                            "FROM unnest(%s::uuid[], %s::bigint[]) AS moved (id, delta) WHERE a.id = moved.id",
                            [list(ids), list(deltas)],
                        )
        self.balances.clear()


def copy_rows(model: type[models.Model], objs: Iterable[models.Model]) -> None:
    """COPY the instances' concrete fields (an auto-incrementing id left to its sequence) into the model's table."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField)]
    this = connections[contexts.alias(model._meta.app_label)]  # the owning context's database
    columns = ", ".join(this.ops.quote_name(f.column or f.attname) for f in fields)
    table = this.ops.quote_name(model._meta.db_table)
    with this.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for obj in objs:
            copy.write_row([_value(f, obj, this) for f in fields])


def _value(field: models.Field, obj: models.Model, this: BaseDatabaseWrapper) -> Any:
    value = getattr(obj, field.attname)
    if value is None and field.has_default():
        value = field.get_default()
    return field.get_db_prep_save(value, this)
