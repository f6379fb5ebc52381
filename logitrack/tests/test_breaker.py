"""The circuit breaker's states in real time (short thresholds), and the remote client's budget against a server that
accepts a connection and never answers (a real socket, not a stand-in for our code)."""

from __future__ import annotations

import socket
import threading
import time
import uuid

import pytest

from logitrack import remote
from logitrack.exceptions import ServiceUnavailable
from logitrack.resilience import BreakerState, CircuitBreaker, CircuitOpen
from logitrack.wire import RemoteCall, RemoteInterface


class PricingUnavailable(ServiceUnavailable):
    code = "pricing.unavailable"


# a context's published interface as billing's contracts publish theirs (apps/billing/contracts.py, REMOTE)
PRICING = RemoteInterface(
    service="pricing",
    calls={"price": RemoteCall(returns=int), "prices": RemoteCall(returns=list[int])},
    errors=(),
    unavailable=PricingUnavailable,
)


def test_the_breaker_opens_after_failures_in_a_row_and_a_trial_call_closes_it():
    breaker = CircuitBreaker("test", failure_threshold=3, reset_seconds=0.3)
    for _ in range(2):
        breaker.before()
        breaker.failed()
    breaker.before()
    breaker.succeeded()  # a success in between starts the count again
    for _ in range(2):
        breaker.before()
        breaker.failed()
    assert breaker.state is BreakerState.CLOSED
    breaker.before()
    breaker.failed()
    assert breaker.state is BreakerState.OPEN

    started = time.monotonic()
    with pytest.raises(CircuitOpen) as refused:
        breaker.before()
    assert time.monotonic() - started < 0.01  # refused without trying
    assert 0 < refused.value.retry_after <= 0.3
    assert breaker.retry_after() == 1  # whole seconds, at least 1, for Retry-After

    time.sleep(0.35)
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.before()  # the one trial call
    with pytest.raises(CircuitOpen):
        breaker.before()  # others wait for its verdict
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED
    breaker.before()


def test_a_trial_released_without_a_verdict_lets_the_next_call_try():
    breaker = CircuitBreaker("test", failure_threshold=1, reset_seconds=0.05)
    breaker.before()
    breaker.failed()
    time.sleep(0.06)
    breaker.before()
    breaker.release()  # our own error mid-call: says nothing about the service
    assert breaker.state is BreakerState.HALF_OPEN
    breaker.before()
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED


def test_a_failed_trial_opens_the_breaker_again_for_a_whole_period():
    breaker = CircuitBreaker("test", failure_threshold=1, reset_seconds=0.2)
    breaker.before()
    breaker.failed()
    time.sleep(0.25)
    breaker.before()
    breaker.failed()  # the trial failed: open again, counted from now
    assert breaker.state is BreakerState.OPEN
    time.sleep(0.1)
    with pytest.raises(CircuitOpen):
        breaker.before()
    time.sleep(0.15)
    breaker.before()
    breaker.succeeded()
    assert breaker.state is BreakerState.CLOSED


def test_concurrent_callers_let_exactly_one_trial_through():
    breaker = CircuitBreaker("test", failure_threshold=1, reset_seconds=0.05)
    breaker.before()
    breaker.failed()
    time.sleep(0.06)
    let_through, gate = [], threading.Barrier(8)

    def caller():
        gate.wait()
        try:
            breaker.before()
            let_through.append(1)
        except CircuitOpen:
            pass

    threads = [threading.Thread(target=caller) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(let_through) == 1


@pytest.fixture
def silent_server():
    """A TCP server that accepts connections and never answers: a service hung mid-request."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    accepted: list[socket.socket] = []

    def accept():
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            accepted.append(conn)

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    listener.close()
    for conn in accepted:
        conn.close()


def test_a_hung_service_costs_one_read_timeout_and_is_not_retried(settings, silent_server):
    url, accepted = silent_server
    settings.PRICING_API_MODE = "remote"
    settings.PRICING_SERVICE_URL = url
    settings.PRICING_SERVICE_TOKEN = "t"
    settings.REMOTE_API_TIMEOUT_SECONDS = 0.3
    settings.REMOTE_API_RETRIES = 2
    settings.REMOTE_API_BREAKER_FAILURES = 2
    pricing = remote.ContextApi(PRICING, inprocess=lambda: pytest.fail("called in process"))

    started = time.monotonic()
    with pytest.raises(PricingUnavailable) as failed:
        pricing.price(trip_id=uuid.uuid4())
    took = time.monotonic() - started
    assert 0.3 <= took < 0.9, took  # the read timeout once: a retry would have doubled it
    assert len(accepted) == 1
    assert failed.value.code == "pricing.unavailable" and failed.value.retry_after >= 1

    with pytest.raises(PricingUnavailable):
        pricing.prices(trip_ids=[])
    assert remote.client_for(PRICING).breaker.state is BreakerState.OPEN  # two failures in a row
    started = time.monotonic()
    with pytest.raises(PricingUnavailable) as refused:
        pricing.prices(trip_ids=[])
    assert time.monotonic() - started < 0.01
    assert "circuit open" in refused.value.message
    assert len(accepted) == 2
