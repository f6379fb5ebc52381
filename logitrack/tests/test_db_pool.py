"""A web process's connection pool (`logitrack.db.backends.postgresql.SweepingPool`) is back soon after PostgreSQL
is: whatever it held when the server went away, and however long it was away. Through a `TcpProxy` that resets
every connection (a restart) and refuses new ones while cut; on the maintenance database, as nothing here needs a
table."""

import time

import pytest
from django.db import connection
from psycopg_pool import PoolTimeout

from logitrack.db.backends.postgresql import base
from logitrack.testing.processes import TcpProxy

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostgreSQL backend's pool")


@pytest.fixture
def proxy():
    proxy = TcpProxy.to_database().start()
    yield proxy
    proxy.cut()


@pytest.fixture
def pooled(proxy, django_db_blocker):
    """A pool as a web process has (config/settings/base.py), to PostgreSQL through `proxy`."""
    wrappers = []

    def make(**pool: object) -> base.SweepingPool:
        settings_dict = {
            **connection.settings_dict,
            "NAME": "postgres",
            "HOST": "127.0.0.1",
            "PORT": proxy.port,
            "CONN_MAX_AGE": 0,
            "OPTIONS": {**connection.settings_dict["OPTIONS"], "pool": pool},
        }
        wrappers.append(base.DatabaseWrapper(settings_dict, alias=f"pooled{len(wrappers)}"))
        made = wrappers[-1].pool
        assert isinstance(made, base.SweepingPool)
        made.open(wait=True)
        return made

    with django_db_blocker.unblock():  # its own connections, not the test database's
        yield make
        for wrapper in wrappers:
            wrapper.close_pool()


def _query(pool: base.SweepingPool, *, timeout: float) -> object:
    with pool.connection(timeout=timeout) as conn:
        return conn.execute("SELECT 1").fetchone()


def test_a_pool_idle_through_a_restart_replaces_every_dead_connection_at_the_first_request(pooled, proxy):
    """psycopg's pool alone paused 1 s, 2 s, 4 s ... before each dead idle connection it tried: with four, the first
    request after the restart would wait 7 s, and failed at this 3 s timeout."""
    pool = pooled(min_size=4, max_size=4)
    proxy.cut()  # PostgreSQL restarts: every idle connection of the pool is dead
    proxy.restore()
    assert _query(pool, timeout=3) == (1,)
    assert pool.get_stats()["connections_lost"] == 4  # the one handed out and the three swept with it


def test_a_pool_tries_to_reconnect_at_most_the_outage_backoffs_cap_apart(pooled, proxy, settings):
    """psycopg's pool alone tried again after 1, 2, 4 ... s: back 3.5 s into the outage, it would wait for its try at
    7 s, past this request's 2.5 s timeout. Capped at 1 s here (production: OUTAGE_BACKOFF_MAX_SECONDS, 30 s)."""
    settings.OUTAGE_BACKOFF_MAX_SECONDS = 1
    pool = pooled(min_size=1, max_size=1)
    proxy.cut()
    cut_at = time.monotonic()
    with pytest.raises(PoolTimeout):  # its one connection is dead and a new one cannot be made
        _query(pool, timeout=0.5)
    time.sleep(max(0.0, cut_at + 3.5 - time.monotonic()))
    proxy.restore()
    assert _query(pool, timeout=2.5) == (1,)
