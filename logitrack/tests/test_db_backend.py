"""`logitrack.db.backends.postgresql`: timestamptz read by psycopg's C loader, exactly as Django's loader reads it."""

import datetime as dt

import pytest
from django.db import DataError, connection
from django.db.backends.postgresql.psycopg_any import get_adapters_template, register_tzloader
from django.test import override_settings
from psycopg.types.datetime import TimestamptzLoader as PythonTimestamptzLoader

from logitrack.db.backends.postgresql import base

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend"),
]

VALUES = [
    "2026-12-06 15:16:04.123456+00",
    "2026-06-01 12:00:00+02",
    "2026-03-29 01:59:59.999999+01",
    "1999-12-31 23:59:59.999999-05:30",
    "1900-01-01 00:00:00+00:19:32",  # a local mean time offset, with seconds
    "1970-01-01 00:00:00.000001+14",
    "0001-01-01 00:00:00+00",
    "9999-12-31 23:59:59.999999+00",
]
OUT_OF_RANGE = ["infinity", "-infinity", "0044-03-15 12:00:00+00 BC", "0001-01-01 00:30:00+01"]


def _read(value: str, *, django_loader: bool) -> tuple[str, object]:
    with connection.cursor() as cursor:
        if django_loader:  # what Django's own backend registers on a connection in UTC
            register_tzloader(dt.UTC, cursor.cursor)
        cursor.execute("SELECT %s::timestamptz", [value])
        try:
            loaded = cursor.fetchone()[0]
        except DataError as error:
            return "error", str(error)
        return type(cursor.cursor._tx.get_loader(base.TIMESTAMPTZ_OID, 0)).__name__, loaded


def test_the_c_loader_reads_timestamptz_when_psycopg_has_it():
    assert base.C_TIMESTAMPTZ_LOADER is not None, "psycopg-binary (or psycopg-c) is a requirement"
    assert connection.connection.adapters.get_loader(base.TIMESTAMPTZ_OID, 0) is base.UtcTimestamptzLoader
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        cursor.fetchone()
        assert type(cursor.cursor._tx.get_loader(base.TIMESTAMPTZ_OID, 0)) is base.C_TIMESTAMPTZ_LOADER
        assert base.C_TIMESTAMPTZ_LOADER.__module__ != PythonTimestamptzLoader.__module__


@pytest.mark.parametrize("value", VALUES)
def test_values_are_those_djangos_loader_reads_in_utc(value):
    fast_loader, fast = _read(value, django_loader=False)
    django_loader, slow = _read(value, django_loader=True)
    assert (fast_loader, django_loader) == ("TimestamptzLoader", "SpecificTzLoader")
    assert isinstance(fast, dt.datetime)
    assert fast == slow and repr(fast) == repr(slow)
    assert fast.tzinfo is dt.UTC and fast.isoformat() == slow.isoformat()


@pytest.mark.parametrize("value", OUT_OF_RANGE)
def test_values_python_cannot_hold_fail_as_with_djangos_loader(value):
    assert _read(value, django_loader=False) == _read(value, django_loader=True)
    assert _read(value, django_loader=False)[0] == "error"


def test_a_session_moved_off_utc_reads_with_djangos_loader():
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Asia/Kolkata'")
        try:
            cursor.execute("SELECT '2026-12-06 15:16:04+00'::timestamptz")
            loaded = cursor.fetchone()[0]
            assert type(cursor.cursor._tx.get_loader(base.TIMESTAMPTZ_OID, 0)) is base.DJANGO_UTC_LOADER
        finally:
            cursor.execute("SET TIME ZONE 'UTC'")
    # Django stamps UTC on the session's wall time, as its own backend does
    assert loaded == dt.datetime(2026, 12, 6, 20, 46, 4, tzinfo=dt.UTC)


def test_without_use_tz_timestamps_are_naive_as_with_djangos_backend():
    with override_settings(USE_TZ=False), connection.cursor() as cursor:
        cursor.execute("SELECT '2026-12-06 15:16:04+00'::timestamptz")
        assert cursor.fetchone()[0] == dt.datetime(2026, 12, 6, 15, 16, 4)


def test_without_the_c_module_connections_keep_djangos_adapters(monkeypatch):
    assert base.c_timestamptz_loader(PythonTimestamptzLoader) is None
    monkeypatch.setattr(base, "C_TIMESTAMPTZ_LOADER", None)
    params = connection.get_connection_params()
    assert params["context"] is get_adapters_template(True, dt.UTC)


def test_connections_share_one_counting_cursor_class():
    """django-prometheus built a new cursor class on every connect (every pooled request's checkout)."""
    from django_prometheus.db.metrics import execute_total

    first, second = connection.get_connection_params(), connection.get_connection_params()
    assert first["cursor_factory"] is second["cursor_factory"]
    counted = execute_total.labels(connection.alias, connection.vendor)
    before = counted._value.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        assert isinstance(cursor.cursor, first["cursor_factory"])
    assert counted._value.get() == before + 1  # still counted
