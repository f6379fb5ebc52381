"""Liveness, readiness and metrics endpoints for load balancers and Prometheus."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from logitrack.metrics import REGISTRY


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and serving. Checks nothing else, so a database outage never restarts web."""
    return JsonResponse({"status": "ok"})


def _check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _check_redis(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        client.ping()
    finally:
        client.close()


@require_GET
def readyz(request: HttpRequest) -> JsonResponse:
    """Ready to take traffic: the database answers, and Redis (channel layer, broker) when configured."""
    checks: dict[str, Callable[[], None]] = {"database": _check_database}
    if settings.REDIS_URL:
        checks["redis"] = lambda: _check_redis(settings.REDIS_URL)
    if (
        settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://"))
        and settings.CELERY_BROKER_URL != settings.REDIS_URL
    ):
        checks["broker"] = lambda: _check_redis(settings.CELERY_BROKER_URL)
    results: dict[str, dict[str, Any]] = {}
    ok = True
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            check()
            results[name] = {"status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)}
        except Exception as exc:  # report, never raise: this endpoint exists to describe failures
            ok = False
            results[name] = {"status": "error", "error": type(exc).__name__}
    return JsonResponse({"status": "ok" if ok else "unavailable", "checks": results}, status=200 if ok else 503)


@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    return HttpResponse(generate_latest(REGISTRY), content_type=CONTENT_TYPE_LATEST)
