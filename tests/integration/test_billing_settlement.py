"""Trips → billing: a completed trip's event settles the fare once; cancellations and refunds post
their own balanced entries; the ledger verifies clean afterwards."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from apps.billing.contracts import TripFacts
from apps.billing.events import FareFinalisedV1
from apps.billing.models import Account, AccountKind, FareRecord, JournalTransaction
from apps.billing.services import ledger, quotes, settlement
from apps.billing.tests.factories import prepaid_topup, tariff
from apps.fleet.tests.factories import active_fleet
from apps.trips.events import TripCancelledV1, TripCompletedV1
from apps.trips.tests.factories import trip_completed_event
from logitrack.db import contexts
from logitrack.outbox import delivery
from logitrack.outbox.api import outbox_alias, publish
from logitrack.outbox.models import OutboxMessage
from logitrack.types import Money

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)  # 12:00 in Berlin: no night surcharge


@pytest.fixture
def fleet():
    f = active_fleet(commission_bps=1500)
    tariff(fleet_id=f.id, valid_from=NOON - dt.timedelta(days=30))
    return f


def quote(fleet, *, distance_m=10_000, duration_s=1200, customer_id=None):
    facts = TripFacts(distance_m=distance_m, duration_s=duration_s, stops=2, at=NOON)
    return quotes.quote_create(
        fleet_id=fleet.id, vehicle_type="van", service="delivery", facts=facts, customer_id=customer_id
    )


def complete(fleet, q, *, customer_id, driver_id, distance_m=10_000, duration_s=1200, trip_id=None):
    event = trip_completed_event(
        trip_id=trip_id,
        fleet_id=fleet.id,
        customer_id=customer_id,
        driver_id=driver_id,
        quote_id=q.id if q else None,
        distance_m=distance_m,
        duration_s=duration_s,
        completed_at=NOON + dt.timedelta(seconds=duration_s),
    )
    with contexts.atomic("trips"):
        publish(event)
    return event


def balance(kind, owner_id=None, currency="EUR", fleet_id=None):
    account = Account.objects.filter(kind=kind, owner_id=owner_id, currency=currency, fleet_id=fleet_id).first()
    return account.balance_minor if account else 0


def test_a_completed_trip_is_settled_once_even_when_its_event_arrives_twice(fleet, relay_and_deliver, captured_events):
    customer, driver = uuid.uuid4(), uuid.uuid4()
    q = quote(fleet, customer_id=customer)
    # 2.50 + 10 km × 1.20 + 20 min × 0.30 = 20.50 gross, VAT 19% included
    assert q.total_minor == 2050
    event = complete(fleet, q, customer_id=customer, driver_id=driver)

    with captured_events() as published:
        relay_and_deliver()
    envelope = OutboxMessage.objects.using(outbox_alias(TripCompletedV1)).get(event_type=TripCompletedV1.TYPE).envelope
    assert delivery.deliver(subscription_name="billing.settle_trip", envelope=envelope) is False

    record = FareRecord.objects.get(trip_id=event.trip_id)
    # VAT is taken out line by line: 2.10 + 0.40, 10.08 + 1.92, 5.04 + 0.96
    assert (record.total_minor, record.net_minor, record.tax_minor) == (2050, 1722, 328)
    assert JournalTransaction.objects.filter(kind="settlement", reference_id=event.trip_id).count() == 1
    platform, fleet_cut = 1722 * 200 // 10_000, 1722 * 1500 // 10_000
    assert balance(AccountKind.CUSTOMER_RECEIVABLE, customer, fleet_id=fleet.id) == 2050
    assert balance(AccountKind.TAX_PAYABLE, fleet.id) == 328
    assert balance(AccountKind.PLATFORM_COMMISSION) == platform
    assert balance(AccountKind.FLEET_REVENUE, fleet.id) == fleet_cut
    assert balance(AccountKind.DRIVER_WALLET, driver, fleet_id=fleet.id) == 1722 - platform - fleet_cut
    assert balance(AccountKind.CUSTOMER_LOYALTY, customer, currency="PTS") == 20
    finalised = [e for e in published if isinstance(e, FareFinalisedV1)]
    assert len(finalised) == 1 and finalised[0].driver_earning == Money(1722 - platform - fleet_cut, "EUR")
    assert ledger.verify() == []


def test_the_final_fare_keeps_the_quotes_guarantee(fleet, relay_and_deliver):
    q = quote(fleet, customer_id=uuid.uuid4())
    event = complete(fleet, q, customer_id=q.customer_id, driver_id=uuid.uuid4(), distance_m=30_000, duration_s=3600)
    relay_and_deliver()
    record = FareRecord.objects.get(trip_id=event.trip_id)
    assert record.capped and record.total_minor == q.total_minor + q.total_minor * 1000 // 10_000  # quote + 10%
    assert record.breakdown["lines"][-1]["code"] == "guarantee"


def test_a_prepaid_balance_pays_when_it_covers_the_fare(fleet, relay_and_deliver):
    customer = uuid.uuid4()
    prepaid_topup(customer_id=customer, amount=Money(5000, "EUR"), key="t1")
    q = quote(fleet, customer_id=customer)
    complete(fleet, q, customer_id=customer, driver_id=uuid.uuid4())
    relay_and_deliver()
    assert balance(AccountKind.CUSTOMER_PREPAID, customer) == 5000 - q.total_minor
    assert balance(AccountKind.CUSTOMER_RECEIVABLE, customer, fleet_id=fleet.id) == 0


def test_cancellation_fees_apply_only_after_the_free_minutes(fleet, relay_and_deliver):
    customer = uuid.uuid4()
    q = quote(fleet, customer_id=customer)
    early, late = uuid.uuid4(), uuid.uuid4()
    for trip_id, minutes in ((early, 3), (late, 12)):
        with contexts.atomic("trips"):
            publish(
                TripCancelledV1(
                    trip_id=trip_id,
                    fleet_id=fleet.id,
                    customer_id=customer,
                    driver_id=None,
                    quote_id=q.id,
                    cancelled_by="customer",
                    reason="changed plans",
                    booked_at=NOON,
                    cancelled_at=NOON + dt.timedelta(minutes=minutes),
                )
            )
    relay_and_deliver()
    assert not FareRecord.objects.filter(trip_id=early).exists()
    fee = FareRecord.objects.get(trip_id=late)
    assert (fee.kind, fee.total_minor) == ("cancellation", 500)
    assert balance(AccountKind.FLEET_REVENUE, fleet.id) > 0
    assert ledger.verify() == []


def test_a_refund_reverses_the_settlement_and_its_points_once(fleet, relay_and_deliver):
    customer, driver = uuid.uuid4(), uuid.uuid4()
    event = complete(fleet, quote(fleet, customer_id=customer), customer_id=customer, driver_id=driver)
    relay_and_deliver()

    reversal = settlement.trip_refund(trip_id=event.trip_id, reason="parcel damaged")

    assert reversal.reverses.kind == "settlement" and "parcel damaged" in reversal.memo
    for kind, owner, currency, fleet_id in (
        (AccountKind.CUSTOMER_RECEIVABLE, customer, "EUR", fleet.id),
        (AccountKind.DRIVER_WALLET, driver, "EUR", fleet.id),
        (AccountKind.CUSTOMER_LOYALTY, customer, "PTS", None),
    ):
        assert balance(kind, owner, currency, fleet_id) == 0
    from logitrack.exceptions import Conflict

    with pytest.raises(Conflict):
        settlement.trip_refund(trip_id=event.trip_id, reason="again")
    assert ledger.verify() == []


def test_expired_quotes_cannot_be_booked(fleet):
    from apps.billing.contracts import QuoteExpired
    from apps.billing.models import Quote

    q = quote(fleet)
    assert quotes.quote_check(quote_id=q.id, fleet_id=fleet.id) == q
    Quote.objects.filter(id=q.id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    with pytest.raises(QuoteExpired):
        quotes.quote_check(quote_id=q.id, fleet_id=fleet.id)
