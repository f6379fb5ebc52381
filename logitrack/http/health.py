"""Liveness, readiness and metrics endpoints for load balancers and Prometheus."""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import GaugeMetricFamily

from logitrack import heartbeats
from logitrack.db import contexts
from logitrack.metrics import register_scrape_collector, scrape_registry


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving. Checks nothing else, so a database outage never restarts web."""
    return JsonResponse({"status": "ok"})


def _check_database(using: str = DEFAULT_DB_ALIAS) -> None:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


def _check_channel_layer() -> None:
    """A group message through the configured layer (Redis pub/sub on the full stack), as a push to screens goes."""
    from asgiref.sync import async_to_sync
    from channels.layers import get_channel_layer

    layer = get_channel_layer()

    async def send() -> None:
        await asyncio.wait_for(layer.group_send("health.readyz", {"type": "health.check"}), timeout=2)

    async_to_sync(send)()


_FAILED = {
    "database": "the database did not answer SELECT 1",
    "redis": "Redis (cache, channel layer, heartbeats) did not answer PING",
    "broker": "the Celery broker did not answer PING",
    "channel_layer": "the channel layer could not send a group message",
}


def _dependencies() -> dict[str, Callable[[], None]]:
    checks: dict[str, Callable[[], None]] = {"database": _check_database}
    for using in contexts.aliases()[1:]:  # a context on a database of its own: `database:<alias>`
        checks[f"database:{using}"] = functools.partial(_check_database, using)
    if settings.REDIS_URL:
        checks["redis"] = lambda: _check_redis(settings.REDIS_URL)
    if (
        settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
        and settings.CELERY_BROKER_URL != settings.REDIS_URL
    ):
        checks["broker"] = lambda: _check_redis(settings.CELERY_BROKER_URL)
    checks["channel_layer"] = _check_channel_layer
    return checks


def _expected_processes() -> list[str]:
    """The separate processes this configuration relies on: none in the embedded default."""
    kinds = [] if settings.OUTBOX_INLINE_RELAY else [heartbeats.RELAY]
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        kinds += [heartbeats.BEAT, *(heartbeats.worker_kind(q) for q in heartbeats.WORKER_QUEUES)]
    return kinds


def process_checks(
    beats: list[heartbeats.Beat] | None, *, expected: list[str], required: set[str], stale_after: float
) -> dict[str, dict[str, Any]]:
    """Each expected process's check from the heartbeats read (`None`: Redis, which keeps them, did not answer)."""
    by_kind: dict[str, list[heartbeats.Beat]] = {}
    for beat in beats or []:
        by_kind.setdefault(beat.kind, []).append(beat)
    checks: dict[str, dict[str, Any]] = {}
    for kind in expected:
        mine = sorted(by_kind.get(kind, []), key=lambda b: b.age_seconds)
        check: dict[str, Any]
        if beats is None:
            check = {
                "status": "unknown",
                "age_seconds": None,
                "detail": "heartbeats are kept in Redis, which did not answer",
            }
        elif not mine:
            check = {
                "status": "missing",
                "age_seconds": None,
                "detail": f"no heartbeat in the last {settings.HEALTH_HEARTBEAT_TTL_SECONDS} s: "
                "not running, or never started",
            }
        else:
            age = mine[0].age_seconds
            fresh = [b for b in mine if b.age_seconds <= stale_after]
            check = {
                "status": "ok" if fresh else "stale",
                "age_seconds": age,
                "detail": (
                    f"{len(fresh)} process(es) beating, latest {age} s ago"
                    if fresh
                    else f"latest heartbeat {age} s ago, stale after {stale_after:g} s: stopped or stuck"
                ),
            }
        check.update(required=kind in required, stale_after_seconds=stale_after)
        if mine:
            check["instances"] = [{"host": b.host, "pid": b.pid, "age_seconds": b.age_seconds} for b in mine]
        checks[kind] = check
    beat_ok = checks.get(heartbeats.BEAT, {}).get("status", "ok") == "ok"
    for kind, check in checks.items():
        if kind.startswith("worker:") and check["status"] != "ok" and not beat_ok:
            check["detail"] += " (beat sends the workers' heartbeat tasks, and beat is not beating)"
    return checks


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic, and what is wrong if not: each dependency (database, Redis, broker, channel layer) and
    each background process's heartbeat with its age (logitrack/heartbeats.py). 503 when a dependency fails or a
    process of HEALTH_REQUIRED_PROCESSES is stale or missing; "degraded" (200) when only another process is."""
    body = readiness()
    return JsonResponse(body, status=503 if body["status"] == "unavailable" else 200)


def readiness() -> dict[str, Any]:
    """`/readyz`'s body: its `status` (ok, degraded, unavailable), `mode` and `checks`."""
    results: dict[str, dict[str, Any]] = {}
    for name, check in _dependencies().items():
        started = time.perf_counter()
        try:
            check()
            results[name] = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception as exc:  # report, never raise: this endpoint exists to describe failures
            detail = _FAILED[name.partition(":")[0]] + (
                f" (the {name.partition(':')[2]} database)" if ":" in name else ""
            )
            results[name] = {"status": "error", "error": type(exc).__name__, "detail": detail}
    if not settings.REDIS_URL:
        results["channel_layer"]["detail"] = "in memory, this process only"
    expected = _expected_processes()
    if expected:
        try:
            beats: list[heartbeats.Beat] | None = heartbeats.read_all()
        except Exception:
            beats = None
        required = set(settings.HEALTH_REQUIRED_PROCESSES)
        results.update(
            process_checks(beats, expected=expected, required=required, stale_after=settings.HEALTH_STALE_SECONDS)
        )
    else:
        results["processes"] = {
            "status": "ok",
            "detail": "embedded mode: jobs, the outbox relay and the periodic jobs run inside this process; "
            "there are no separate processes to watch",
        }
    failed = any(c["status"] == "error" for c in results.values()) or any(
        c.get("required") and c["status"] != "ok" for c in results.values()
    )
    degraded = any(c["status"] != "ok" for c in results.values())
    status = "unavailable" if failed else "degraded" if degraded else "ok"
    return {"status": status, "mode": "full_stack" if expected else "embedded", "checks": results}


class ReadinessCollector:
    """`/readyz` as gauges, computed per scrape, so Prometheus can alert on readiness without a prober."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        body = readiness()
        ready = GaugeMetricFamily(
            "logitrack_ready", "1 when /readyz answers 200 (ok or degraded), 0 when it answers 503 (unavailable)"
        )
        ready.add_metric([], 0 if body["status"] == "unavailable" else 1)
        yield ready
        checks = GaugeMetricFamily(
            "logitrack_readiness_check_ok",
            "Each /readyz check: 1 ok, 0 failing (a dependency's error; a process stale, missing or unknown)",
            labels=["check"],
        )
        for name, check in body["checks"].items():
            checks.add_metric([name], 1 if check["status"] == "ok" else 0)
        yield checks


register_scrape_collector(ReadinessCollector())  # this module is loaded where /metrics is served


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(scrape_registry()), content_type=CONTENT_TYPE_LATEST)
