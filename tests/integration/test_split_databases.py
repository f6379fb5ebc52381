"""Each context's writes, its outbox rows, its inbox records and dead letters on its own database (issue 20).

Written against `contexts.alias(...)`, so they hold in both shapes: one database (every alias is default) and split
(scripts/test-split.sh: each context on a PostgreSQL database of its own, as a role of its own), where they prove
that nothing lands on another context's database. tests/split/ holds what only a split can show (the roles).
"""

import datetime as dt
import uuid

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from apps.billing.models import FareRecord
from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet
from apps.trips.contracts import CancelledBy
from apps.trips.events import TripCancelledV1
from apps.trips.models import TripDay
from apps.trips.tests.factories import trip_completed_event
from logitrack.db import contexts
from logitrack.outbox import delivery, services
from logitrack.outbox.api import PublishOutsideTransaction, publish
from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage
from logitrack.outbox.relay import relay_batch
from logitrack.outbox.sinks import CelerySink
from logitrack.outbox.tasks import deliver
from tests.integration.test_outbox_batches import events_queue, run_as_worker  # noqa: F401  (fixture)

NOON = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)


def others(alias):
    return [a for a in contexts.aliases() if a != alias]


def cancelled(trip_id=None):
    return TripCancelledV1(
        trip_id=trip_id or uuid.uuid4(),
        fleet_id=uuid.uuid4(),
        customer_id=None,
        driver_id=None,
        quote_id=None,
        cancelled_by=CancelledBy.CUSTOMER,
        reason="",
        booked_at=NOON,
        cancelled_at=NOON,
    )


def completed(fleet_id, quote_id=None):
    return trip_completed_event(
        fleet_id=fleet_id,
        customer_id=uuid.uuid4(),
        driver_id=uuid.uuid4(),
        quote_id=quote_id,
        completed_at=NOON + dt.timedelta(minutes=20),
    )


@pytest.mark.django_db(transaction=True)
def test_a_trips_write_and_its_event_commit_and_roll_back_together_on_trips_database():
    trips = contexts.alias("trips")
    fleet_id = uuid.uuid4()

    with pytest.raises(RuntimeError), contexts.atomic("trips"):
        TripDay.objects.create(fleet_id=fleet_id, day=NOON.date(), cancelled=1)
        publish(cancelled())
        raise RuntimeError("the service failed after publishing")
    assert not TripDay.objects.filter(fleet_id=fleet_id).exists()
    assert not OutboxMessage.objects.using(trips).exists()

    event = cancelled()
    with contexts.atomic("trips"):
        TripDay.objects.create(fleet_id=fleet_id, day=NOON.date(), cancelled=1)
        publish(event)
    row = OutboxMessage.objects.using(trips).get(event_id=event.event_id)
    assert row.source == "trips"
    for alias in others(trips):  # split: no other database saw it
        assert not OutboxMessage.objects.using(alias).filter(event_id=event.event_id).exists()


@pytest.mark.django_db(transaction=True)
def test_publishing_outside_the_publishers_transaction_is_refused():
    with pytest.raises(PublishOutsideTransaction):
        publish(cancelled())
    if contexts.split():  # a transaction on another context's database is not the publisher's
        with pytest.raises(PublishOutsideTransaction), contexts.atomic("billing"):
            publish(cancelled())


@pytest.mark.django_db(transaction=True)
def test_a_billing_subscriber_applies_a_trips_event_through_celery_on_billings_database(events_queue):  # noqa: F811
    billing, trips = contexts.alias("billing"), contexts.alias("trips")
    fleet = active_fleet(fleet_id=uuid.uuid4(), commission_bps=1500)
    tariff(fleet_id=fleet.id, valid_from=NOON - dt.timedelta(days=30))
    event = completed(fleet.id)
    with contexts.atomic("trips"):
        publish(event)

    assert relay_batch(sinks=[CelerySink()]) >= 1
    assert OutboxMessage.objects.using(trips).get(event_id=event.event_id).published_at is not None
    (task,) = [t for t in events_queue() if t[1][0] == "billing.settle_trip"]
    assert task[0] == "outbox.deliver"
    with CaptureQueriesContext(connections[billing]) as on_billing:
        assert run_as_worker(deliver, *task[1]) is True

    assert FareRecord.objects.get(trip_id=event.trip_id).total_minor > 0
    assert InboxRecord.objects.using(billing).filter(subscriber="billing.settle_trip", event_id=event.event_id).exists()
    # one transaction on billing's connection: the inbox claim, then the handler's rows, one commit
    sql = [q["sql"] for q in on_billing.captured_queries]
    inbox = next(i for i, s in enumerate(sql) if "outbox_inboxrecord" in s and s.startswith("INSERT"))
    fare = next(i for i, s in enumerate(sql) if "billing_farerecord" in s and s.startswith("INSERT"))
    assert inbox < fare
    for alias in others(billing):
        assert not InboxRecord.objects.using(alias).filter(event_id=event.event_id).exists()
    # billing's own event (the fare) went to billing's outbox
    assert OutboxMessage.objects.using(billing).filter(source="billing").exists()


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscribers_dead_letter_is_parked_on_its_database_and_replays(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    billing = contexts.alias("billing")
    fleet = active_fleet(fleet_id=uuid.uuid4(), commission_bps=1500)  # no tariff yet: the fare cannot be computed
    event = completed(fleet.id)
    with contexts.atomic("trips"):
        publish(event)
    envelope = OutboxMessage.objects.using(contexts.alias("trips")).get(event_id=event.event_id).envelope

    assert delivery.deliver_inline(subscription_name="billing.settle_trip", envelope=envelope) is False

    letter = DeadLetter.objects.using(billing).get(subscriber="billing.settle_trip", event_id=event.event_id)
    for alias in others(billing):
        assert not DeadLetter.objects.using(alias).filter(event_id=event.event_id).exists()
    # the failed handler's inbox claim rolled back with it, in billing's transaction
    assert not InboxRecord.objects.using(billing).filter(event_id=event.event_id).exists()

    tariff(fleet_id=fleet.id, valid_from=NOON - dt.timedelta(days=30))  # the fault fixed
    (pending,) = services.dead_letters_pending(subscriber="billing.settle_trip")
    assert pending.id == letter.id and pending._state.db == billing
    assert services.dead_letter_replay(letter=pending, inline=True).outcome == "delivered"

    assert FareRecord.objects.filter(trip_id=event.trip_id).exists()
    assert DeadLetter.objects.using(billing).get(id=letter.id).replayed_at is not None
    assert services.dead_letters_pending() == []


@pytest.mark.django_db
def test_an_idempotency_key_is_kept_on_the_database_of_the_views_context():
    from apps.billing.rest_api.v1.views import topups
    from logitrack.idempotency.models import IdempotencyKey
    from logitrack.idempotency.services import fingerprint, idempotency_claim

    assert contexts.context_of_module(topups.__name__) == "billing"
    billing = contexts.alias("billing")
    claim = idempotency_claim(
        scope="u1",
        key="k1",
        method="POST",
        path="/x",
        fingerprint=fingerprint(method="POST", path="/x", body={}),
        using=billing,
    )
    assert IdempotencyKey.objects.using(billing).filter(id=claim.key_id).exists()
    for alias in others(billing):
        assert not IdempotencyKey.objects.using(alias).filter(key="k1").exists()


@pytest.mark.django_db
def test_the_admin_shows_and_replays_the_dead_letters_of_a_contexts_database(make_user):
    from django.test import Client

    billing = contexts.alias("billing")
    event = cancelled()
    envelope = {"id": str(event.event_id), "type": event.TYPE, "source": "trips", "time": NOON.isoformat(), "data": {}}
    letter = delivery.park(
        subscription_name="billing.charge_cancellation", envelope=envelope, attempts=3, error=RuntimeError("x")
    )
    assert letter._state.db == billing
    client = Client()
    client.force_login(make_user(is_staff=True, is_superuser=True))

    listed = client.get("/admin/outbox/deadletter/", {"database": billing})
    assert listed.status_code == 200 and str(event.event_id) in listed.content.decode()
    page = client.get(f"/admin/outbox/deadletter/{letter.id}/change/", {"_changelist_filters": f"database={billing}"})
    assert page.status_code == 200 and str(event.event_id) in page.content.decode()
    if contexts.split():  # default's list has none of billing's
        assert str(event.event_id) not in client.get("/admin/outbox/deadletter/").content.decode()


@pytest.mark.django_db
def test_readyz_and_the_outbox_gauges_cover_every_contexts_database(client):
    with contexts.atomic("trips"):
        publish(cancelled())  # pending in trips' outbox
    delivery.park(
        subscription_name="billing.charge_cancellation",
        envelope={"id": str(uuid.uuid4()), "type": TripCancelledV1.TYPE, "source": "trips", "data": {}},
        attempts=3,
        error=RuntimeError("x"),
    )  # parked in billing's

    body = client.get("/readyz").json()
    assert [name for name in body["checks"] if name.startswith("database")] == [
        "database",
        *(f"database:{alias}" for alias in contexts.aliases()[1:]),
    ]
    assert all(check["status"] == "ok" for name, check in body["checks"].items() if name.startswith("database"))
    text = client.get("/metrics").content.decode()
    assert "logitrack_outbox_pending 1.0" in text
    assert "logitrack_outbox_dead_letters 1.0" in text
    assert 'logitrack_outbox_subscription_dead_letters{subscriber="billing.charge_cancellation"} 1.0' in text
