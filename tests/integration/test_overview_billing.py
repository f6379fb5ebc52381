"""Billing's overview figures (services/figures.py, api.revenue_by_day and api.payouts_waiting): fares settled from
trips' events, a cancellation fee and a refund posted on a set clock, each amount checked to the cent per local day
and currency; payouts awaiting approval per fleet; the rebuild from the ledger equal to what the ledger kept."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

import pytest

from apps.billing import api
from apps.billing.contracts import CurrencyTotal, TripFacts
from apps.billing.models import RevenueDay
from apps.billing.services import figures, ledger, payouts, quotes, settlement
from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet
from apps.trips.events import TripCancelledV1
from apps.trips.tests.factories import trip_completed_event
from logitrack.db import contexts
from logitrack.outbox.api import publish
from logitrack.types import Money

pytestmark = pytest.mark.django_db
NOON = dt.datetime(2026, 11, 9, 11, 0, tzinfo=dt.UTC)  # when the trips ran: 12:00 in Berlin, no night surcharge
TENTH, ELEVENTH = dt.date(2026, 11, 10), dt.date(2026, 11, 11)


@pytest.fixture
def fleets(clock):
    clock.set(NOON)
    berlin = active_fleet(name="Spree", commission_bps=1500)
    london = active_fleet(name="Thames", commission_bps=1500, country="GB", currency="GBP", time_zone="Europe/London")
    for fleet in (berlin, london):
        tariff(fleet_id=fleet.id, currency=fleet.currency, valid_from=NOON - dt.timedelta(days=30))
    return berlin, london


def quote(fleet, customer_id):
    facts = TripFacts(distance_m=10_000, duration_s=1200, stops=2, at=NOON)
    return quotes.quote_create(
        fleet_id=fleet.id, vehicle_type="van", service="delivery", facts=facts, customer_id=customer_id
    )


def completed(fleet, *, customer_id, driver_id, relay):
    """A 10 km, 20 min trip on the fleet's city tariff: 20.50 charged, VAT 19 % included (3.28)."""
    trip_id = uuid.uuid4()
    with contexts.atomic("trips"):
        publish(
            trip_completed_event(
                trip_id=trip_id,
                fleet_id=fleet.id,
                customer_id=customer_id,
                driver_id=driver_id,
                quote_id=quote(fleet, customer_id).id,
                completed_at=NOON + dt.timedelta(seconds=1200),
            )
        )
    relay()
    return trip_id


def at(clock, text, time_zone="Europe/Berlin"):
    clock.set(dt.datetime.fromisoformat(text).replace(tzinfo=zoneinfo.ZoneInfo(time_zone)))


def test_revenue_and_platform_fees_per_local_day_to_the_cent(fleets, clock, relay_and_deliver):
    berlin, london = fleets
    customer, driver = uuid.uuid4(), uuid.uuid4()
    at(clock, "2026-11-10 23:30")  # settled late on the 10th in Berlin
    first = completed(berlin, customer_id=customer, driver_id=driver, relay=relay_and_deliver)
    at(clock, "2026-11-11 00:30")  # 23:30 UTC on the 10th, but the 11th in Berlin
    completed(berlin, customer_id=customer, driver_id=driver, relay=relay_and_deliver)
    at(clock, "2026-11-11 09:00")  # a customer cancels 12 minutes after booking: the tariff's fee, 5.00
    with contexts.atomic("trips"):
        publish(
            TripCancelledV1(
                trip_id=uuid.uuid4(),
                fleet_id=berlin.id,
                customer_id=customer,
                driver_id=None,
                quote_id=quote(berlin, customer).id,
                cancelled_by="customer",
                reason="changed plans",
                booked_at=NOON,
                cancelled_at=NOON + dt.timedelta(minutes=12),
            )
        )
    relay_and_deliver()
    at(clock, "2026-11-11 10:00")
    settlement.trip_refund(trip_id=first, reason="parcel damaged")  # takes the first fare back on the 11th
    at(clock, "2026-11-10 23:30", "Europe/London")  # 00:30 on the 11th in Berlin; the 10th in London
    completed(london, customer_id=customer, driver_id=uuid.uuid4(), relay=relay_and_deliver)

    days = api.revenue_by_day(fleet_ids=[berlin.id, london.id], first=TENTH - dt.timedelta(days=6), last=ELEVENTH)

    # a fare: net 17.22, tax 3.28; the platform's 2 % of the net rounds down to 0.34, the fleet's 15 % to 2.58, the
    # driver earns the rest, 14.30. The fee: 5.00 = 4.20 + 0.80 tax; 0.08 platform, 0.63 fleet, and with no driver
    # the rest (3.49) is the fleet's too.
    fare = {"charged_minor": 2050, "tax_minor": 328, "platform_fee_minor": 34, "fleet_share_minor": 258}
    assert [(d.day, d.currency) for d in days] == [(TENTH, "EUR"), (TENTH, "GBP"), (ELEVENTH, "EUR")]
    for d in days[:2]:
        assert (d.fares, d.refunds, d.driver_share_minor) == (1, 0, 1430)
        assert {k: getattr(d, k) for k in fare} == fare
    eleventh = days[2]
    assert (eleventh.fares, eleventh.refunds) == (2, 1)
    assert (eleventh.charged_minor, eleventh.tax_minor, eleventh.platform_fee_minor) == (500, 80, 8)
    assert (eleventh.fleet_share_minor, eleventh.driver_share_minor) == (63 + 349, 0)
    assert ledger.verify() == []

    only_london = api.revenue_by_day(fleet_ids=[london.id], first=TENTH, last=ELEVENTH)
    assert [(d.day, d.currency, d.charged_minor) for d in only_london] == [(TENTH, "GBP", 2050)]
    assert api.revenue_by_day(fleet_ids=[berlin.id], first=ELEVENTH + dt.timedelta(days=1), last=ELEVENTH) == []

    kept = _revenue_rows()
    assert figures.revenue_rebuild(fleet_ids=[berlin.id, london.id]) == 3
    assert _revenue_rows() == kept
    RevenueDay.objects.all().delete()
    assert figures.revenue_rebuild() == 3  # every fleet with fares
    assert _revenue_rows() == kept


def test_payouts_waiting_for_approval(fleets, clock, relay_and_deliver):
    berlin, london = fleets
    berlin_driver, london_driver = uuid.uuid4(), uuid.uuid4()
    at(clock, "2026-11-10 12:00")
    completed(berlin, customer_id=uuid.uuid4(), driver_id=berlin_driver, relay=relay_and_deliver)
    completed(london, customer_id=uuid.uuid4(), driver_id=london_driver, relay=relay_and_deliver)

    def ask(fleet, driver, amount, when):
        at(clock, when)
        return payouts.payout_request(
            driver_id=driver, fleet_id=fleet.id, amount=Money(amount, fleet.currency), idempotency_key=when
        )

    oldest = ask(berlin, berlin_driver, 1000, "2026-11-10 13:00")
    decided = ask(berlin, berlin_driver, 200, "2026-11-10 13:30")
    payouts.payout_decide(payout_id=decided.id, approve=True, actor_id=None)
    newest = ask(london, london_driver, 500, "2026-11-10 14:00")

    mine = api.payouts_waiting(fleet_ids=[berlin.id])
    assert (mine.count, mine.totals, mine.oldest_at) == (
        1,
        (CurrencyTotal(currency="EUR", amount_minor=1000),),
        oldest.created_at,
    )
    assert [(p.id, p.driver_id, p.amount_minor, p.currency) for p in mine.oldest] == [
        (oldest.id, berlin_driver, 1000, "EUR")
    ]
    both = api.payouts_waiting(fleet_ids=[berlin.id, london.id], limit=1)
    assert both.count == 2 and [p.id for p in both.oldest] == [oldest.id]
    assert both.totals == (
        CurrencyTotal(currency="EUR", amount_minor=1000),
        CurrencyTotal(currency="GBP", amount_minor=500),
    )
    assert api.payouts_waiting(fleet_ids=[london.id]).oldest[0].id == newest.id
    nobody = api.payouts_waiting(fleet_ids=[uuid.uuid4()])
    assert (nobody.count, nobody.totals, nobody.oldest_at, nobody.oldest) == (0, (), None, ())


def test_the_rebuild_command(fleets, clock, relay_and_deliver):
    from io import StringIO

    from django.core.management import CommandError, call_command

    berlin, _london = fleets
    at(clock, "2026-11-10 12:00")
    completed(berlin, customer_id=uuid.uuid4(), driver_id=uuid.uuid4(), relay=relay_and_deliver)
    RevenueDay.objects.update(charged_minor=1)  # a count the ledger does not back
    out = StringIO()
    call_command("billing_figures_rebuild", "--fleet", str(berlin.id), stdout=out)
    assert out.getvalue().strip() == "rebuilt 1 revenue day(s)"
    assert RevenueDay.objects.get(fleet_id=berlin.id).charged_minor == 2050
    with pytest.raises(CommandError, match="fleet id"):
        call_command("billing_figures_rebuild", "--fleet", "spree")


def _revenue_rows():
    return sorted(
        RevenueDay.objects.values_list(
            "fleet_id",
            "day",
            "currency",
            "fares",
            "refunds",
            "charged_minor",
            "tax_minor",
            "platform_fee_minor",
            "fleet_share_minor",
            "driver_share_minor",
        )
    )
