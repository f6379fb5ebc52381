"""Drivers' positions: the history (one row per ping, stored in bulk), the live map, uploads, retention and
erasure."""

from __future__ import annotations

import datetime as dt
import time
import uuid
from collections.abc import Sequence
from typing import Any

import psycopg
from django.db import connections
from django.db.models import Field
from django.utils import timezone

from apps.dispatch import domain, feed, integrations, live
from apps.dispatch.contracts import LivePosition, NotYourDriver, Ping, PingOutcome
from apps.dispatch.models import PositionPing
from apps.dispatch.services import tracking
from logitrack import metrics
from logitrack.db import contexts

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
_CHUNK = 1000  # rows per INSERT on SQLite: under its bound-parameter limit


_PG_TYPES = ("uuid", "uuid", "uuid", "timestamptz", "timestamptz", "float8", "float8", "float8", "float8", "float8")


def _column(field: Field[Any, Any]) -> str:
    """A concrete field's column (only a field with no column of its own, e.g. a ForeignObject, has None)."""
    if field.column is None:
        raise ValueError(f"{field.name} has no column")
    return field.column


def _array_literal(column: tuple) -> str:
    """A column of uuids, datetimes or floats (None: NULL) as PostgreSQL's array text, which the server parses in C:
    psycopg's list dumper took a Python call per element, the largest single cost of the history write. None of these
    values needs quoting (no spaces, commas, braces or quotes)."""
    if isinstance(column[0], dt.datetime):  # recorded_at, received_at: never None
        return "{" + ",".join(v.isoformat() for v in column) + "}"
    if isinstance(column[0], uuid.UUID) or None not in column:  # ids (never None); floats all given
        return "{" + ",".join(map(str, column)) + "}"
    return "{" + ",".join("NULL" if v is None else str(v) for v in column) + "}"


def _history_insert(rows: list[tuple]) -> set[uuid.UUID]:
    """INSERT ... ON CONFLICT DO NOTHING; returns the ping ids that were new. On PostgreSQL the rows travel as
    one array per column (unnest): ten parameters whatever the batch size, so the statement text never
    changes and psycopg does not re-parse thousands of placeholders per batch."""
    if not rows:
        return set()
    connection = connections[contexts.alias("dispatch")]  # the history is dispatch's: its database, its transaction
    table = connection.ops.quote_name(PositionPing._meta.db_table)
    concrete = {f.name: f for f in PositionPing._meta.concrete_fields}
    fields = [concrete[c] for c in _HISTORY_COLUMNS]
    columns = ", ".join(connection.ops.quote_name(_column(f)) for f in fields)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"%s::{t}[]" for t in _PG_TYPES)
        sql = (
            f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays}) "
            f"ON CONFLICT (ping_id) DO NOTHING RETURNING ping_id"
        )
        connection.ensure_connection()
        connection.validate_no_broken_transaction()
        # A plain psycopg cursor (server-side binding, binary arrays) on Django's connection and transaction:
        # Django's client-side cursor quoted every array element into the SQL text, a fifth of the server's
        # time under a 5,000 pings/s load.
        with connection.wrap_database_errors, psycopg.Cursor(connection.connection) as cursor:
            cursor.execute(sql, [_array_literal(column) for column in zip(*rows, strict=True)], binary=True)
            return {v for (v,) in cursor.fetchall()}
    inserted: set[uuid.UUID] = set()
    with connection.cursor() as cursor:
        placeholder = "(" + ", ".join(["%s"] * len(fields)) + ")"
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


Fix = tuple[uuid.UUID, uuid.UUID, Ping]  # (driver, fleet, ping)


def _unique(fixes: list[Fix]) -> dict[uuid.UUID, Fix]:
    unique: dict[uuid.UUID, Fix] = {}
    for fix in fixes:
        unique.setdefault(fix[2].ping_id, fix)
    return unique


def positions_move(*, fixes: list[Fix]) -> list[LivePosition]:
    """Move the live map for the fixes newer than what it holds (per driver, the newest of the batch); returns
    the positions that moved. A resent ping is never newer than itself, so it moves nothing twice."""
    by_fleet: dict[uuid.UUID, list[LivePosition]] = {}
    for driver_id, fleet_id, p in _unique(fixes).values():
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
    moved: list[LivePosition] = []
    for fleet_id, positions in by_fleet.items():
        moved += live.store().update(fleet_id, domain.newest_per_driver(positions))
    return moved


def positions_store(*, fixes: list[Fix], moved: Sequence[LivePosition] = ()) -> PingOutcome:
    """Store the fixes once each in the history (one statement per 1,000), then refresh tracking pages for the
    drivers that moved. The caller has checked that each driver is on duty and is who sent the ping."""
    received_at = timezone.now()
    unique = _unique(fixes)
    rows = [
        (p.ping_id, d, f, p.recorded_at, received_at, p.lat, p.lng, p.accuracy_m, p.heading, p.speed_mps)
        for d, f, p in unique.values()
    ]
    new = _history_insert(rows)
    if new:
        stored = len(new)
        contexts.on_commit(lambda: metrics.PINGS_STORED.inc(stored), "dispatch")  # rows rolled back were never stored
    if moved:
        tracking.tracking_refresh(moved=list(moved))
    return PingOutcome(
        stored=tuple(i for i in unique if i in new),
        duplicates=tuple(f[2].ping_id for f in fixes if f[2].ping_id not in new),
        moved=tuple(moved),
    )


def positions_record(*, fixes: list[Fix]) -> PingOutcome:
    """History first, then the live map for the pings that were new (the REST upload's order)."""
    stored = positions_store(fixes=fixes)
    new = set(stored.stored)
    moved = positions_move(fixes=[f for f in fixes if f[2].ping_id in new])
    if moved:
        tracking.tracking_refresh(moved=moved)
    return PingOutcome(stored=stored.stored, duplicates=stored.duplicates, moved=tuple(moved))


def positions_upload(*, user_id: uuid.UUID, fleet_id: uuid.UUID | None, raw_pings: object) -> PingOutcome:
    """A driver app's buffered upload over REST: all pings valid or none stored; screens see the newest."""
    received = time.monotonic()
    pings = domain.parse_batch(raw_pings, now=timezone.now())
    assert isinstance(raw_pings, list)  # parse_batch refuses anything but a list
    driver = integrations.driver_on_duty(user_id=user_id, fleet_id=fleet_id)
    if any(domain.claims_other_driver(p, driver.id) for p in raw_pings):
        raise NotYourDriver("pings can only be sent for yourself, from your own login")
    outcome = positions_record(fixes=[(driver.id, driver.fleet_id, p) for p in pings])
    feed.positions(driver.fleet_id, list(outcome.moved))
    if outcome.moved:
        pushed = time.monotonic() - received
        for _ in outcome.moved:
            metrics.PING_TO_SCREEN_SECONDS.labels("rest").observe(pushed)
    return outcome


def driver_trail_erase(*, user_id: uuid.UUID) -> int:
    """GDPR erasure of a driver: their position history goes, in every fleet they drove for, and they leave
    the live map. Returns the pings deleted."""
    deleted = 0
    for driver_id, fleet_id in integrations.drivers_of(user_id=user_id):
        deleted += PositionPing.objects.filter(driver_id=driver_id).delete()[0]
        live.store().remove(fleet_id, driver_id)
    return deleted


def positions_prune(*, older_than: dt.timedelta, batch: int = 10_000) -> int:
    """Delete history older than the retention window, in batches so the table is never locked for long."""
    cutoff = timezone.now() - older_than
    deleted = 0
    while True:
        ids = list(PositionPing.objects.filter(recorded_at__lt=cutoff).values_list("id", flat=True)[:batch])
        if not ids:
            return deleted
        deleted += PositionPing.objects.filter(id__in=ids).delete()[0]
