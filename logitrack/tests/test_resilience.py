"""Telling an outage from a bug, and the backoff of a loop that rides one out (logitrack.resilience). The failures
are real: connections to a port nothing listens on."""

import functools

import psycopg
import redis
from django.db.utils import OperationalError
from structlog.testing import capture_logs

from logitrack.jobs import QueueUnavailable
from logitrack.resilience import Backoff, is_unavailable
from logitrack.testing.processes import free_port


def refused_database() -> BaseException:
    try:
        psycopg.connect(host="127.0.0.1", port=free_port(), user="nobody", connect_timeout=2)
    except psycopg.OperationalError as exc:
        try:
            raise OperationalError(str(exc)) from exc  # as Django raises it
        except OperationalError as wrapped:
            return wrapped
    raise AssertionError("a connection to a closed port succeeded")


@functools.cache  # redis-py retries a refused connection for a few seconds before it gives up
def refused_redis() -> BaseException:
    try:
        redis.Redis(port=free_port(), socket_connect_timeout=2).ping()
    except redis.ConnectionError as exc:
        return exc
    raise AssertionError("a connection to a closed port succeeded")


def test_unreachable_servers_are_outages_and_failing_work_is_not():
    assert is_unavailable(refused_database())
    assert is_unavailable(refused_redis())
    assert is_unavailable(QueueUnavailable("outbox.deliver: connection refused"))
    try:
        raise RuntimeError("the handler failed") from refused_redis()  # a handler that met Redis down
    except RuntimeError as exc:
        assert is_unavailable(exc)

    try:
        raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected("deadlock detected")
    except OperationalError as deadlock:
        assert not is_unavailable(deadlock)  # retried as work, not as an outage
    assert not is_unavailable(ValueError("bad envelope"))


def test_the_delay_grows_to_its_cap_with_jitter():
    backoff = Backoff("test", base=0.5, cap=4)
    outage = refused_redis()
    delays = [backoff.failed(outage) for _ in range(8)]
    for n, delay in enumerate(delays, start=1):
        ceiling = min(4, 0.5 * 2 ** (n - 1))
        assert ceiling / 2 <= delay <= ceiling
    assert len({round(d, 6) for d in delays[4:]}) > 1  # at the cap, still jittered
    backoff.succeeded()
    assert backoff.delay() == 0 and backoff.failures == 0


def test_an_outage_is_logged_once_when_it_begins_and_once_when_it_ends():
    backoff = Backoff("test", base=0.01, cap=0.1)
    with capture_logs() as logs:
        for _ in range(20):
            backoff.failed(refused_redis())
        backoff.succeeded()
        backoff.succeeded()
        backoff.failed(ValueError("a bug"))
        backoff.failed(ValueError("a bug"))
    events = [(e["event"], e["loop"]) for e in logs]
    assert events == [
        ("outage.began", "test"),
        ("outage.ended", "test"),
        ("loop.failed", "test"),  # a bug is logged each time, with its traceback
        ("loop.failed", "test"),
    ]
    assert logs[1]["failed_tries"] == 20
