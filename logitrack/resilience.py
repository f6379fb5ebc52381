"""How a long-running loop rides out an outage of PostgreSQL, Redis or the broker: it tells an outage from a bug
(`is_unavailable`), waits a capped, jittered, growing delay between tries (`Backoff`), and logs the outage once when
it begins and once when it ends, not on every retry (`outage.began` / `outage.ended`, with the loop's name).

Used by the outbox relay, the Celery beat scheduler, outbox deliveries in the worker and the NATS consumers, the
embedded periodic thread and the web process's ping ingestion (docs/runbook.md, "An outage of PostgreSQL or Redis").
"""

from __future__ import annotations

import random
import socket
import time

import structlog
from django.conf import settings
from django.db import connections
from django.db.utils import InterfaceError
from django.db.utils import OperationalError as DatabaseOperationalError

log = structlog.get_logger(__name__)

# SQLSTATE classes of a server going away or refusing connections (a deadlock, 40P01, is not one)
UNAVAILABLE_SQLSTATES = ("08", "57P")


def is_unavailable(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) says a backing service could not be reached, rather than that the work
    itself failed: retried without end, it will succeed once the service is back."""
    from kombu.exceptions import OperationalError as BrokerError
    from nats import errors as nats_errors
    from nats.js.errors import ServiceUnavailableError as JetStreamUnavailable
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    from logitrack.jobs import QueueUnavailable

    # the NATS client's errors for a server that is away (its timeouts are TimeoutErrors, caught below)
    nats_gone = (
        nats_errors.NoServersError,
        nats_errors.ConnectionClosedError,
        nats_errors.ConnectionReconnectingError,
        nats_errors.StaleConnectionError,
        nats_errors.OutboundBufferLimitError,
        nats_errors.NoRespondersError,
        JetStreamUnavailable,
    )
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, InterfaceError | QueueUnavailable | BrokerError | RedisConnectionError):
            return True
        if isinstance(current, RedisTimeoutError | ConnectionError | socket.timeout):
            return True
        if isinstance(current, nats_gone):
            return True
        if isinstance(current, DatabaseOperationalError):
            state = getattr(current.__cause__, "sqlstate", None)
            if state is None or state.startswith(UNAVAILABLE_SQLSTATES):
                return True
        current = current.__cause__ or current.__context__
    return False


def close_broken_connections() -> None:
    """Drop this thread's database connections that failed, so the next query opens a new one (a loop outside a
    request has nobody else to do it; Django does it around requests and Celery around tasks)."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close_if_unusable_or_obsolete()
        except Exception:  # closing a dead socket may complain; Django forgets the connection either way
            pass


def retry_delay(attempt: int, *, base: float, cap: float) -> float:
    """Seconds to wait after failed try number `attempt` (1-based): exponential from `base`, capped at `cap`, the
    upper half random (jitter), so many clients that failed together do not all come back in step."""
    ceiling = min(cap, base * 2 ** min(max(attempt, 1) - 1, 32))
    return float(ceiling / 2 + random.uniform(0, ceiling / 2))


class Backoff:
    """The retry delays of one loop and the log lines of its outages.

    `failed(exc)` returns how long to wait before the next try: exponential from OUTAGE_BACKOFF_BASE_SECONDS,
    capped at OUTAGE_BACKOFF_MAX_SECONDS, with jitter (half the delay is random, so many processes that lost the
    same server do not come back in step). The first failure of an outage logs `outage.began`; the first success
    after it logs `outage.ended` with how long it lasted and how many tries failed. A failure that is not an
    outage (a bug) is logged each time with its traceback, still with the backoff.
    """

    def __init__(self, loop: str, *, base: float | None = None, cap: float | None = None) -> None:
        self.loop = loop
        self.base: float = settings.OUTAGE_BACKOFF_BASE_SECONDS if base is None else base
        self.cap: float = settings.OUTAGE_BACKOFF_MAX_SECONDS if cap is None else cap
        self.failures = 0
        self._since: float | None = None

    @property
    def down(self) -> bool:
        return self._since is not None

    def delay(self) -> float:
        return retry_delay(self.failures, base=self.base, cap=self.cap) if self.failures else 0.0

    def failed(self, exc: BaseException, **context: object) -> float:
        self.failures += 1
        if is_unavailable(exc):
            if self._since is None:
                self._since = time.monotonic()
                log.error("outage.began", loop=self.loop, error=_short(exc), **context)
        else:
            log.error("loop.failed", loop=self.loop, failures=self.failures, exc_info=exc, **context)
        return self.delay()

    def succeeded(self, **context: object) -> None:
        if self._since is not None:
            log.warning(
                "outage.ended",
                loop=self.loop,
                down_seconds=round(time.monotonic() - self._since, 1),
                failed_tries=self.failures,
                **context,
            )
            self._since = None
        self.failures = 0


def _short(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".strip()[:500]
