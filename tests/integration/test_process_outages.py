"""The long-running processes ride out an outage of PostgreSQL and of Redis (the broker) and resume by themselves.

The relay, a Celery worker and beat run as deployed, against a private Redis (stopped and started here) and
reaching PostgreSQL through a TCP proxy that the test cuts, as a PostgreSQL restart looks to them; the test itself
keeps its own connection, so it publishes during the outages as the web process of another machine would. Nothing
shared is stopped. The outage backoff is capped at one second here (production: 30 s).
"""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from apps.dispatch.models import RoutingJob
from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage
from logitrack.testing.processes import Processes, RedisServer, TcpProxy, wait_for_worker, wait_until
from tests.support.ping.services import ping_send
from tests.support.pong.models import Receipt

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

OUTAGE_ENV = {
    "OUTAGE_BACKOFF_BASE_SECONDS": "0.1",
    "OUTAGE_BACKOFF_MAX_SECONDS": "1",
    "DISPATCH_JOB_REAP_SECONDS": "1",  # beat sends the reaper every second: the periodic job watched here
}
OUTAGE_SECONDS = 3  # several backoff rounds at a one-second cap


@pytest.fixture
def behind_proxy(tmp_path):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.fail("the process tests need PostgreSQL and Redis (run scripts/test.sh)")
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    proxy = TcpProxy.to_database().start()
    procs = Processes(tmp_path, redis_url=redis.url, env={"DATABASE_URL": proxy.database_url(), **OUTAGE_ENV})
    try:
        yield procs, proxy, redis
    finally:
        procs.stop_all()
        proxy.cut()
        redis.stop()


def stale_job() -> RoutingJob:
    """A routing job whose worker vanished long ago: beat's reaper (every second here) fails it."""
    return RoutingJob.objects.create(
        fleet_id=uuid.uuid4(),
        status="running",
        seconds=1,
        attempts=2,
        started_at=timezone.now() - dt.timedelta(hours=1),
    )


def reaped(job: RoutingJob) -> bool:
    return RoutingJob.objects.get(id=job.id).status == "failed"


def publish(label: str, n: int) -> list[uuid.UUID]:
    return [ping_send(label=f"{label}-{i}").id for i in range(n)]


def delivered_once(ping_ids: list[uuid.UUID]) -> bool:
    counts = {p: Receipt.objects.filter(ping_id=p).count() for p in ping_ids}
    assert all(c <= 1 for c in counts.values()), f"a ping was applied twice: {counts}"
    return all(counts.values())


def outages(log: str) -> tuple[int, int]:
    return log.count("outage.began"), log.count("outage.ended")


def test_relay_worker_and_beat_ride_out_a_postgresql_and_a_redis_outage(behind_proxy):
    procs, proxy, redis = behind_proxy
    procs.worker(concurrency=1)
    procs.relay()
    procs.beat()
    wait_for_worker(broker_url=redis.url, names=("worker",))
    broker = Celery(broker=redis.url, set_as_current=False)

    before = publish("before", 3)
    job = stale_job()
    wait_until(lambda: delivered_once(before) and reaped(job), timeout=60, what="delivery and reaping before")

    # PostgreSQL goes away under all three
    proxy.cut()
    cut_at = time.monotonic()
    during = publish("pg-down", 3)  # committed elsewhere: the relay must send them once it can read them
    job = stale_job()
    # ... and three events the relay had handed to the broker just before: the worker must apply them once the
    # database is back, not spend its three attempts on the outage and park them
    relayed = publish("pg-down-relayed", 3)
    rows = OutboxMessage.objects.filter(envelope__data__ping_id__in=[str(p) for p in relayed])
    rows.update(published_at=timezone.now())
    for row in rows:
        broker.send_task("outbox.deliver", args=("pong.record_ping", row.envelope), queue="events")
    time.sleep(max(0.0, cut_at + OUTAGE_SECONDS - time.monotonic()))
    for name in ("worker", "relay", "beat"):
        procs.check_alive(name)
    assert not Receipt.objects.filter(ping_id__in=during + relayed).exists()
    proxy.restore()
    wait_until(lambda: delivered_once(during + relayed) and reaped(job), timeout=60, what="delivery and reaping after")
    assert outages(procs.log("relay")) == (1, 1)  # once per outage, not per retry
    assert outages(procs.log("beat")) == (1, 1)
    assert outages(procs.log("worker"))[0] == 1  # one pool process

    # Redis (the broker) goes away under all three
    redis.stop()
    down_at = time.monotonic()
    during_redis = publish("redis-down", 3)
    job = stale_job()
    time.sleep(max(0.0, down_at + OUTAGE_SECONDS - time.monotonic()))
    for name in ("worker", "relay", "beat"):
        procs.check_alive(name)
    redis.start()
    wait_until(lambda: delivered_once(during_redis) and reaped(job), timeout=60, what="delivery and reaping after")
    assert outages(procs.log("relay")) == (2, 2)
    assert outages(procs.log("beat"))[0] == 2

    everything = before + during + relayed + during_redis
    assert Receipt.objects.count() == len(everything) and delivered_once(everything)
    assert InboxRecord.objects.filter(subscriber="pong.record_ping").count() == len(everything)
    assert not DeadLetter.objects.exists()
    wait_until(lambda: not OutboxMessage.objects.filter(published_at__isnull=True).exists(), what="an empty outbox")
    assert not procs.died()
    broker.close()
