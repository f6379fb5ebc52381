"""Drivers' payouts: a hold out of the wallet, a manager's decision, the transfer."""

from __future__ import annotations

import uuid

from django.db import IntegrityError
from django.utils import timezone

from apps.billing import integrations
from apps.billing.contracts import InvalidBillingData
from apps.billing.events import PayoutPaidV1, PayoutRejectedV1
from apps.billing.models import AccountKind, Payout
from apps.billing.services import ledger
from logitrack.db import contexts
from logitrack.exceptions import Conflict, NotFound
from logitrack.outbox.api import publish
from logitrack.principal import Principal
from logitrack.types import Money


@contexts.atomic("billing")
def payout_request(*, driver_id: uuid.UUID, fleet_id: uuid.UUID, amount: Money, idempotency_key: str) -> Payout:
    """Hold the amount out of the wallet (never more than it holds) until a manager decides."""
    if amount.amount_minor <= 0:
        raise InvalidBillingData("ask for a positive amount", extra={"errors": {"amount_minor": ["Must be positive."]}})
    existing = Payout.objects.filter(driver_id=driver_id, request_key=idempotency_key).first()
    if existing is not None:
        return _payout_retried(existing, amount)
    try:
        with contexts.atomic("billing"):
            payout = Payout.objects.create(
                driver_id=driver_id,
                fleet_id=fleet_id,
                currency=amount.currency,
                amount_minor=amount.amount_minor,
                request_key=idempotency_key,
            )
    except IntegrityError:
        # An identical request committed while this one was inserting: answer as its sequential retry would.
        return _payout_retried(Payout.objects.get(driver_id=driver_id, request_key=idempotency_key), amount)
    wallet = ledger.account_for(
        kind=AccountKind.DRIVER_WALLET, currency=amount.currency, owner_id=driver_id, fleet_id=fleet_id
    )
    hold = ledger.account_for(
        kind=AccountKind.DRIVER_PAYOUT_HOLD, currency=amount.currency, owner_id=driver_id, fleet_id=fleet_id
    )
    ledger.post(
        idempotency_key=f"payout-hold:{payout.id}",
        kind="payout.hold",
        reference_id=payout.id,
        fleet_id=fleet_id,
        legs=[(wallet, amount.amount_minor), (hold, -amount.amount_minor)],
    )
    return payout


def payout_request_as_driver(
    *, principal: Principal, fleet_id: uuid.UUID | None, amount_minor: int, idempotency_key: str
) -> Payout:
    """The calling driver asks for a payout in their fleet's currency, as the driver they are in `fleet_id` (their
    only fleet when None; 404 when not a driver there)."""
    driver_id, fleet_id = integrations.driver_of(user_id=principal.user_id, fleet_id=fleet_id)
    currency = integrations.fleet_terms(fleet_id=fleet_id).currency
    return payout_request(
        driver_id=driver_id, fleet_id=fleet_id, amount=Money(amount_minor, currency), idempotency_key=idempotency_key
    )


@contexts.atomic("billing")
def payout_decide(*, payout_id: uuid.UUID, approve: bool, actor_id: uuid.UUID | None, reason: str = "") -> Payout:
    """A fleet manager approves (the money stays held until it is paid) or rejects (back to the wallet)."""
    payout = _payout_locked(payout_id)
    if payout.status != Payout.Status.REQUESTED:
        raise Conflict(f"the payout was already {payout.status}", code="billing.payout_decided")
    if not approve and not reason.strip():
        raise InvalidBillingData(
            "say why the payout is rejected", extra={"errors": {"reason": ["Required to reject."]}}
        )
    if not approve:
        hold, wallet = _payout_accounts(payout)
        ledger.post(
            idempotency_key=f"payout-release:{payout.id}",
            kind="payout.rejected",
            reference_id=payout.id,
            fleet_id=payout.fleet_id,
            legs=[(hold, payout.amount_minor), (wallet, -payout.amount_minor)],
        )
    payout.status = Payout.Status.APPROVED if approve else Payout.Status.REJECTED
    payout.decided_by_id, payout.decided_at = actor_id, timezone.now()
    payout.reason = reason.strip()
    payout.save(update_fields=["status", "decided_by_id", "decided_at", "reason", "updated_at"])
    if not approve:
        publish(
            PayoutRejectedV1(
                payout_id=payout.id,
                driver_id=payout.driver_id,
                fleet_id=payout.fleet_id,
                amount=Money(payout.amount_minor, payout.currency),
                reason=payout.reason,
            )
        )
    return payout


@contexts.atomic("billing")
def payout_mark_paid(*, payout_id: uuid.UUID, bank_reference: str = "") -> Payout:
    """The transfer left the bank: the held money moves to the bank clearing account."""
    payout = _payout_locked(payout_id)
    if payout.status != Payout.Status.APPROVED:
        raise Conflict(
            f"only an approved payout can be paid; this one is {payout.status}", code="billing.payout_not_approved"
        )
    hold, _ = _payout_accounts(payout)
    clearing = ledger.account_for(kind=AccountKind.CASH_CLEARING, currency=payout.currency)
    ledger.post(
        idempotency_key=f"payout-paid:{payout.id}",
        kind="payout.paid",
        reference_id=payout.id,
        fleet_id=payout.fleet_id,
        legs=[(hold, payout.amount_minor), (clearing, -payout.amount_minor)],
    )
    payout.status, payout.paid_at, payout.bank_reference = Payout.Status.PAID, timezone.now(), bank_reference[:100]
    payout.save(update_fields=["status", "paid_at", "bank_reference", "updated_at"])
    publish(
        PayoutPaidV1(
            payout_id=payout.id,
            driver_id=payout.driver_id,
            fleet_id=payout.fleet_id,
            amount=Money(payout.amount_minor, payout.currency),
        )
    )
    return payout


def _payout_retried(existing: Payout, amount: Money) -> Payout:
    if (existing.amount_minor, existing.currency) != (amount.amount_minor, amount.currency):
        raise Conflict("this request key was used for another amount", code="billing.idempotency_conflict")
    return existing


def _payout_locked(payout_id: uuid.UUID) -> Payout:
    payout = Payout.objects.select_for_update().filter(id=payout_id).first()
    if payout is None:
        raise NotFound("no such payout", code="billing.payout_not_found")
    return payout


def _payout_accounts(payout: Payout):
    c = payout.currency
    hold = ledger.account_for(
        kind=AccountKind.DRIVER_PAYOUT_HOLD, currency=c, owner_id=payout.driver_id, fleet_id=payout.fleet_id
    )
    wallet = ledger.account_for(
        kind=AccountKind.DRIVER_WALLET, currency=c, owner_id=payout.driver_id, fleet_id=payout.fleet_id
    )
    return hold, wallet
