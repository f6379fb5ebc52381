"""Loyalty points: earned per settled trip, redeemed for prepaid credit."""

from __future__ import annotations

import uuid

from django.conf import settings

from apps.billing import selectors
from apps.billing.contracts import InvalidBillingData
from apps.billing.models import AccountKind, FareRecord, JournalTransaction
from apps.billing.services import ledger
from logitrack.db import contexts

POINTS = "PTS"


def points_keys(record: FareRecord) -> tuple[int, ledger.AccountKey, ledger.AccountKey] | None:
    """The points a settled fare earns (BILLING_POINTS_PER_100_MINOR per 100 minor units) and the accounts they move
    between (promotions, the customer's points); None when it earns none."""
    points = record.total_minor * settings.BILLING_POINTS_PER_100_MINOR // 100
    if record.customer_id is None or points <= 0:
        return None
    earned = (AccountKind.CUSTOMER_LOYALTY, POINTS, record.customer_id, None)
    return points, (AccountKind.PROMOTIONS, POINTS, None, None), earned


def points_award(record: FareRecord) -> None:
    """Loyalty points for a settled fare, once per trip."""
    award = points_keys(record)
    if award is None:
        return
    points, promotions, earned = award
    accounts = ledger.accounts_for([promotions, earned])  # one query once the customer has points
    ledger.post(
        idempotency_key=f"points:{record.trip_id}",
        kind="loyalty.earned",
        reference_id=record.trip_id,
        fleet_id=record.fleet_id,
        legs=[(accounts[promotions], points), (accounts[earned], -points)],
    )


@contexts.atomic("billing")
def points_redeem(*, customer_id: uuid.UUID, points: int, currency: str, idempotency_key: str) -> JournalTransaction:
    """Turn loyalty points into prepaid credit (BILLING_POINT_VALUE_MINOR each). Two currencies, each balanced."""
    if points <= 0:
        raise InvalidBillingData(
            "redeem a positive number of points", extra={"errors": {"points": ["Must be positive."]}}
        )
    credit = points * settings.BILLING_POINT_VALUE_MINOR
    txn, _ = ledger.post(
        idempotency_key=f"redeem:{customer_id}:{idempotency_key}",
        kind="loyalty.redeemed",
        reference_id=customer_id,
        legs=[
            (ledger.account_for(kind=AccountKind.CUSTOMER_LOYALTY, currency=POINTS, owner_id=customer_id), points),
            (ledger.account_for(kind=AccountKind.PROMOTIONS, currency=POINTS), -points),
            (ledger.account_for(kind=AccountKind.PROMOTIONS, currency=currency), credit),
            (ledger.account_for(kind=AccountKind.CUSTOMER_PREPAID, currency=currency, owner_id=customer_id), -credit),
        ],
    )
    return txn


def points_redeem_for_balances(*, customer_id: uuid.UUID, points: int, currency: str, idempotency_key: str) -> dict:
    """Redeem as the customer asking in the app, and answer their balances afterwards (selectors.customer_balances)."""
    points_redeem(customer_id=customer_id, points=points, currency=currency, idempotency_key=idempotency_key)
    return selectors.customer_balances(customer_id=customer_id)
