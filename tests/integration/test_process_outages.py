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
from logitrack.testing.processes import Processes, RedisServer, TcpProxy, database_url, wait_for_worker, wait_until
from tests.e2e.clients import Api, DriverApp
from tests.e2e.conftest import build_operator
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
    # every database behind the proxy: split, each context's too (they are on the same server)
    through = {
        f"DATABASE_URL_{context.upper()}": database_url(alias=alias, host="127.0.0.1", port=proxy.port)
        for context, alias in getattr(settings, "CONTEXT_DATABASES", {}).items()
    }
    procs = Processes(
        tmp_path, redis_url=redis.url, env={"DATABASE_URL": proxy.database_url(), **through, **OUTAGE_ENV}
    )
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


def logged_outages(procs, name: str, ended: int) -> tuple[int, int]:
    """The process' outage lines once it has logged `ended` ends: a loop logs `outage.ended` after the work of its
    first success, which another process may already have finished (the worker applied what the relay sent)."""
    try:
        wait_until(lambda: outages(procs.log(name))[1] >= ended, timeout=10, what=f"{name} logging its outage's end")
    except AssertionError:
        pass  # the caller's assertion says what was logged instead
    return outages(procs.log(name))


def test_relay_worker_and_beat_ride_out_a_postgresql_and_a_redis_outage(behind_proxy):
    procs, proxy, redis = behind_proxy
    proxy.cut()  # they start while PostgreSQL is still away (every service starting at once)
    procs.worker(concurrency=1)
    procs.relay()
    procs.beat()
    wait_for_worker(broker_url=redis.url, names=("worker",))
    broker = Celery(broker=redis.url, set_as_current=False)
    time.sleep(1)
    for name in ("worker", "relay", "beat"):
        procs.check_alive(name)
    proxy.restore()

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
    assert logged_outages(procs, "relay", 2) == (2, 2)  # once per outage (at start-up, then this one), not per retry
    assert logged_outages(procs, "beat", 2) == (2, 2)
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
    assert logged_outages(procs, "relay", 3) == (3, 3)
    assert outages(procs.log("beat"))[0] == 3

    everything = before + during + relayed + during_redis
    assert Receipt.objects.count() == len(everything) and delivered_once(everything)
    assert InboxRecord.objects.filter(subscriber="pong.record_ping").count() == len(everything)
    assert not DeadLetter.objects.exists()
    wait_until(lambda: not OutboxMessage.objects.filter(published_at__isnull=True).exists(), what="an empty outbox")
    assert not procs.died()
    broker.close()


def outage_lines(log: str, loop: str) -> tuple[int, int]:
    lines = [line for line in log.splitlines() if f'"{loop}"' in line]
    return sum("outage.began" in line for line in lines), sum("outage.ended" in line for line in lines)


def resend_until_acked(app: DriverApp, timeout: float = 60) -> None:
    """What the driver app does: reconnect if the socket closed, resend what was not acked, until all is."""
    deadline = time.monotonic() + timeout
    while app.unacked and time.monotonic() < deadline:
        if app.socket.closed_with is not None:
            try:
                app.connect()
            except Exception:
                time.sleep(0.5)
                continue
        app.resend_unacked()
        time.sleep(0.5)
        app.collect_acks()
    assert not app.unacked, f"{len(app.unacked)} pings never acked"


def test_the_web_servers_ping_loops_ride_out_a_postgresql_and_a_redis_outage(behind_proxy):
    procs, proxy, redis = behind_proxy
    procs.env |= {"DATABASE_POOL_TIMEOUT": "2", "DISPATCH_DUTY_RECHECK_SECONDS": "1"}  # the roster loop meets it
    procs.worker(concurrency=1)
    procs.relay()
    base = procs.web()
    wait_for_worker(broker_url=redis.url, names=("worker",))
    operator = build_operator(drivers=1, auto_dispatch=False)
    me = operator.drivers[0]
    driver = Api(base).login(me.email)
    driver.expect(200, "POST", "/api/v1/partner/me/duty/", json={"on_duty": True})
    app = DriverApp(base, driver)
    app.wait_acked(app.ping(52.5200, 13.4050))

    # PostgreSQL goes away: positions still move the live map, but the history cannot be written, so nothing is
    # acked; the app keeps its pings and resends them once the server acks again
    proxy.cut()
    for n in range(10):
        app.ping(52.5200 - 0.0005 * n, 13.4050)
        time.sleep(OUTAGE_SECONDS / 10)
    app.collect_acks()
    assert len(app.unacked) == 10
    procs.check_alive("web")
    proxy.restore()
    resend_until_acked(app)
    assert outage_lines(procs.log("web"), "dispatch.ingest_store") == (1, 1)
    assert outage_lines(procs.log("web"), "dispatch.duty_roster")[0] <= 1

    # Redis goes away: the live map and the screens cannot be reached, nothing is acked, the socket may drop
    redis.stop()
    for n in range(10):
        try:
            app.ping(52.5100, 13.4050 + 0.0005 * n)
        except Exception:  # the socket closed under the app: it keeps the ping and reconnects later
            pass
        time.sleep(OUTAGE_SECONDS / 10)
    procs.check_alive("web")
    redis.start()
    resend_until_acked(app)
    assert outage_lines(procs.log("web"), "dispatch.ingest_live")[0] <= 1
    assert outage_lines(procs.log("web"), "channel_layer.receive")[0] == 1  # not a traceback every second

    dispatcher = Api(base).login(operator.dispatcher_email)
    trail = dispatcher.get(
        f"/api/v1/dispatch/drivers/{me.driver_id}/trail/", params={"page_size": 200, "count": "true"}
    )
    assert trail["count"] == len(app.acked) == 21  # every ping stored once
    assert not procs.died()
    app.close()


def test_the_embedded_periodic_thread_rides_out_a_postgresql_outage(behind_proxy):
    """The embedded default on PostgreSQL without Redis: the periodic jobs run on a thread of the web process."""
    procs, proxy, _ = behind_proxy
    procs.embedded = True  # no Redis: jobs eager, beat's schedule on the web process's thread
    procs.env |= {"DATABASE_POOL_TIMEOUT": "1"}  # a query waits this long for a connection before it fails
    base = procs.web()
    job = stale_job()
    wait_until(lambda: reaped(job), timeout=30, what="the reaper before")

    proxy.cut()
    cut_at = time.monotonic()
    job = stale_job()
    time.sleep(max(0.0, cut_at + 5 - time.monotonic()))  # a query waits a second for the pool: a longer outage
    assert Api(base).call("GET", "/healthz").status_code == 200
    assert not reaped(job)
    proxy.restore()
    wait_until(lambda: reaped(job), timeout=30, what="the reaper after")
    # the end is logged once no entry waits for a retry: it can come a run after the reaper's (CI saw (1, 0))
    wait_until(lambda: outage_lines(procs.log("web"), "periodic.embedded")[1] > 0, timeout=30, what="the outage's end")
    log = procs.log("web")
    assert outage_lines(log, "periodic.embedded") == (1, 1)
    assert log.count("raised unexpected") <= 1  # Celery's traceback of the failed run, not one per retry
    assert not procs.died()
