"""Prometheus metrics: counters kept by each process, plus gauges of shared state read at scrape time.

With PROMETHEUS_MULTIPROC_DIR set (several uvicorn workers, Celery's pool processes) prometheus_client keeps each
process's counters in files of that directory and a scrape sums them (`scrape_registry`); the scrape-time collectors
read PostgreSQL and Redis, which every process sees alike, so they are added once per scrape, never summed. The
variable must be set before prometheus_client is imported (in the process environment), and the directory emptied
when the fleet starts.
"""

from __future__ import annotations

import atexit
import base64
import datetime as dt
import json
import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import prometheus_client
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, multiprocess, values
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def process_id(pid: int | None = None) -> str:
    """A process's name in the multiprocess directory's file names: host and pid, so containers sharing the directory
    (each with its own pid 1) never write one file. No `_`: prometheus_client splits file names on it."""
    return f"{socket.gethostname().replace('_', '-')}-{pid if pid is not None else os.getpid()}"


if os.environ.get(MULTIPROC_ENV):
    # before any metric exists (this module is imported first, by config/celery.py), django-prometheus's included
    values.ValueClass = values.MultiProcessValue(process_identifier=process_id)  # type: ignore[no-untyped-call]

REGISTRY = CollectorRegistry()  # the metrics this process keeps (and, single-process, the scrape-time ones)
_SCRAPE_COLLECTORS: list[Collector] = []  # shared state, read once per scrape

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


# Counted where the work ends, in whichever process does it (summed across processes in multiprocess mode).
ROUTING_JOBS = Counter(
    "logitrack_routing_jobs_total", "Routing job runs that ended, by outcome", ["outcome"], registry=REGISTRY
)
ROUTING_JOB_SECONDS = Histogram(
    "logitrack_routing_job_seconds",
    "Time a routing job's run took (solve and write), by outcome",
    ["outcome"],
    registry=REGISTRY,
    buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600),
)
SETTLEMENTS = Counter("logitrack_settlements_total", "Completed trips whose fare was recorded", registry=REGISTRY)
LOGIN_FAILURES = Counter("logitrack_login_failures_total", "Failed sign-ins", registry=REGISTRY)
LOGIN_LOCKOUTS = Counter(
    "logitrack_login_lockouts_total", "Sign-ins refused because the account or address is locked", registry=REGISTRY
)
NOTIFICATION_DELIVERIES = Counter(
    "logitrack_notification_deliveries_total",
    "Notification delivery attempts, by channel and outcome",
    ["channel", "outcome"],
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "logitrack_webhook_deliveries_total", "Webhook delivery attempts, by outcome", ["outcome"], registry=REGISTRY
)
PINGS_STORED = Counter(
    "logitrack_pings_stored_total",
    "Driver positions stored in the history (new pings; resent ones not counted)",
    registry=REGISTRY,
)
PING_TO_SCREEN_SECONDS = Histogram(
    "logitrack_ping_to_screen_seconds",
    "From the server's receipt of a ping to its position's push to the fleet's dispatch screens, by transport",
    ["via"],
    registry=REGISTRY,
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
CELERY_TASK_WAIT_SECONDS = Histogram(
    "logitrack_celery_task_wait_seconds",
    "From a task's publish (or the time it was scheduled for) to a worker starting it, per queue",
    ["queue"],
    registry=REGISTRY,
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
)
# calls to a context run as its own service (logitrack.remote): `ok`, `error` (a contract error: the service is up),
# `unavailable` (refused, timed out, 5xx), `refused` (the breaker was open); and each time a breaker opened
REMOTE_CALLS = Counter(
    "logitrack_remote_calls_total",
    "Calls to another context's service, by service, call and outcome",
    ["service", "call", "outcome"],
    registry=REGISTRY,
)
BREAKER_OPENED = Counter(
    "logitrack_breaker_opened_total", "Times a circuit breaker opened, by breaker", ["breaker"], registry=REGISTRY
)
# open sockets per process; in multiprocess mode the live processes' values are summed and a dead one's dropped
WEBSOCKETS = Gauge(
    "logitrack_websocket_connections",
    "Open websocket connections, by kind (driver, screen, tracking)",
    ["kind"],
    registry=REGISTRY,
    multiprocess_mode="livesum",
)


# Labelled series exist (at 0) before their first event, so a rate reads 0, not "no data", on dashboards and alerts.
for _outcome in ("succeeded", "failed", "retried", "interrupted"):
    ROUTING_JOBS.labels(_outcome)
for _outcome in ("succeeded", "failed", "interrupted"):  # the outcomes a run is timed with
    ROUTING_JOB_SECONDS.labels(_outcome)
for _outcome in ("sent", "retry", "dead"):
    WEBHOOK_DELIVERIES.labels(_outcome)
for _channel in ("email", "sms", "push"):
    for _outcome in ("sent", "transient", "permanent", "deferred", "suppressed"):
        NOTIFICATION_DELIVERIES.labels(_channel, _outcome)
for _via in ("websocket", "rest"):
    PING_TO_SCREEN_SECONDS.labels(_via)


def observe_routing_job(*, outcome: str, seconds: float) -> None:
    ROUTING_JOBS.labels(outcome).inc()
    ROUTING_JOB_SECONDS.labels(outcome).observe(seconds)


def observe_request(*, method: str, route: str, status: int, seconds: float) -> None:
    HTTP_REQUESTS.labels(method, route, str(status)).inc()
    HTTP_LATENCY.labels(method, route).observe(seconds)


# ---- Celery: how long a task waited in its queue -------------------------------------------------------------------

PUBLISHED_HEADER = "lt_published_at"  # epoch seconds, stamped by the publisher (before_task_publish)


def _stamp_published(headers: dict[str, Any] | None = None, **kwargs: Any) -> None:
    if headers is not None:
        headers[PUBLISHED_HEADER] = time.time()  # a retry is published again: it waits from then


def _observe_wait(task: Any = None, **kwargs: Any) -> None:
    """At a task's start in a worker: the time since it was published, or since its countdown/eta if it had one. Hosts
    whose clocks differ skew it by the difference (keep them on NTP)."""
    request = getattr(task, "request", None)
    if request is None or request.is_eager:
        return
    published = getattr(request, PUBLISHED_HEADER, None)
    if not isinstance(published, (int, float)):
        return  # sent by a process that does not stamp (an older release): not measured
    since = float(published)
    if request.eta:
        try:
            since = max(since, dt.datetime.fromisoformat(str(request.eta)).timestamp())
        except ValueError:
            pass
    queue = (request.delivery_info or {}).get("routing_key") or "unknown"
    CELERY_TASK_WAIT_SECONDS.labels(queue).observe(max(0.0, time.time() - since))


def connect_celery() -> None:
    """Measure each task's wait in its queue (config/celery.py calls this once)."""
    from celery import signals

    signals.before_task_publish.connect(_stamp_published, weak=False)
    signals.task_prerun.connect(_observe_wait, weak=False)


class OutboxCollector:
    """Backlog, lag and dead letters are shared state in the database and the broker, so every process reports the
    truth. The lag is the age of the oldest event some subscriber has not been handed yet: the oldest one still in
    the outbox, or the oldest waiting in an events queue of the broker (Redis)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.db.models import Count
        from django.utils import timezone

        from logitrack import bus
        from logitrack.db import contexts
        from logitrack.outbox.models import DeadLetter, OutboxMessage  # needs the app registry

        now = timezone.now()
        aliases = contexts.aliases()  # every context's outbox and dead letters, when each has a database
        pending = GaugeMetricFamily("logitrack_outbox_pending", "Committed events not yet relayed")
        unrelayed = [OutboxMessage.objects.using(using).filter(published_at__isnull=True) for using in aliases]
        pending.add_metric([], sum(qs.count() for qs in unrelayed))
        yield pending
        oldest = min(
            (row for qs in unrelayed if (row := qs.order_by("id").values_list("created_at").first()) is not None),
            default=None,
        )
        relay_lag = max(0.0, (now - oldest[0]).total_seconds()) if oldest else 0.0
        relay = GaugeMetricFamily(
            "logitrack_outbox_oldest_pending_seconds", "Age of the oldest committed event not yet relayed"
        )
        relay.add_metric([], relay_lag)
        yield relay
        queues = _event_queues()
        length = GaugeMetricFamily(
            "logitrack_events_queue_length", "Delivery tasks waiting in the broker, per queue", labels=["queue"]
        )
        waiting = GaugeMetricFamily(
            "logitrack_events_queue_oldest_seconds",
            "Age of the oldest event waiting in the broker for delivery, per queue",
            labels=["queue"],
        )
        lag = relay_lag
        for queue, (count, oldest_at) in queues.items():
            age = max(0.0, (now - oldest_at).total_seconds()) if oldest_at else 0.0
            length.add_metric([queue], count)
            waiting.add_metric([queue], age)
            lag = max(lag, age)
        if queues:
            yield length
            yield waiting
        total = GaugeMetricFamily(
            "logitrack_events_lag_seconds",
            "Age of the oldest event not yet handed to its subscribers (outbox or broker queue)",
        )
        total.add_metric([], lag)
        yield total
        parked: dict[str, int] = {}
        for using in aliases:
            for name, n in (
                DeadLetter.objects.using(using)
                .filter(replayed_at__isnull=True)
                .values("subscriber")
                .annotate(n=Count("id"))
                .values_list("subscriber", "n")
            ):
                parked[name] = parked.get(name, 0) + n
        dead = GaugeMetricFamily("logitrack_outbox_dead_letters", "Parked deliveries awaiting replay")
        dead.add_metric([], sum(parked.values()))
        yield dead
        per = GaugeMetricFamily(
            "logitrack_outbox_subscription_dead_letters",
            "Parked deliveries awaiting replay, per subscription (every subscription, 0 included)",
            labels=["subscriber"],
        )
        for name in sorted({s.name for s in bus.all_subscriptions()} | set(parked)):
            per.add_metric([name], parked.get(name, 0))
        yield per


def _event_queues() -> dict[str, tuple[int, dt.datetime | None]]:
    """(length, time of the oldest event) of each queue subscriptions deliver on, read from a Redis broker: the
    oldest task is at the tail of the queue's list. Nothing when the broker is not Redis or does not answer: a
    scrape never fails for it."""
    from django.conf import settings

    from logitrack import bus

    url = str(settings.CELERY_BROKER_URL)
    if not url.startswith(("redis://", "rediss://")):
        return {}
    import redis

    queues = sorted({s.queue for s in bus.all_subscriptions()})
    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.llen(queue)
                pipe.lindex(queue, -1)
            replies = pipe.execute()
    except redis.RedisError:
        return {}
    return {queue: (int(replies[2 * i]), _event_time(replies[2 * i + 1])) for i, queue in enumerate(queues)}


def _event_time(message: bytes | None) -> dt.datetime | None:
    """When the event of a queued `outbox.deliver` or `outbox.deliver_batch` task occurred (its envelope's time)."""
    if not message:
        return None
    try:
        payload: dict[str, Any] = json.loads(message)
        body = payload["body"]
        if payload.get("properties", {}).get("body_encoding") == "base64":
            body = base64.b64decode(body)
        args = json.loads(body)[0]
        envelopes = args[1] if isinstance(args[1], list) else [args[1]]
        return min(dt.datetime.fromisoformat(e["time"]) for e in envelopes)
    except (ValueError, KeyError, IndexError, TypeError):
        return None


class ProcessesCollector:
    """Celery queue depth and the background processes' heartbeats, both read from Redis at scrape time. A Redis
    that does not answer yields nothing (absent series, which `/readyz` and an `absent()` alert catch)."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        from django.conf import settings

        from logitrack import heartbeats

        depth = _queue_lengths(str(settings.CELERY_BROKER_URL))
        if depth:
            length = GaugeMetricFamily(
                "logitrack_celery_queue_length", "Tasks waiting in the broker, per Celery queue", labels=["queue"]
            )
            for queue, count in depth.items():
                length.add_metric([queue], count)
            yield length
        if not settings.REDIS_URL:
            return  # embedded: no separate processes beat
        try:
            beats = heartbeats.read_all()
        except Exception:
            return
        kinds = [heartbeats.RELAY, heartbeats.BEAT, *map(heartbeats.worker_kind, heartbeats.WORKER_QUEUES)]
        kinds += sorted({b.kind for b in beats} - set(kinds))
        age = GaugeMetricFamily(
            "logitrack_process_heartbeat_age_seconds",
            "Age of the latest heartbeat of any process of a kind (relay, beat, worker:<queue>); absent when none",
            labels=["kind"],
        )
        instances = GaugeMetricFamily(
            "logitrack_process_instances", "Processes of a kind whose heartbeat has not expired", labels=["kind"]
        )
        for kind in kinds:
            mine = [b.age_seconds for b in beats if b.kind == kind]
            instances.add_metric([kind], len(mine))
            if mine:
                age.add_metric([kind], min(mine))
        yield age
        yield instances


def _queue_lengths(url: str) -> dict[str, int]:
    """Length of each Celery queue's list in a Redis broker: the workers' queues and the subscriptions' ones."""
    if not url.startswith(("redis://", "rediss://")):
        return {}
    import redis

    from logitrack import bus, heartbeats

    queues = sorted(set(heartbeats.WORKER_QUEUES) | {s.queue for s in bus.all_subscriptions()})
    try:
        client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        with client.pipeline(transaction=False) as pipe:
            for queue in queues:
                pipe.llen(queue)
            replies = pipe.execute()
    except redis.RedisError:
        return {}
    return {queue: int(n) for queue, n in zip(queues, replies, strict=True)}


def register_scrape_collector(collector: Collector) -> None:
    _SCRAPE_COLLECTORS.append(collector)
    REGISTRY.register(collector)


def multiprocess_dir() -> str | None:
    return os.environ.get(MULTIPROC_ENV) or None


def scrape_registry() -> CollectorRegistry:
    """What `/metrics` serves: this process's REGISTRY, or in multiprocess mode every live and dead process's
    metrics summed from PROMETHEUS_MULTIPROC_DIR (not this process's REGISTRY: its values are in those files too)
    plus the scrape-time collectors once."""
    path = multiprocess_dir()
    if path is None:
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=path)  # type: ignore[no-untyped-call]  # untyped upstream
    for collector in _SCRAPE_COLLECTORS:
        registry.register(collector)
    return registry


def process_exited(pid: int | None = None) -> None:
    """Drop a gone process's live gauges (websocket connections) from the multiprocess files; its counters stay
    summed. Celery calls it as a pool process ends, and each process at exit (logitrack.apps)."""
    path = multiprocess_dir()
    if path is not None:
        multiprocess.mark_process_dead(process_id(pid), path)  # type: ignore[no-untyped-call]


register_scrape_collector(OutboxCollector())
# django-prometheus (the database backend's connection, query and error counts) registers on prometheus_client's
# default registry: served with ours from this process (multiprocess mode finds its values in the files anyway)
REGISTRY.register(prometheus_client.REGISTRY)
register_scrape_collector(ProcessesCollector())
if multiprocess_dir() is not None:
    atexit.register(process_exited)  # a uvicorn worker, the relay: a clean exit; pool processes use Celery's signal
