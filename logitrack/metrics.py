"""Prometheus metrics: request counters in this process, plus queue gauges read at scrape time."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

REGISTRY = CollectorRegistry()

HTTP_REQUESTS = Counter(
    "logitrack_http_requests_total", "HTTP requests served", ["method", "route", "status"], registry=REGISTRY
)
HTTP_LATENCY = Histogram(
    "logitrack_http_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


class OutboxCollector:
    """Backlog and dead letters are shared state in the database, so every process reports the truth."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from logitrack.outbox.models import DeadLetter, OutboxMessage  # needs the app registry

        pending = GaugeMetricFamily("logitrack_outbox_pending", "Committed events not yet relayed")
        pending.add_metric([], OutboxMessage.objects.filter(published_at__isnull=True).count())
        yield pending
        dead = GaugeMetricFamily("logitrack_outbox_dead_letters", "Parked deliveries awaiting replay")
        dead.add_metric([], DeadLetter.objects.filter(replayed_at__isnull=True).count())
        yield dead


REGISTRY.register(OutboxCollector())
