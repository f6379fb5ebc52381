"""Batched deliveries: the relay hands a subscriber what it claimed together as one task, the worker applies it in
one transaction with one inbox statement, and a failing event neither blocks nor loses the others."""

import base64
import json
import uuid

import pytest
import redis
from django.conf import settings
from django.utils import timezone

from logitrack.outbox import delivery, relay
from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage
from logitrack.outbox.relay import relay_batch
from logitrack.outbox.sinks import CelerySink
from logitrack.outbox.tasks import deliver_batch
from tests.integration.test_outbox import faults, label  # noqa: F401  (fixture)
from tests.integration.test_outbox_broker_down import broker_down  # noqa: F401  (fixture)
from tests.support.ping.services import ping_send
from tests.support.pong.models import Receipt


@pytest.fixture
def events_queue():
    """The test broker's `events` queue, emptied before and after; yields a reader of its tasks, oldest first."""
    assert settings.CELERY_BROKER_URL.startswith("redis://"), "needs the full stack's broker (scripts/test.sh)"
    broker = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    broker.delete("events")

    def tasks():
        out = []
        for raw in reversed(broker.lrange("events", 0, -1)):  # LPUSHed: the oldest is last
            message = json.loads(raw)
            args, kwargs, _ = json.loads(base64.b64decode(message["body"]))
            out.append((message["headers"]["task"], args, kwargs, message["headers"]["retries"]))
        return out

    yield tasks
    broker.delete("events")


def envelopes(*labels):
    pings = [ping_send(label=name) for name in labels]
    rows = {r.envelope["data"]["ping_id"]: r.envelope for r in OutboxMessage.objects.all()}
    return [rows[str(p.id)] for p in pings]


def run_as_worker(task, *args):
    """The task body as a worker runs it (first attempt, not eager), so a retry goes to the broker."""
    task.push_request(
        id=str(uuid.uuid4()),
        args=list(args),
        kwargs={},
        retries=0,
        called_directly=False,
        is_eager=False,
        delivery_info={"exchange": "", "routing_key": "events"},
    )
    try:
        return task.run(*args)
    finally:
        task.pop_request()


@pytest.mark.django_db
def test_the_relay_hands_each_subscriber_its_events_as_batches_in_relay_order(events_queue, settings):
    settings.OUTBOX_DELIVERY_BATCH = 2
    sent = envelopes(label(), label(), label())

    assert relay_batch(sinks=[CelerySink()]) == 3

    assert events_queue() == [
        ("outbox.deliver_batch", ["pong.record_ping", sent[:2]], {}, 0),
        ("outbox.deliver", ["pong.record_ping", sent[2]], {}, 0),  # a lone event: the plain task
    ]


@pytest.mark.django_db
def test_a_batch_is_applied_once_with_one_inbox_statement(django_assert_max_num_queries):
    sent = envelopes(label(), label(), label())
    assert delivery.deliver(subscription_name="pong.record_ping", envelope=sent[1])  # applied before

    # begin, the inbox claim, one insert per new receipt, commit
    with django_assert_max_num_queries(5):
        applied, alone = delivery.deliver_many(subscription_name="pong.record_ping", envelopes=[*sent, sent[0]])

    assert (applied, alone) == (2, [])
    assert Receipt.objects.count() == 3
    assert InboxRecord.objects.filter(subscriber="pong.record_ping").count() == 3
    assert delivery.deliver_many(subscription_name="pong.record_ping", envelopes=sent) == (0, [])  # redelivered


@pytest.mark.django_db
def test_an_empty_batch_applies_nothing_and_asks_nothing_of_the_database(django_assert_num_queries):
    """Its inbox claim was an INSERT with no rows: invalid SQL, which rolled back nothing but failed the task."""
    with django_assert_num_queries(0):
        assert delivery.deliver_many(subscription_name="pong.record_ping", envelopes=[]) == (0, [])


@pytest.mark.django_db(transaction=True)
def test_a_failing_event_is_retried_alone_and_the_rest_of_its_batch_applied(faults, events_queue):  # noqa: F811
    good, bad, other = label(), label(), label()
    faults.fail(bad, times=-1)
    sent = envelopes(good, bad, other)

    assert run_as_worker(deliver_batch, "pong.record_ping", sent) == 2

    assert sorted(Receipt.objects.values_list("label", flat=True)) == sorted([good, other])
    assert not InboxRecord.objects.filter(event_id=sent[1]["id"]).exists()
    # the failing one waits in the broker as the second attempt of a plain delivery, which parks it in the end
    assert events_queue() == [("outbox.deliver", ["pong.record_ping", sent[1]], {"outages": 0}, 1)]
    assert not DeadLetter.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_event_of_a_batch_goes_back_to_the_outbox_when_the_broker_is_down(faults, broker_down):  # noqa: F811
    good, bad = label(), label()
    faults.fail(bad, times=2)  # in the batch, then alone
    sent = envelopes(good, bad)
    OutboxMessage.objects.update(published_at=timezone.now())  # the relay handed both to the broker

    assert run_as_worker(deliver_batch, "pong.record_ping", sent) == 1

    assert list(Receipt.objects.values_list("label", flat=True)) == [good]
    pending = OutboxMessage.objects.filter(published_at__isnull=True)
    assert [r.envelope["id"] for r in pending] == [sent[1]["id"]]  # sent again by the relay, not dropped
    assert not DeadLetter.objects.exists()


@pytest.mark.django_db
def test_the_relay_holds_back_while_the_broker_holds_a_backlog_then_claims_it_in_full_batches(events_queue, settings):
    settings.OUTBOX_RELAY_MAX_WAITING, settings.OUTBOX_RELAY_POLL_SECONDS = 2, 0.01
    envelopes(label())
    for _ in range(3):  # a slow trickle the worker is not taking: three lone deliveries waiting
        envelopes(label())
        relay_batch(limit=1, sinks=[CelerySink()])
    assert CelerySink().waiting() == 3
    backlog = envelopes(label(), label(), label())

    def turns(n):
        left = iter(range(n))
        return lambda: next(left, None) is None

    relay.run_forever(should_stop=turns(5))
    assert OutboxMessage.objects.filter(published_at__isnull=True).count() == 4  # held back, in the outbox
    assert len(events_queue()) == 3

    redis.Redis.from_url(settings.CELERY_BROKER_URL).delete("events")  # the worker caught up
    relay.run_forever(should_stop=turns(3))
    assert not OutboxMessage.objects.filter(published_at__isnull=True).exists()
    [(task, (_, batch), _, _)] = events_queue()
    assert task == "outbox.deliver_batch" and [e["id"] for e in batch][-3:] == [e["id"] for e in backlog]
