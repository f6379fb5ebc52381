"""Heartbeats of the background processes (relay, beat, the workers of each queue), kept in Redis for `/readyz`.

Each process writes `lt:heartbeat:<kind>:<host>:<pid>` with a TTL (HEALTH_HEARTBEAT_TTL_SECONDS) on its own loop: the
relay in its relay loop, beat in its scheduler's tick, and a worker when it runs the `health.heartbeat` task that beat
sends to each queue every HEALTH_HEARTBEAT_SECONDS (so a worker's beat says it took a task off that queue, not only
that its process is up). The keys are listed in the set `lt:heartbeats`, so reading them never scans the keyspace.
An age is the key's TTL already spent, measured by Redis' own clock: hosts whose clocks differ still agree on it.

Writes are best effort: a Redis that cannot be reached is `/readyz`'s own `redis` check, never a crash of the loop
that beats.
"""

from __future__ import annotations

import functools
import json
import os
import socket
import time
from dataclasses import dataclass
from typing import Any

import structlog
from celery import shared_task
from django.conf import settings

log = structlog.get_logger(__name__)

PREFIX = "lt:heartbeat"
INDEX = "lt:heartbeats"
RELAY, BEAT = "relay", "beat"
WORKER_QUEUES = ("events", "default", "notifications", "routing")  # the Procfile's workers' queues
HEARTBEAT_TASK = "health.heartbeat"


def worker_kind(queue: str) -> str:
    return f"worker:{queue}"


@dataclass(frozen=True)
class Beat:
    """One process's latest heartbeat."""

    kind: str
    host: str
    pid: int
    age_seconds: float


@functools.cache
def _client(url: str) -> Any:
    import redis

    # short timeouts: a beat must not hold up the relay's loop, nor a readiness probe wait on a dead Redis
    return redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)


def beat(kind: str, **extra: Any) -> bool:
    """Record that `kind` is alive in this process now. False (and nothing raised) when Redis cannot be reached or
    there is none (the embedded default runs no separate processes)."""
    if not settings.REDIS_URL:
        return False
    ttl = max(1, int(settings.HEALTH_HEARTBEAT_TTL_SECONDS))
    host, pid = socket.gethostname(), os.getpid()
    key = f"{PREFIX}:{kind}:{host}:{pid}"
    value = json.dumps({"kind": kind, "host": host, "pid": pid, "at": time.time(), "ttl": ttl, **extra})
    try:
        pipe = _client(settings.REDIS_URL).pipeline(transaction=False)
        pipe.set(key, value, px=ttl * 1000)
        pipe.sadd(INDEX, key)
        pipe.execute()
    except Exception as exc:
        log.debug("heartbeat.not_written", kind=kind, error=repr(exc))
        return False
    return True


class Pulse:
    """A loop's heartbeat, written at most every HEALTH_HEARTBEAT_SECONDS however often the loop goes round."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._next = 0.0

    def __call__(self) -> None:
        now = time.monotonic()
        if now >= self._next:
            self._next = now + float(settings.HEALTH_HEARTBEAT_SECONDS)
            beat(self.kind)


def read_all() -> list[Beat]:
    """Every heartbeat still in Redis (raises if Redis cannot be reached). Keys that expired leave the index."""
    client = _client(settings.REDIS_URL)
    keys = [k.decode() if isinstance(k, bytes) else k for k in client.smembers(INDEX)]
    if not keys:
        return []
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.get(key)
        pipe.pttl(key)
    answers = pipe.execute()
    beats, gone = [], []
    for key, raw, left_ms in zip(keys, answers[0::2], answers[1::2], strict=True):
        if raw is None or left_ms is None or left_ms < 0:
            gone.append(key)
            continue
        data = json.loads(raw)
        age = max(0.0, float(data["ttl"]) - left_ms / 1000)
        beats.append(Beat(kind=data["kind"], host=data["host"], pid=int(data["pid"]), age_seconds=round(age, 1)))
    if gone:
        client.srem(INDEX, *gone)
    return beats


@shared_task(name=HEARTBEAT_TASK, ignore_result=True)  # type: ignore[untyped-decorator]  # celery ships no types
def heartbeat(queue: str) -> None:
    """Sent by beat to each worker queue (config/celery.py): the worker that takes it off the queue beats for it."""
    beat(worker_kind(queue))
