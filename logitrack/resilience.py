"""How a long-running loop rides out an outage of PostgreSQL, Redis or the broker: it tells an outage from a bug
(`is_unavailable`), waits a capped, jittered, growing delay between tries (`Backoff`), and logs the outage once when
it begins and once when it ends, not on every retry (`outage.began` / `outage.ended`, with the loop's name).

Used by the outbox relay, the Celery beat scheduler, outbox deliveries in the worker and the NATS consumers, the
embedded periodic thread and the web process's ping ingestion (docs/runbook.md, "An outage of PostgreSQL or Redis").

A call that a person waits for cannot loop: `CircuitBreaker` stops calling a service that keeps failing, so callers
fail in microseconds instead of each waiting for its own timeout (logitrack.remote, billing run as its own service).
"""

from __future__ import annotations

import enum
import math
import random
import socket
import threading
import time

import structlog
from django.conf import settings
from django.db import connections
from django.db.utils import InterfaceError
from django.db.utils import OperationalError as DatabaseOperationalError

from logitrack import metrics
from logitrack.exceptions import ServiceUnavailable

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
        if isinstance(current, ServiceUnavailable):  # another context's service (billing run apart) is away
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


class BreakerState(enum.StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitOpen(Exception):
    """The breaker refused the call without trying it; `retry_after` seconds until it lets a trial call through."""

    def __init__(self, name: str, retry_after: float) -> None:
        super().__init__(f"circuit {name} is open for {retry_after:.1f}s more")
        self.name = name
        self.retry_after = retry_after


class CircuitBreaker:
    """A per-process circuit breaker around calls to one service.

    closed: calls go through; `failure_threshold` failures in a row open it. open: every call is refused at once
    (`CircuitOpen`) for `reset_seconds`. half-open: then one trial call goes through (others are still refused);
    its success closes the breaker, its failure opens it for another `reset_seconds`. Only outages count as
    failures (the caller says which): an answer that the input was wrong proves the service is up.

    Usage: `breaker.before()` (raises CircuitOpen), then `breaker.succeeded()` (any answer: a 4xx proves the service
    up too) or `breaker.failed()`, or `breaker.release()` when the call failed on our side before it could tell.
    Thread-safe: web processes run sync views on a thread pool.
    """

    def __init__(self, name: str, *, failure_threshold: int, reset_seconds: float) -> None:
        self.name = name
        self.failure_threshold = max(1, failure_threshold)
        self.reset_seconds = reset_seconds
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trial = False  # a half-open trial call is under way

    @property
    def state(self) -> BreakerState:
        with self._lock:
            if self._state is BreakerState.OPEN and self._remaining() <= 0:
                return BreakerState.HALF_OPEN
            return self._state

    def _remaining(self) -> float:
        return self._opened_at + self.reset_seconds - time.monotonic()

    def retry_after(self) -> int:
        """Whole seconds (at least 1) until a caller refused now may try again: for a Retry-After header."""
        with self._lock:
            remaining = self._remaining() if self._state is not BreakerState.CLOSED else 0.0
        return max(1, math.ceil(remaining))

    def before(self) -> None:
        with self._lock:
            if self._state is BreakerState.CLOSED:
                return
            if self._state is BreakerState.OPEN:
                remaining = self._remaining()
                if remaining > 0:
                    raise CircuitOpen(self.name, remaining)
                self._state = BreakerState.HALF_OPEN
                self._trial = False
            if self._trial:  # half-open: one trial at a time; the others wait for its verdict
                raise CircuitOpen(self.name, self.reset_seconds)
            self._trial = True

    def succeeded(self) -> None:
        with self._lock:
            if self._state is not BreakerState.CLOSED:
                log.warning("breaker.closed", breaker=self.name)
            self._state = BreakerState.CLOSED
            self._failures = 0
            self._trial = False

    def release(self) -> None:
        """A call that ended without telling whether the service is up (our own error): the verdict stays open, and
        a half-open breaker lets the next call try."""
        with self._lock:
            self._trial = False

    def failed(self, exc: BaseException | None = None) -> None:
        with self._lock:
            self._failures += 1
            if self._state is BreakerState.HALF_OPEN or self._failures >= self.failure_threshold:
                if self._state is not BreakerState.OPEN:
                    metrics.BREAKER_OPENED.labels(self.name).inc()
                    log.error(
                        "breaker.opened",
                        breaker=self.name,
                        failures=self._failures,
                        error=_short(exc) if exc is not None else None,
                    )
                self._state = BreakerState.OPEN
                self._opened_at = time.monotonic()
                self._trial = False
