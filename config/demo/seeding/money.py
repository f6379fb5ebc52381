"""Each demo fleet's money: receipts for the settled trips, one refund with its credit note, customers' top-ups
(four confirmed by the platform as bank transfers, one still pending), and a payout in each state."""

from __future__ import annotations

import itertools
import uuid

from apps.billing import selectors as billing_selectors
from apps.billing.models import TopUp
from apps.billing.services import invoices, payouts, settlement, topups
from config.demo.plans import FleetPlan
from config.demo.seeding.context import Seeding, relay
from logitrack.types import Money


def money(seeding: Seeding, plan: FleetPlan, fleet_id, manager_id, completed: list[uuid.UUID], customers) -> None:
    """Receipts for the settled trips, one refund with its credit note, top-ups, and payouts in each state."""
    rng = seeding.rng
    for trip_id in completed:
        invoices.receipt_issue(trip_id=trip_id)
    seeding.report.counts["receipts"] += len(completed)
    if len(completed) >= 2:  # refund one, and keep an earning in some wallet for the payouts
        refunded = completed[0]
        settlement.trip_refund(trip_id=refunded, reason="parcel arrived damaged")
        invoices.credit_note_issue(trip_id=refunded)
        seeding.report.counts["credit notes"] += 1
    seeding.tick()
    for customer in customers[:4]:  # asked for in the app, then the bank transfer recorded by the platform
        amount = Money(rng.choice([2000, 5000, 10000]), plan.currency)
        topup = topups.topup_request(
            customer_id=customer.id, amount=amount, idempotency_key=f"demo-topup-{plan.slug}-{customer.id}"
        )
        topups.topup_confirm(
            topup_id=topup.id, amount=amount, via=TopUp.STAFF, reference=f"DEMO-{plan.slug.upper()}-{topup.id}"
        )
    # and one still waiting for its payment
    topups.topup_request(
        customer_id=customers[-1].id,
        amount=Money(2500, plan.currency),
        idempotency_key=f"demo-topup-pending-{plan.slug}",
    )
    seeding.tick()
    earners = billing_selectors.wallets_with_balance(fleet_id=fleet_id)
    # one payout in each state, from the best-earning wallets (a quarter of a wallet each)
    for n, (driver_id, balance) in zip(range(3), itertools.cycle(earners[:3])):
        if balance < 4:
            break
        payout = payouts.payout_request(
            driver_id=driver_id,
            fleet_id=fleet_id,
            amount=Money(balance // 4, plan.currency),
            idempotency_key=f"demo-payout-{driver_id}-{n}",
        )
        if n >= 1:
            payouts.payout_decide(payout_id=payout.id, approve=True, actor_id=manager_id)
        if n >= 2:
            payouts.payout_mark_paid(payout_id=payout.id, bank_reference=f"SEPA-{rng.randint(10**6, 10**7)}")
        seeding.report.counts["payouts"] += 1
    relay()
    seeding.tick()
