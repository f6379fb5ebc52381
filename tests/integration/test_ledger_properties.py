"""A Hypothesis state machine drives random settlements, refunds, top-ups, point redemptions,
payouts and their decisions, and checks every ledger invariant after each step."""

import datetime as dt
import threading
import uuid

import pytest
from django.db import connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from apps.billing.contracts import InsufficientFunds, TripFacts
from apps.billing.models import Account, AccountKind, Payout
from apps.billing.services import ledger, loyalty, payouts, quotes, settlement
from apps.billing.tests.factories import prepaid_topup, tariff
from apps.fleet.tests.factories import active_fleet
from logitrack.exceptions import Conflict
from logitrack.types import Money

NOON = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)


class LedgerMachine(RuleBasedStateMachine):
    @initialize()
    def setup(self):
        self.fleet = active_fleet(commission_bps=1200)
        tariff(fleet_id=self.fleet.id, valid_from=NOON - dt.timedelta(days=1))
        self.customers = [uuid.uuid4() for _ in range(3)]
        self.drivers = [uuid.uuid4() for _ in range(2)]
        self.settled: list[uuid.UUID] = []
        self.refunded: set[uuid.UUID] = set()
        self.payouts: list[uuid.UUID] = []

    @rule(
        km=st.integers(0, 80),
        minutes=st.integers(0, 120),
        c=st.integers(0, 2),
        d=st.integers(0, 1),
        with_quote=st.booleans(),
    )
    def settle(self, km, minutes, c, d, with_quote):
        facts = TripFacts(distance_m=km * 1000 + 37, duration_s=minutes * 60, stops=2, at=NOON)
        quote = (
            quotes.quote_create(
                fleet_id=self.fleet.id,
                vehicle_type="van",
                service="delivery",
                facts=facts,
                customer_id=self.customers[c],
            )
            if with_quote
            else None
        )
        trip = uuid.uuid4()
        settlement.trip_complete_settle(
            trip_id=trip,
            fleet_id=self.fleet.id,
            customer_id=self.customers[c],
            driver_id=self.drivers[d],
            vehicle_type="van",
            service="delivery",
            quote_id=quote.id if quote else None,
            facts=facts,
        )
        settlement.trip_complete_settle(
            trip_id=trip,
            fleet_id=self.fleet.id,
            customer_id=self.customers[c],  # a redelivery
            driver_id=self.drivers[d],
            vehicle_type="van",
            service="delivery",
            quote_id=quote.id if quote else None,
            facts=facts,
        )
        self.settled.append(trip)

    @precondition(lambda self: self.settled)
    @rule(i=st.integers(0, 1000))
    def refund(self, i):
        trip = self.settled[i % len(self.settled)]
        try:
            settlement.trip_refund(trip_id=trip, reason="test refund")
            assert trip not in self.refunded
            self.refunded.add(trip)
        except InsufficientFunds:
            pass  # the driver already took the earning out, or the customer spent the points: the floor wins
        except Conflict:
            assert trip in self.refunded

    @rule(c=st.integers(0, 2), amount=st.integers(1, 20_000), key=st.uuids())
    def topup(self, c, amount, key):
        prepaid_topup(customer_id=self.customers[c], amount=Money(amount, "EUR"), key=str(key))

    @rule(c=st.integers(0, 2), points=st.integers(1, 200))
    def redeem(self, c, points):
        try:
            loyalty.points_redeem(
                customer_id=self.customers[c], points=points, currency="EUR", idempotency_key=str(uuid.uuid4())
            )
        except InsufficientFunds:
            held = Account.objects.filter(kind=AccountKind.CUSTOMER_LOYALTY, owner_id=self.customers[c]).first()
            assert held is None or held.balance_minor < points

    @rule(d=st.integers(0, 1), amount=st.integers(1, 5_000))
    def payout(self, d, amount):
        wallet = Account.objects.filter(kind=AccountKind.DRIVER_WALLET, owner_id=self.drivers[d]).first()
        before = wallet.balance_minor if wallet else 0
        try:
            payout = payouts.payout_request(
                driver_id=self.drivers[d],
                fleet_id=self.fleet.id,
                amount=Money(amount, "EUR"),
                idempotency_key=str(uuid.uuid4()),
            )
            assert amount <= before
            self.payouts.append(payout.id)
        except InsufficientFunds:
            assert amount > before

    @precondition(lambda self: self.payouts)
    @rule(i=st.integers(0, 1000), approve=st.booleans())
    def decide(self, i, approve):
        payout_id = self.payouts[i % len(self.payouts)]
        status = Payout.objects.get(id=payout_id).status
        try:
            payouts.payout_decide(payout_id=payout_id, approve=approve, actor_id=None, reason="" if approve else "no")
            assert status == Payout.Status.REQUESTED
        except Conflict:
            assert status != Payout.Status.REQUESTED

    @precondition(lambda self: self.payouts)
    @rule(i=st.integers(0, 1000))
    def pay(self, i):
        payout_id = self.payouts[i % len(self.payouts)]
        status = Payout.objects.get(id=payout_id).status
        try:
            payouts.payout_mark_paid(payout_id=payout_id, bank_reference="bank")
            assert status == Payout.Status.APPROVED
        except Conflict:
            assert status != Payout.Status.APPROVED

    @rule(c=st.integers(0, 2), d=st.integers(0, 1), amount=st.integers(1, 3_000))
    def concurrent_postings(self, c, d, amount):
        """Two payouts race for one wallet while two top-ups land on one customer, on separate connections."""
        wallet = Account.objects.filter(kind=AccountKind.DRIVER_WALLET, owner_id=self.drivers[d]).first()
        before = wallet.balance_minor if wallet else 0
        outcomes: list[str] = []
        barrier = threading.Barrier(4)

        def run(fn):
            try:
                barrier.wait(timeout=10)
                fn()
                outcomes.append("ok")
            except InsufficientFunds:
                outcomes.append("refused")
            finally:
                connections.close_all()  # the thread's connection to every context's database

        def payout():
            payouts.payout_request(
                driver_id=self.drivers[d],
                fleet_id=self.fleet.id,
                amount=Money(amount, "EUR"),
                idempotency_key=str(uuid.uuid4()),
            )

        def topup():
            prepaid_topup(customer_id=self.customers[c], amount=Money(amount, "EUR"))

        threads = [threading.Thread(target=run, args=(fn,)) for fn in (payout, payout, topup, topup)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        paid = outcomes.count("ok") - 2
        assert paid == min(2, before // amount)  # never more payouts than the wallet covers
        self.payouts += list(
            Payout.objects.filter(driver_id=self.drivers[d], status="requested").values_list("id", flat=True)
        )

    @invariant()
    def ledger_is_sound(self):
        assert ledger.verify() == []

    @invariant()
    def no_floored_account_is_negative(self):
        assert not Account.objects.filter(floor_minor__isnull=False, balance_minor__lt=0).exists()


@pytest.mark.django_db(transaction=True)  # the concurrent rule needs committed rows other connections can see
def test_ledger_invariants_hold_under_random_operations():
    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=15,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
