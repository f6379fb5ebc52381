"""A delivery that fails while the broker is unreachable: Celery cannot send its retry and would drop the message,
so the event goes back to the outbox and the relay sends it again once the broker answers (seen in the e2e
suite's Redis restart: a handler failed because Redis was down, and so did its retry)."""

import uuid

import pytest
from celery import current_app
from django.utils import timezone

from logitrack.outbox.models import DeadLetter, OutboxMessage
from logitrack.outbox.relay import relay_pending
from logitrack.outbox.sinks import InlineSink
from logitrack.outbox.tasks import deliver
from logitrack.testing.processes import free_port
from tests.integration.test_outbox import faults, label  # noqa: F401  (fixture)
from tests.support.ping.services import ping_send
from tests.support.pong.models import Receipt


@pytest.fixture
def broker_down():
    """This process's Celery publishes to a port nothing listens on (a real refused connection)."""
    app = current_app._get_current_object()
    saved = app.conf.broker_url, app.amqp._producer_pool, app._pool
    app.conf.broker_url = f"redis://127.0.0.1:{free_port()}/0"
    app.amqp._producer_pool = app._pool = None  # pools made now point at the dead port: dropped afterwards
    yield
    app.conf.broker_url, app.amqp._producer_pool, app._pool = saved


def run_as_worker(subscription: str, envelope: dict) -> bool:
    """The task body as a worker runs it (first attempt, not eager), so a retry goes to the broker."""
    deliver.push_request(
        id=str(uuid.uuid4()),
        args=[subscription, envelope],
        kwargs={},
        retries=0,
        called_directly=False,
        is_eager=False,
        delivery_info={"exchange": "", "routing_key": "events"},
    )
    try:
        return deliver.run(subscription, envelope)
    finally:
        deliver.pop_request()


@pytest.mark.django_db(transaction=True)
def test_a_failed_delivery_whose_retry_cannot_be_sent_goes_back_to_the_outbox(faults, broker_down):  # noqa: F811
    tag = label()
    faults.fail(tag, 1)  # the handler fails on its first attempt
    ping = ping_send(label=tag)
    OutboxMessage.objects.update(published_at=timezone.now())  # the relay handed it to the broker
    envelope = OutboxMessage.objects.get().envelope

    assert run_as_worker("pong.record_ping", envelope) is False

    row = OutboxMessage.objects.get()
    assert row.published_at is None  # pending again: not dropped
    assert not Receipt.objects.filter(ping_id=ping.id).exists() and not DeadLetter.objects.exists()
    assert relay_pending(sinks=[InlineSink()]) == 1  # the broker is back: the relay sends it again
    assert Receipt.objects.filter(ping_id=ping.id).count() == 1
    assert faults.attempts(tag) == 2


@pytest.mark.django_db(transaction=True)
def test_an_event_purged_meanwhile_is_parked_rather_than_lost(faults, broker_down):  # noqa: F811
    tag = label()
    faults.fail(tag, 1)
    ping_send(label=tag)
    envelope = OutboxMessage.objects.get().envelope
    OutboxMessage.objects.all().delete()  # outbox_purge took the row

    assert run_as_worker("pong.record_ping", envelope) is False

    letter = DeadLetter.objects.get()
    assert (letter.subscriber, str(letter.event_id)) == ("pong.record_ping", envelope["id"])
