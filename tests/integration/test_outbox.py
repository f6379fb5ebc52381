"""The event backbone in one process: publish in the transaction, relay, apply once, park, replay."""

import threading
import uuid

import pytest
import redis
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from logitrack.outbox import delivery
from logitrack.outbox.api import PublishOutsideTransaction, publish
from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage
from logitrack.outbox.relay import relay_pending
from tests.support.ping.events import PingSentV1
from tests.support.ping.models import Ping
from tests.support.ping.services import Abort, ping_send
from tests.support.pong.handlers import attempts_key, fail_key
from tests.support.pong.models import Receipt


@pytest.fixture
def faults():
    """Steer the pong handler's failures by label (Redis keys, removed afterwards)."""
    r = redis.Redis.from_url(settings.REDIS_URL)
    labels = []

    class Faults:
        def fail(self, label, times):
            labels.append(label)
            r.set(fail_key(label), times)

        def heal(self, label):
            r.delete(fail_key(label))

        def attempts(self, label):
            return int(r.get(attempts_key(label)) or 0)

    yield Faults()
    for label in labels:
        r.delete(fail_key(label), attempts_key(label))


def label():
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.mark.django_db(transaction=True)
def test_publish_refuses_to_run_outside_a_transaction():
    assert not connection.in_atomic_block
    with pytest.raises(PublishOutsideTransaction):
        publish(PingSentV1(ping_id=uuid.uuid4(), label="loose"))
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_publishes_nothing():
    with pytest.raises(Abort):
        ping_send(label="doomed", fail_after_publish=True)
    assert Ping.objects.count() == 0
    assert OutboxMessage.objects.count() == 0


@pytest.mark.django_db
def test_committed_event_is_applied_once_even_when_delivered_again(captured_events, relay_and_deliver):
    with captured_events() as published:
        ping = ping_send(label=label())
    assert [type(e) for e in published] == [PingSentV1]

    assert relay_and_deliver() == 1
    assert relay_and_deliver() == 0  # nothing pending the second time
    envelope = OutboxMessage.objects.get().envelope
    assert delivery.deliver(subscription_name="pong.record_ping", envelope=envelope) is False  # a duplicate

    assert list(Receipt.objects.values_list("ping_id", flat=True)) == [ping.id]
    assert InboxRecord.objects.filter(subscriber="pong.record_ping", event_id=published[0].event_id).count() == 1
    assert OutboxMessage.objects.get().published_at is not None


@pytest.mark.django_db
def test_a_failed_delivery_is_retried_and_applied_once(faults, relay_and_deliver):
    name = label()
    faults.fail(name, times=1)
    ping_send(label=name)

    relay_and_deliver()

    assert faults.attempts(name) == 2
    assert Receipt.objects.filter(label=name).count() == 1
    assert DeadLetter.objects.count() == 0


@pytest.mark.django_db
def test_a_delivery_that_keeps_failing_is_parked_and_replayed_after_the_fix(faults, relay_and_deliver):
    name = label()
    faults.fail(name, times=-1)
    ping_send(label=name)

    relay_and_deliver()

    letter = DeadLetter.objects.get()
    assert (letter.subscriber, letter.attempts, letter.replayed_at) == (
        "pong.record_ping",
        settings.OUTBOX_MAX_ATTEMPTS,
        None,
    )
    assert "injected failure" in letter.last_error
    assert Receipt.objects.filter(label=name).count() == 0

    with pytest.raises(CommandError, match="failed again"):  # still broken: parked again, nothing applied
        call_command("outbox_replay", "--all", "--inline")
    assert DeadLetter.objects.get().replayed_at is None
    assert Receipt.objects.filter(label=name).count() == 0

    faults.heal(name)
    call_command("outbox_replay", "--subscriber", "pong.record_ping", "--inline")

    assert Receipt.objects.filter(label=name).count() == 1
    letter.refresh_from_db()
    assert letter.replayed_at is not None and letter.replay_count == 2


@pytest.mark.django_db
def test_replay_needs_a_selection():
    with pytest.raises(CommandError, match="say what to replay"):
        call_command("outbox_replay")


@pytest.mark.django_db
def test_replay_of_a_subscriber_that_does_not_exist_fails_and_names_those_that_do(capsys):
    from logitrack import bus

    with pytest.raises(CommandError, match=r"no subscriber is called 'billing\.settle_trp'") as refused:
        call_command("outbox_replay", "--subscriber", "billing.settle_trp")  # manage.py exits 1 on CommandError
    names = [s.name for s in bus.all_subscriptions()]
    assert "pong.record_ping" in names and all(name in str(refused.value) for name in names)
    call_command("outbox_replay", "--subscriber", "pong.record_ping")  # a real one with nothing parked: fine
    assert "no pending dead letters match" in capsys.readouterr().out


@pytest.mark.django_db(transaction=True)
def test_concurrent_relays_never_send_one_row_twice():
    for i in range(60):
        ping_send(label=f"c{i}")
    sent: list[str] = []
    lock = threading.Lock()
    barrier = threading.Barrier(2)

    class SlowRecordingSink:
        def send(self, envelope):
            with lock:
                sent.append(envelope["id"])
            threading.Event().wait(0.002)  # keep batches open so the relays really overlap

    def relay():
        barrier.wait()
        try:
            relay_pending(sinks=[SlowRecordingSink()], limit=5)
        finally:
            connections.close_all()  # the thread's connection to every context's database

    threads = [threading.Thread(target=relay) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(sent) == 60
    assert len(set(sent)) == 60
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_embedded_mode_relays_in_process_after_commit(settings):
    settings.OUTBOX_INLINE_RELAY = True
    settings.OUTBOX_SINKS = ["logitrack.outbox.sinks.InlineSink"]
    with transaction.atomic():
        ping = ping_send(label=label())
        assert Receipt.objects.count() == 0  # not before commit
    assert list(Receipt.objects.values_list("ping_id", flat=True)) == [ping.id]


def test_subscriptions_command_lists_who_listens_to_what(capsys):
    call_command("outbox_subscriptions")
    out = capsys.readouterr().out
    assert "logitrack.ping.ping.sent.v1" in out
    assert "-> pong.record_ping" in out


def test_a_nats_subscription_without_the_nats_sink_is_a_configuration_error(settings):
    from logitrack.outbox.checks import nats_sink_configured

    assert nats_sink_configured() == []
    settings.OUTBOX_NATS_SUBSCRIPTIONS = ["pong.record_ping"]
    settings.OUTBOX_SINKS = ["logitrack.outbox.sinks.CelerySink"]
    assert [e.id for e in nats_sink_configured()] == ["outbox.E001"]
    settings.OUTBOX_SINKS = ["logitrack.outbox.sinks.CelerySink", "logitrack.outbox.sinks.NatsSink"]
    assert nats_sink_configured() == []
