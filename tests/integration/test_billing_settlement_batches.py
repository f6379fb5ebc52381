"""Settlement of a batch of completions (the events worker's `deliver_many`, billing's batch handler) leaves exactly
what settling them one by one leaves: the same fare records, postings, balances, points, revenue days and
FareFinalised events, with a number of statements that does not grow with the batch; a redelivered batch applies
nothing twice, and a trip that cannot be settled sends its batch back one by one without holding the others."""

import datetime as dt
import uuid

import pytest

from apps.billing.models import Account, FareRecord, JournalTransaction, Posting, RevenueDay
from apps.billing.services import ledger
from apps.billing.tests.factories import prepaid_topup, tariff
from apps.fleet.tests.factories import active_fleet
from logitrack.db import contexts
from logitrack.events import to_envelope
from logitrack.outbox import delivery
from logitrack.outbox.models import InboxRecord, OutboxMessage
from logitrack.testing import databases
from logitrack.testing.metrics import scraped
from logitrack.types import Money
from tests.integration.test_billing_settlement import NOON, complete, quote

pytestmark = pytest.mark.django_db
SETTLE = "billing.settle_trip"


@pytest.fixture
def fleet():
    f = active_fleet(commission_bps=1500)
    tariff(fleet_id=f.id, valid_from=NOON - dt.timedelta(days=30))
    tariff(fleet_id=f.id, valid_from=NOON - dt.timedelta(days=60), valid_until=NOON - dt.timedelta(days=30), base=900)
    return f


def completions(fleet, customers, drivers, n):
    """`n` completion envelopes: quoted and not, long (capped by the quote) and short, with and without a customer."""
    out = []
    for i in range(n):
        customer = customers[i % len(customers)]
        q = quote(fleet, customer_id=customer) if i % 3 else None
        distance = 30_000 if i % 4 == 1 else 4_000 + 1_000 * i
        event = complete(fleet, q, customer_id=customer, driver_id=drivers[i % len(drivers)], distance_m=distance)
        out.append(to_envelope(event))
    return out


def ledger_state(trip_ids):
    """What settling left, keyed by what does not depend on row ids or clocks."""

    def key(account_id):
        a = accounts[account_id]
        return (a.kind, a.currency, a.owner_id, a.fleet_id)

    accounts = {a.id: a for a in Account.objects.all()}
    records = {
        r.trip_id: (r.kind, r.quote_id, r.net_minor, r.tax_minor, r.total_minor, r.capped, r.breakdown, r.facts)
        for r in FareRecord.objects.filter(trip_id__in=trip_ids)
    }
    postings = sorted(
        (p.transaction.idempotency_key, p.transaction.kind, p.transaction.memo, *key(p.account_id), p.amount_minor)
        for p in Posting.objects.select_related("transaction").filter(transaction__reference_id__in=trip_ids)
    )
    balances = {key(a.id): (a.balance_minor, a.floor_minor) for a in accounts.values()}
    days = sorted(RevenueDay.objects.values_list("fleet_id", "day", "currency", "fares", "charged_minor", "tax_minor"))
    finalised = sorted(
        tuple(sorted((k, str(v)) for k, v in m.envelope["data"].items()))
        for m in OutboxMessage.objects.using(contexts.alias("billing")).filter(
            event_type="logitrack.billing.fare.finalised.v1"
        )
    )
    return records, postings, balances, days, finalised


class Undo(Exception):
    pass


def test_a_batch_settles_exactly_as_one_by_one(fleet):
    rich, poor = uuid.uuid4(), uuid.uuid4()
    prepaid_topup(customer_id=rich, amount=Money(3000, "EUR"))  # pays the first of its trips, not the second
    customers, drivers = [rich, poor, None], [uuid.uuid4(), uuid.uuid4()]
    sent = completions(fleet, customers, drivers, 9)
    trip_ids = [uuid.UUID(e["data"]["trip_id"]) for e in sent]

    try:
        with contexts.atomic("billing"):
            for envelope in sent:
                assert delivery.deliver(subscription_name=SETTLE, envelope=envelope)
            one_by_one = ledger_state(trip_ids)
            raise Undo
    except Undo:
        pass
    assert not FareRecord.objects.exists()

    assert delivery.deliver_many(subscription_name=SETTLE, envelopes=sent) == (len(sent), [])

    batched = ledger_state(trip_ids)
    assert batched == one_by_one
    records, postings, _, _, finalised = batched
    assert len(records) == len(finalised) == 9 and any(r[5] for r in records.values())  # one was capped
    assert {p[3] for p in postings} >= {"customer_prepaid", "customer_receivable", "customer_loyalty"}
    assert ledger.verify() == []


def test_a_batchs_statements_do_not_grow_with_it(fleet, django_assert_max_num_queries):
    customers, drivers = [uuid.uuid4(), uuid.uuid4()], [uuid.uuid4(), uuid.uuid4()]
    delivery.deliver_many(subscription_name=SETTLE, envelopes=completions(fleet, customers, drivers, 4))  # accounts
    for n in (3, 12):
        sent = completions(fleet, customers, drivers, n)
        # savepoint, inbox claim, fare records, fleet, quotes, tariffs, insert records, accounts, keys used, lock,
        # insert transactions, insert postings, balances, time zones, revenue day, insert events, release
        with django_assert_max_num_queries(17):
            assert delivery.deliver_many(subscription_name=SETTLE, envelopes=sent) == (n, [])
    assert ledger.verify() == []


def test_a_redelivered_batch_and_a_trip_settled_alone_are_applied_once(fleet, django_capture_on_commit_callbacks):
    customers, drivers = [uuid.uuid4()], [uuid.uuid4()]
    sent = completions(fleet, customers, drivers, 4)
    settled = scraped("logitrack_settlements_total")
    with django_capture_on_commit_callbacks(execute=True):
        try:
            with contexts.atomic("billing"):  # settled, then rolled back: not counted
                assert delivery.deliver(subscription_name=SETTLE, envelope=sent[0])
                raise Undo
        except Undo:
            pass
        assert delivery.deliver(subscription_name=SETTLE, envelope=sent[1])  # settled before its batch arrived
        InboxRecord.objects.using(contexts.alias("billing")).filter(
            event_id=sent[1]["id"]
        ).delete()  # …and its inbox row purged: the service's guard

        assert delivery.deliver_many(subscription_name=SETTLE, envelopes=sent) == (4, [])
        assert delivery.deliver_many(subscription_name=SETTLE, envelopes=sent) == (0, [])
    assert scraped("logitrack_settlements_total") == settled + 4  # one alone, three in the batch

    assert FareRecord.objects.count() == 4
    assert JournalTransaction.objects.filter(kind="settlement").count() == 4
    assert (
        OutboxMessage.objects.using(contexts.alias("billing"))
        .filter(event_type="logitrack.billing.fare.finalised.v1")
        .count()
        == 4
    )
    assert ledger.verify() == []


def test_a_trip_that_cannot_be_settled_sends_its_batch_back_and_the_others_settle_alone(fleet):
    customers, drivers = [uuid.uuid4()], [uuid.uuid4()]
    sent = completions(fleet, customers, drivers, 3)
    stranger = active_fleet()  # no tariff: NoTariff on every attempt
    poisoned = to_envelope(complete(stranger, None, customer_id=customers[0], driver_id=drivers[0]))
    batch = [sent[0], poisoned, *sent[1:]]

    assert delivery.deliver_many(subscription_name=SETTLE, envelopes=batch) == (0, batch)  # nothing half-applied
    assert not FareRecord.objects.exists() and not databases.count_everywhere(InboxRecord)

    applied = []
    for envelope in batch:  # as the worker then delivers them (tasks.deliver_batch): each alone, with its retries
        try:
            applied.append(delivery.deliver(subscription_name=SETTLE, envelope=envelope))
        except Exception as exc:
            applied.append(type(exc).__name__)
    assert applied == [True, "NoTariff", True, True]
    assert FareRecord.objects.count() == 3
    assert ledger.verify() == []
