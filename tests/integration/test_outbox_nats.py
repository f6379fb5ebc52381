"""Events over NATS JetStream, with real processes: the relay publishes to a stream, `outbox_consume` applies each
event once through the same inbox as the Celery path, retries with backoff, parks and replays; NATS going away
loses nothing, and neither does a consumer killed between its commit and its acknowledgements.

Each test has its own stream and subject prefix on the shared server (127.0.0.1:4222, started by scripts/test.sh),
deleted afterwards, so parallel runs never meet; the outage test runs a nats-server of its own.
"""

import io
import signal
import socket
import time
import uuid

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from logitrack.outbox import jetstream
from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage
from logitrack.outbox.relay import relay_pending
from logitrack.outbox.sinks import CelerySink, InlineSink, NatsSink
from logitrack.testing.processes import NatsServer, Processes, wait_until
from tests.support.ping.services import ping_send
from tests.support.pong.handlers import attempts_key, fail_key, hold_key, holding_key
from tests.support.pong.models import Receipt

pytestmark = [pytest.mark.processes, pytest.mark.django_db(transaction=True)]

SUB = "pong.record_ping"
SHARED = "nats://127.0.0.1:4222"


@pytest.fixture
def nats(settings, tmp_path):
    """This test's stream on the shared server (or, after `use(url)`, another); `env` is what a child process needs
    to use the same."""
    if connection.vendor != "postgresql" or not settings.REDIS_URL:
        pytest.fail("the NATS tests need PostgreSQL and Redis (run scripts/test.sh)")
    tag = uuid.uuid4().hex[:10]
    settings.OUTBOX_NATS_STREAM = f"TEST_{tag.upper()}"
    settings.OUTBOX_NATS_SUBJECT_PREFIX = f"t{tag}"
    settings.OUTBOX_NATS_SUBSCRIPTIONS = [SUB]
    settings.OUTBOX_NATS_ACK_WAIT_SECONDS = 2  # a killed consumer's messages come back quickly
    r = redis.Redis.from_url(settings.REDIS_URL)

    class Nats:
        labels: list[str] = []

        def use(self, url):
            jetstream.close()
            settings.OUTBOX_NATS_URL = url

        @property
        def env(self):
            return {
                "OUTBOX_NATS_URL": settings.OUTBOX_NATS_URL,
                "OUTBOX_NATS_STREAM": settings.OUTBOX_NATS_STREAM,
                "OUTBOX_NATS_SUBJECT_PREFIX": settings.OUTBOX_NATS_SUBJECT_PREFIX,
                "OUTBOX_NATS_SUBSCRIPTIONS": SUB,
                "OUTBOX_NATS_ACK_WAIT_SECONDS": "2",
                "OUTAGE_BACKOFF_MAX_SECONDS": "1",
            }

        def label(self, **faults):
            label = f"n-{uuid.uuid4().hex[:12]}"
            self.labels.append(label)
            if "fail" in faults:
                r.set(fail_key(label), faults["fail"])
            if faults.get("hold"):
                r.set(hold_key(label), 1)
            return label

        def attempts(self, label):
            return int(r.get(attempts_key(label)) or 0)

        def call(self, coro_factory):
            async def go():
                js = await jetstream.bridge().jetstream()
                return await coro_factory(js)

            return jetstream.bridge().run(go())

        def stream(self):
            return self.call(lambda js: js.stream_info(settings.OUTBOX_NATS_STREAM))

        def consumer(self):
            return self.call(lambda js: js.consumer_info(settings.OUTBOX_NATS_STREAM, jetstream.consumer_name(SUB)))

        def settled(self):
            info = self.consumer()
            return info.num_pending == 0 and info.num_ack_pending == 0

    n = Nats()
    n.use(SHARED)
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 4222)) != 0:
            pytest.fail("nats-server is not running on 127.0.0.1:4222 (scripts/test.sh starts it: ensure_nats)")
    try:
        yield n
    finally:
        try:
            n.call(lambda js: js.delete_stream(settings.OUTBOX_NATS_STREAM))
        except Exception:  # the private server of the outage test is gone already
            pass
        jetstream.close()
        for label in n.labels:
            r.delete(fail_key(label), attempts_key(label), hold_key(label), holding_key(label))


@pytest.fixture
def procs(tmp_path, nats):
    procs = Processes(tmp_path, env=nats.env)
    yield procs
    for name, proc in procs.children:
        if proc.poll() is not None and proc.returncode != -9:  # died on its own
            print(f"--- {name} exited {proc.returncode}\n{procs.log(name)[-3000:]}")
        procs.kill(name)  # a graceful stop is not what these tests are about, and costs seconds each


def setup_stream() -> str:
    out = io.StringIO()
    call_command("outbox_nats_setup", stdout=out)
    return out.getvalue()


def receipts(label) -> int:
    return Receipt.objects.filter(label=label).count()


def test_nats_subscriptions_leave_the_celery_path_and_a_resent_event_is_stored_once(nats):
    report = setup_stream()
    assert f"stream {settings.OUTBOX_NATS_STREAM} created" in report and "consumer pong-record_ping created" in report
    assert "unchanged" in setup_stream()  # idempotent
    ping = ping_send(label=nats.label())

    # the in-process sinks skip a subscription NATS carries: nothing is applied, nothing enqueued
    assert relay_pending(sinks=[InlineSink(), CelerySink()]) == 1
    assert not Receipt.objects.exists()

    OutboxMessage.objects.update(published_at=None)
    assert relay_pending(sinks=[NatsSink()]) == 1
    OutboxMessage.objects.update(published_at=None)  # as if the relay died before marking the row
    assert relay_pending(sinks=[NatsSink()]) == 1

    info = nats.stream()
    assert info.state.messages == 1  # the duplicate window dropped the re-send
    msg = nats.call(lambda js: js.get_msg(settings.OUTBOX_NATS_STREAM, seq=1))
    assert msg.subject == f"{settings.OUTBOX_NATS_SUBJECT_PREFIX}.ping.ping.sent.v1"
    assert msg.headers[jetstream.MSG_ID] == str(OutboxMessage.objects.get().event_id)
    assert not Receipt.objects.filter(ping_id=ping.id).exists()


def test_events_flow_through_jetstream_once_and_a_failing_one_is_retried_parked_and_replayed(nats, procs):
    setup_stream()
    procs.relay()
    procs.consumer(OUTBOX_RETRY_BASE_SECONDS="1")  # naks delayed 1 s, then 2 s
    label = nats.label()
    pings = [ping_send(label=label) for _ in range(30)]

    wait_until(lambda: receipts(label) >= 30, what="30 receipts")
    assert sorted(Receipt.objects.values_list("ping_id", flat=True)) == sorted(p.id for p in pings)
    assert InboxRecord.objects.filter(subscriber=SUB).count() == 30
    # the batched path, as the Celery worker's: a batch claims its events in the inbox with one timestamp
    assert InboxRecord.objects.values("processed_at").distinct().count() < 30

    # the relay crashed after publishing and before marking its rows: it sends all 30 again
    OutboxMessage.objects.update(published_at=None)
    wait_until(lambda: not OutboxMessage.objects.filter(published_at__isnull=True).exists(), what="the re-send")
    wait_until(nats.settled, what="the consumer to settle")
    assert nats.stream().state.messages == 30  # the re-sends were dropped by the duplicate window
    assert receipts(label) == 30

    # a handler that keeps failing: retried with the Celery path's backoff, then parked
    broken = nats.label(fail=-1)
    ping = ping_send(label=broken)
    started = time.monotonic()
    letter = wait_until(lambda: DeadLetter.objects.filter(subscriber=SUB).first(), what="a dead letter")
    assert time.monotonic() - started >= 1 + 2
    assert letter.attempts == settings.OUTBOX_MAX_ATTEMPTS == nats.attempts(broken) == 3
    assert not Receipt.objects.filter(ping_id=ping.id).exists()
    wait_until(nats.settled, what="the parked message to be terminated")

    redis.Redis.from_url(settings.REDIS_URL).delete(fail_key(broken))  # the fault is fixed
    out = io.StringIO()
    call_command("outbox_replay", "--event-id", str(letter.event_id), stdout=out)  # over NATS, to its consumer
    assert "enqueued" in out.getvalue()
    wait_until(lambda: Receipt.objects.filter(ping_id=ping.id).exists(), what="the replayed delivery")
    wait_until(nats.settled, what="the replay to be acknowledged")
    assert Receipt.objects.filter(ping_id=ping.id).count() == 1
    letter.refresh_from_db()
    assert letter.replayed_at is not None and letter.replay_count == 1


def test_events_wait_in_the_outbox_while_nats_is_down_and_flow_when_it_returns(nats, procs, tmp_path):
    server = NatsServer(tmp_path / "nats")
    server.start()
    nats.use(server.url)
    try:
        setup_stream()
        procs.env.update(nats.env)  # the private server's address
        procs.relay()
        procs.consumer()
        label = nats.label()
        before = [ping_send(label=label) for _ in range(5)]
        wait_until(lambda: receipts(label) >= 5, what="the first events")

        server.stop()
        during = [ping_send(label=label) for _ in range(10)]
        wait_until(
            lambda: OutboxMessage.objects.filter(published_at__isnull=True, relay_attempts__gt=0).exists(),
            what="the relay to fail against the stopped server",
        )
        assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 10  # waiting, none lost

        server.start()  # same port, same store: the stream and the consumer's position survive
        wait_until(lambda: receipts(label) >= 15, timeout=30, what="the events held back")
        wait_until(nats.settled, what="the consumer to settle")
        assert sorted(Receipt.objects.values_list("ping_id", flat=True)) == sorted(p.id for p in before + during)
        assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()
        assert "outage.began" in procs.log("relay") and "outage.ended" in procs.log("relay")
    finally:
        server.stop()


def test_a_consumer_killed_between_commit_and_ack_gets_the_batch_again_and_applies_it_once(nats, procs):
    setup_stream()
    plain = nats.label()
    held = nats.label(hold=True)  # the consumer stops right after committing the batch that holds this one
    pings = [ping_send(label=plain) for _ in range(4)] + [ping_send(label=held)]
    relay_pending(sinks=[NatsSink()])
    r = redis.Redis.from_url(settings.REDIS_URL)

    procs.consumer("consumer-1")  # two replicas of the consumer, as deployed: one takes the batch
    procs.consumer("consumer-2")
    holder = int(wait_until(lambda: r.get(holding_key(held)), what="a consumer to commit and hold"))
    committed = Receipt.objects.count()
    assert committed >= 1
    name = next(n for n, proc in procs.children if proc.pid == holder)
    procs.kill(name, signal.SIGKILL)  # its acknowledgements never leave
    r.delete(hold_key(held))

    wait_until(lambda: Receipt.objects.count() >= 5, what="every event")
    wait_until(nats.settled, what="the redelivered batch to be acknowledged by the other consumer")
    assert sorted(Receipt.objects.values_list("ping_id", flat=True)) == sorted(p.id for p in pings)  # each once
    delivered = nats.consumer().delivered
    assert delivered.consumer_seq >= delivered.stream_seq + committed  # they did come back; the inbox skipped them


def test_a_delivery_no_handler_saw_is_not_counted_as_a_try(nats, settings):
    """JetStream counts a delivery to a consumer that died before handling it (here: fetched and dropped); the
    message still gets all its tries before it is parked."""
    from logitrack import bus
    from logitrack.outbox.consumer import SubscriptionConsumer

    settings.OUTBOX_RETRY_BASE_SECONDS = 0.2
    setup_stream()
    broken = nats.label(fail=-1)
    ping = ping_send(label=broken)
    relay_pending(sinks=[NatsSink()])

    dead = jetstream.pull(SUB)
    (fetched,) = jetstream.fetch(dead, batch=1, timeout=2)
    assert fetched.metadata.num_delivered == 1
    jetstream.bridge().run(dead.unsubscribe())  # never acknowledged: redelivered after ack_wait (2 s)

    consumer = SubscriptionConsumer(bus.subscription(SUB))
    deadline = time.monotonic() + 30
    consumer.run(lambda: DeadLetter.objects.filter(subscriber=SUB).exists() or time.monotonic() > deadline)
    letter = DeadLetter.objects.get(subscriber=SUB)
    assert letter.envelope["data"]["ping_id"] == str(ping.id)
    assert nats.attempts(broken) == letter.attempts == settings.OUTBOX_MAX_ATTEMPTS == 3
    assert nats.consumer().delivered.consumer_seq == 4  # the server counted the dropped delivery too
