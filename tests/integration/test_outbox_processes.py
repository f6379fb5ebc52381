"""The outbox over real processes: two relays and a Celery worker on Redis, PostgreSQL underneath.

A service in `ping` publishes; a handler in `pong` subscribes. Each committed event must reach the
handler exactly once, however the relays race and whatever the broker redelivers.
"""

import subprocess
import sys

import pytest
import redis
from celery import current_app
from django.conf import settings

from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage
from logitrack.testing.processes import ROOT, Processes, process_env, wait_for_worker, wait_until
from tests.support.ping.services import Abort, ping_send
from tests.support.pong.handlers import attempts_key, fail_key
from tests.support.pong.models import Receipt

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def backbone(tmp_path):
    if not settings.REDIS_URL or connection_vendor() != "postgresql":
        pytest.fail("the process tests need PostgreSQL and Redis (run scripts/test.sh)")
    r = redis.Redis.from_url(settings.REDIS_URL)
    r.flushdb()  # the test Redis database: no stale tasks from an earlier run
    procs = Processes(tmp_path)
    procs.worker()
    procs.relay("relay-1")
    procs.relay("relay-2")
    try:
        wait_for_worker()
        yield procs, r
    finally:
        procs.stop_all()
        for name, proc in procs.children:
            if proc.returncode not in (0, -15, 143):
                print(f"--- {name} exited {proc.returncode}\n{procs.log(name)[-3000:]}")


def connection_vendor():
    from django.db import connection

    return connection.vendor


def test_every_committed_event_reaches_the_subscriber_exactly_once_with_two_relays(backbone):
    pings = [ping_send(label=f"many-{i}") for i in range(40)]

    wait_until(lambda: Receipt.objects.count() >= 40, what="40 receipts")
    received = list(Receipt.objects.values_list("ping_id", flat=True))
    assert sorted(received) == sorted(p.id for p in pings)  # every one, none twice
    assert InboxRecord.objects.filter(subscriber="pong.record_ping").count() == 40
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 0


def test_a_rolled_back_transaction_publishes_nothing(backbone):
    with pytest.raises(Abort):
        ping_send(label="doomed", fail_after_publish=True)
    marker = ping_send(label="after-doomed")  # once this arrives, anything earlier would have too

    wait_until(lambda: Receipt.objects.filter(ping_id=marker.id).exists(), what="the marker")
    assert not Receipt.objects.filter(label="doomed").exists()
    assert OutboxMessage.objects.count() == 1


def test_a_retried_delivery_is_applied_once(backbone):
    _, r = backbone
    r.set(fail_key("flaky"), 1)  # the first attempt fails inside the handler's transaction
    ping = ping_send(label="flaky")

    wait_until(lambda: Receipt.objects.filter(ping_id=ping.id).exists(), what="the retried delivery")
    assert int(r.get(attempts_key("flaky"))) == 2
    assert Receipt.objects.filter(ping_id=ping.id).count() == 1


def test_a_duplicate_broker_delivery_is_a_no_op(backbone):
    ping = ping_send(label="dup")
    wait_until(lambda: Receipt.objects.filter(ping_id=ping.id).exists(), what="the first delivery")
    envelope = OutboxMessage.objects.get().envelope

    # As if a relay crashed after sending but before marking the row: the same envelope again, twice.
    results = [
        current_app.send_task(
            "outbox.deliver", args=("pong.record_ping", envelope), queue="events", ignore_result=False
        )
        for _ in range(2)
    ]
    assert [res.get(timeout=30) for res in results] == [False, False]
    assert Receipt.objects.filter(ping_id=ping.id).count() == 1


def test_a_handler_that_keeps_failing_is_dead_lettered_then_replayed_after_the_fix(backbone):
    _, r = backbone
    r.set(fail_key("broken"), -1)
    ping = ping_send(label="broken")

    letter = wait_until(lambda: DeadLetter.objects.filter(subscriber="pong.record_ping").first(), what="a dead letter")
    assert letter.attempts == settings.OUTBOX_MAX_ATTEMPTS
    assert int(r.get(attempts_key("broken"))) == settings.OUTBOX_MAX_ATTEMPTS
    assert not Receipt.objects.filter(ping_id=ping.id).exists()

    r.delete(fail_key("broken"))  # the fault is fixed
    replay = subprocess.run(
        [sys.executable, "manage.py", "outbox_replay", "--event-id", str(letter.event_id)],
        cwd=ROOT,
        env=process_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert replay.returncode == 0, replay.stderr
    assert "enqueued" in replay.stdout

    wait_until(lambda: Receipt.objects.filter(ping_id=ping.id).exists(), what="the replayed delivery")
    assert Receipt.objects.filter(ping_id=ping.id).count() == 1
    letter.refresh_from_db()
    assert letter.replayed_at is not None
