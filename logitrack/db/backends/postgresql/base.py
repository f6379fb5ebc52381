"""Django's PostgreSQL backend reading ``timestamptz`` with psycopg's C loader, and a connection pool that drops
every dead idle connection at once after a database restart.

Django registers its own ``timestamptz`` loader on every connection, a Python subclass of psycopg's Python
``TimestamptzLoader`` that replaces the value's tzinfo with the connection's time zone; psycopg only swaps in
its C loader for its own classes, so every timestamp was parsed in Python (about 7 µs against 0.5 µs: 750 of
them on a page of 50 trips). With ``USE_TZ`` and the session in UTC both loaders return the same aware
datetimes with ``tzinfo=datetime.timezone.utc``, so this backend registers the C one there; anywhere else
(``USE_TZ = False``, a database ``TIME_ZONE``, a session whose TimeZone was changed, psycopg without its C
module) Django's loader runs as before.

The pool (web processes, DATABASE_POOL): psycopg's pool finds a dead idle connection only when it hands it out, and
then sleeps 1 s, 2 s, 4 s ... before trying the next one, so after a PostgreSQL restart the first request on a pool
that sat idle through it paused once per dead connection it held (1 + 2 + 4 s for three), and failed at
DATABASE_POOL_TIMEOUT (2 dead ones at 2 s, 4 at 10 s). Split, every context has a pool of its own, and those a
process seldom uses are idle through any outage. `SweepingPool` checks every idle connection as soon as one fails
its check, so the first request waits one such pause (psycopg's), whatever the pool held. And its tries to
reconnect stay at most OUTAGE_BACKOFF_MAX_SECONDS apart (`reconnect_timeout`), as every loop's do
(logitrack/resilience.py).
"""

import datetime
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import psycopg
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base as django_postgresql
from django.db.backends.postgresql.psycopg_any import get_adapters_template
from django_prometheus.db.backends.postgresql import base as instrumented
from django_prometheus.db.common import ExportingCursorWrapper
from psycopg import abc
from psycopg.adapt import AdaptersMap, Loader
from psycopg.pq import Format
from psycopg.types.datetime import TimestamptzLoader as PythonTimestamptzLoader
from psycopg_pool import ConnectionPool

UTC = datetime.UTC
TIMESTAMPTZ_OID = psycopg.adapters.types["timestamptz"].oid


def c_timestamptz_loader(registered: type[abc.Loader] | None) -> type[abc.Loader] | None:
    """psycopg's C loader when it has one: its global map holds the C class in place of the Python one."""
    return None if registered is PythonTimestamptzLoader else registered


C_TIMESTAMPTZ_LOADER = c_timestamptz_loader(psycopg.adapters.get_loader(TIMESTAMPTZ_OID, Format.TEXT))


# the loader Django's own backend registers on a connection in UTC
DJANGO_UTC_LOADER: type[abc.Loader] = get_adapters_template(True, UTC).get_loader(TIMESTAMPTZ_OID, Format.TEXT)


class UtcTimestamptzLoader(Loader):
    """Builds the C loader while the session's TimeZone is UTC, else Django's.

    A factory because the C class cannot be subclassed, and Django's ``create_cursor`` reads ``timezone`` from
    the registered class (it registers its own loader on a cursor whose connection disagrees)."""

    format = Format.TEXT
    timezone = UTC

    def __new__(cls, oid: int, context: abc.AdaptContext | None = None) -> Any:
        connection = context.connection if context is not None else None
        # the C loader converts to the session's zone; Django's stamps UTC on whatever it parsed
        if C_TIMESTAMPTZ_LOADER is not None and connection is not None and connection.info.timezone is UTC:
            return C_TIMESTAMPTZ_LOADER(oid, context)
        return DJANGO_UTC_LOADER(oid, context)


@lru_cache
def adapters_with_c_timestamptz(template: AdaptersMap) -> AdaptersMap:
    adapters = AdaptersMap(template)
    # never instantiated itself (__new__ returns another loader), so it leaves Loader.load abstract
    adapters.register_loader(TIMESTAMPTZ_OID, UtcTimestamptzLoader)  # type: ignore[type-abstract]
    return adapters


@lru_cache
def counted_cursor(cursor_class: type, alias: str, vendor: str) -> type:
    """django-prometheus' counting cursor class, built once per database: its `ExportingCursorWrapper` defines a new
    class on every call, and Django asks for the connection parameters on every connect, which with the pool is
    every request's checkout (a class built per request, and left in reference cycles for the collector)."""
    counted: type = ExportingCursorWrapper(cursor_class, alias, vendor)
    return counted


class DatabaseWrapper(instrumented.DatabaseWrapper):  # type: ignore[misc]  # Django's, with django-prometheus' counts (untyped)
    def get_connection_params(self) -> dict[str, Any]:
        # what django-prometheus' own get_connection_params does, with the class made once
        params: dict[str, Any] = django_postgresql.DatabaseWrapper.get_connection_params(self)
        params["cursor_factory"] = counted_cursor(params["cursor_factory"], self.alias, self.vendor)
        # self.timezone is UTC with USE_TZ and no database TIME_ZONE, None without USE_TZ
        if C_TIMESTAMPTZ_LOADER is not None and self.timezone is UTC and "context" in params:
            params["context"] = adapters_with_c_timestamptz(params["context"])
        return params

    @property
    def pool(self) -> ConnectionPool | None:
        """Django's own (django/db/backends/postgresql/base.py), a `SweepingPool` in place of psycopg's."""
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not pool_options:
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise ImproperlyConfigured("Pooling doesn't support persistent connections.")
            options = {} if pool_options is True else dict(pool_options)
            # psycopg retries a lost connection after 1, 2, 4 ... s for up to 5 minutes, so after a long outage the
            # pool could wait minutes more once PostgreSQL was back. Giving up after twice the outage backoff's cap
            # keeps its tries at most that cap apart; a request then starts a fresh one at once.
            options.setdefault("reconnect_timeout", 2 * settings.OUTAGE_BACKOFF_MAX_SECONDS)
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # Django sets it properly later on
            pool = SweepingPool(
                kwargs=connect_kwargs,
                open=False,  # opened on first use, not at start-up
                configure=self._configure_connection,
                check=SweepingPool.check_connection if self.settings_dict["CONN_HEALTH_CHECKS"] else None,
                **options,
            )
            self._connection_pools.setdefault(self.alias, pool)  # threads racing at start-up: the first wins
        pool_of_alias: ConnectionPool = self._connection_pools[self.alias]
        return pool_of_alias


class SweepingPool(ConnectionPool):
    """psycopg's pool, checking every idle connection when one it hands out fails its check (module docstring)."""

    def __init__(self, *args: Any, check: Callable[[Any], None] | None = None, **kwargs: Any) -> None:
        self._check_one = check
        super().__init__(*args, check=self._check_and_sweep if check is not None else None, **kwargs)

    def _check_and_sweep(self, conn: Any) -> None:
        assert self._check_one is not None
        try:
            self._check_one(conn)
        except Exception:
            # the server went away under it, so most likely under the others too: replace every dead one now, not
            # one per pause of the caller's wait
            self.check()
            raise
