"""pytest plugin (loaded from pyproject): fixtures every app's tests use."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest

REDIS_DATABASES = 16  # redis-server's default `databases`


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Under pytest-xdist each worker gets a Redis database of its own, before Django reads its settings (the
    workers' test databases get pytest-django's `_gw<n>` suffix): broker, cache, channel layer and live positions
    of one worker's tests never meet another's. `REDIS_URL`'s database is worker 0's; worker n's is n after it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = worker_redis_url(os.environ["REDIS_URL"], int(worker.removeprefix("gw")))


def worker_redis_url(url: str, worker: int) -> str:
    """`redis://host:port/<db>` with the database moved `worker` places on."""
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    db = base + worker
    if db >= REDIS_DATABASES:
        raise pytest.UsageError(
            f"pytest-xdist worker {worker} would need Redis database {db} (REDIS_URL's is {base}): "
            f"fewer workers (-n), or a lower database in REDIS_URL / TEST_REDIS_URL"
        )
    return urlunsplit(parts._replace(path=f"/{db}"))


def pytest_configure(config: pytest.Config) -> None:
    """Transactional tests end with a quicker flush to the same state (logitrack/testing/flush.py)."""
    from logitrack.testing import flush

    flush.install()


@pytest.fixture
def captured_events() -> Any:
    """`with captured_events() as published: ...` — the events committed inside the block."""
    from logitrack.testing.events import captured_events

    return captured_events


@pytest.fixture
def relay_and_deliver() -> Callable[[], int]:
    """Call to relay pending outbox rows and deliver them to subscribers in-process."""
    from logitrack.testing.events import relay_and_deliver

    return relay_and_deliver


@pytest.fixture
def api_client() -> Any:
    from rest_framework.test import APIClient

    return APIClient()


@pytest.fixture
def make_user(db: None, django_user_model: Any) -> Callable[..., Any]:
    """Create a user with the project's user model (any context's tests may use it)."""
    counter = iter(range(1, 1_000_000))

    def make(**fields: Any) -> Any:
        n = next(counter)
        fields.setdefault("email", f"user{n}@example.test")
        password = fields.pop("password", "correct horse battery staple")
        return django_user_model.objects.create_user(password=password, **fields)

    return make


@pytest.fixture
def user_client(api_client: Any, make_user: Callable[..., Any]) -> Callable[..., tuple[Any, Any]]:
    """An API client authenticated as a fresh user; returns (client, user)."""

    def make(**fields: Any) -> tuple[Any, Any]:
        from rest_framework.test import APIClient

        user = make_user(**fields)
        client = APIClient()
        client.force_authenticate(user=user)
        return client, user

    return make


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    """A settable clock behind `django.utils.timezone.now`: `clock.at("2026-11-10 23:30", "Europe/Berlin")`."""
    import datetime as dt

    from django.utils import timezone

    from logitrack.testing.clock import Clock

    fixed = Clock(dt.datetime(2026, 11, 10, 12, 0, tzinfo=dt.UTC))
    monkeypatch.setattr(timezone, "now", fixed)
    return fixed


@pytest.fixture
def spans() -> Any:
    """Tracing on, every finished span kept in memory (`spans.get_finished_spans()`); off again afterwards."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from logitrack import tracing

    exporter = InMemorySpanExporter()
    tracing.enable(exporter, batch=False, role="test")
    try:
        yield exporter
    finally:
        tracing.disable()
