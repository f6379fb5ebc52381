"""Top-ups of a customer's prepaid balance: requests, confirmations by staff or a payment provider, failures,
money held for refund, expiry, and taking back credits customers once gave themselves."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid

from django.conf import settings
from django.db import IntegrityError
from django.utils import timezone

from apps.billing import selectors
from apps.billing.contracts import (
    ConfirmationReused,
    InvalidBillingData,
    SelfConfirmation,
    TopUpAmountDiffers,
    TopUpMismatch,
    TopUpNotFound,
    TopUpNotPending,
)
from apps.billing.models import AccountKind, JournalTransaction, TopUp, UnappliedPayment
from apps.billing.payments import Outcome, PaymentNotification
from apps.billing.services import ledger
from logitrack.db import contexts
from logitrack.exceptions import Conflict
from logitrack.principal import Principal
from logitrack.types import Money


def topup_request(*, customer_id: uuid.UUID, amount: Money, idempotency_key: str) -> TopUp:
    """A customer asks to add money to their prepaid balance: a pending top-up, which credits nothing until a
    trusted party confirms the money arrived. The same request key answers the same top-up."""
    if amount.amount_minor <= 0:
        raise InvalidBillingData("top up a positive amount", extra={"errors": {"amount_minor": ["Must be positive."]}})
    existing = TopUp.objects.filter(customer_id=customer_id, request_key=idempotency_key).first()
    if existing is not None:
        return _topup_retried(existing, amount)
    try:
        with contexts.atomic("billing"):
            return TopUp.objects.create(
                customer_id=customer_id,
                request_key=idempotency_key,
                currency=amount.currency,
                amount_minor=amount.amount_minor,
                expires_at=timezone.now() + dt.timedelta(hours=settings.BILLING_TOPUP_PENDING_HOURS),
            )
    except IntegrityError:  # an identical request committed first: answer as its retry would
        return _topup_retried(TopUp.objects.get(customer_id=customer_id, request_key=idempotency_key), amount)


def _topup_retried(existing: TopUp, amount: Money) -> TopUp:
    if (existing.amount_minor, existing.currency) != (amount.amount_minor, amount.currency):
        raise Conflict("this request_id was used for another top-up", code="billing.idempotency_conflict")
    return existing


@contexts.atomic("billing")
def topup_cancel(*, topup_id: uuid.UUID, principal: Principal) -> TopUp:
    """The customer withdraws a pending request (cancelling it again answers the same); platform admins may cancel
    anyone's (selectors.topups_visible). A payment that still arrives later is credited all the same."""
    topup = selectors.topups_visible(principal=principal).select_for_update().filter(id=topup_id).first()
    if topup is None:
        raise TopUpNotFound("no such top-up")
    if topup.status == TopUp.Status.CANCELLED:
        return topup
    _expire_if_stale(topup)
    if topup.status != TopUp.Status.PENDING:
        raise TopUpNotPending(f"the top-up is already {topup.status}", extra={"status": topup.status})
    topup.status, topup.reason, topup.decided_at = TopUp.Status.CANCELLED, "cancelled by the customer", timezone.now()
    topup.save(update_fields=["status", "reason", "decided_at", "updated_at"])
    return topup


class Applied(enum.StrEnum):
    """What a confirmation or failure did to its top-up."""

    CREDITED = "succeeded"  # the prepaid balance was credited (now, or by the same confirmation before)
    FAILED = "failed"  # the top-up failed: the provider declined the payment
    HELD = "held_for_refund"  # a provider received money that credited nothing: recorded as an UnappliedPayment
    IGNORED = "ignored"  # a late failure about a top-up no longer pending: nothing changes


@dataclasses.dataclass(frozen=True)
class PaymentApplied:
    outcome: Applied
    topup: TopUp | None


def topup_confirm(
    *,
    topup_id: uuid.UUID,
    amount: Money,
    via: str,
    reference: str,
    payment_reference: str = "",
    actor_id: uuid.UUID | None = None,
) -> TopUp:
    """The money arrived: credit the customer's prepaid balance, once. `via` is TopUp.STAFF (a platform admin
    recording cash or a bank transfer; `reference` is its bank or cash reference) or a payment provider's name
    (`reference` is its event id). The same confirmation again answers the same.

    Staff: nobody confirms their own top-up (SelfConfirmation, 403), and another amount or currency than asked is
    a typo refused with nothing changed (TopUpAmountDiffers, 400: the reference stays usable). Providers: see
    payment_notification_apply; here money that credited nothing raises TopUpMismatch or TopUpNotPending — after
    it is committed, so the record stays."""
    reference = reference.strip()
    if not reference:
        raise InvalidBillingData("name the payment's reference", extra={"errors": {"reference": ["Required."]}})
    topup, applied = _topup_settle(
        topup_id=topup_id,
        amount=amount,
        via=via,
        reference=reference,
        payment_reference=payment_reference,
        actor_id=actor_id,
        succeeded=True,
    )
    if applied is Applied.HELD:
        if topup.status == TopUp.Status.FAILED and topup.confirmation_reference == reference:
            raise TopUpMismatch(topup.reason, extra={"topup_id": str(topup.id), "status": topup.status})
        raise TopUpNotPending(
            f"the top-up is already {topup.status}: the payment is held for refund",
            extra={"topup_id": str(topup.id), "status": topup.status},
        )
    return topup


def topup_fail(*, topup_id: uuid.UUID, via: str, reference: str, payment_reference: str = "", reason: str) -> TopUp:
    """The provider says the payment failed: a pending top-up fails with its reason (once; a replay answers the
    same). One no longer pending (confirmed, cancelled, failed already) is left as it is."""
    topup, _ = _topup_settle(
        topup_id=topup_id,
        amount=None,
        via=via,
        reference=reference,
        payment_reference=payment_reference,
        actor_id=None,
        succeeded=False,
        reason=reason,
    )
    return topup


def _differs(amount: Money, topup: TopUp) -> bool:
    return (amount.amount_minor, amount.currency) != (topup.amount_minor, topup.currency)


def _replayed(topup: TopUp) -> Applied:
    """What the confirmation that last decided this top-up did, for its replay."""
    if topup.status == TopUp.Status.CONFIRMED:
        return Applied.CREDITED
    return Applied.HELD if topup.confirmed_amount_minor is not None else Applied.FAILED


@contexts.atomic("billing")
def _topup_settle(
    *,
    topup_id: uuid.UUID,
    amount: Money | None,
    via: str,
    reference: str,
    payment_reference: str,
    actor_id: uuid.UUID | None,
    succeeded: bool,
    reason: str = "",
) -> tuple[TopUp, Applied]:
    topup = _topup_locked(topup_id)  # concurrent confirmations queue here; the second sees the first's outcome
    staff = via == TopUp.STAFF
    if staff and actor_id is not None and actor_id == topup.customer_id:
        raise SelfConfirmation("nobody records a payment into their own prepaid balance: ask another platform admin")
    if (topup.confirmed_via, topup.confirmation_reference) == (via, reference):
        return topup, _replayed(topup)  # the same confirmation again: the same answer, nothing credited twice
    if not staff and _unapplied(via, reference, payment_reference) is not None:
        return topup, Applied.HELD  # that money was already recorded as credited to nothing
    same_payment = (topup.confirmed_via, topup.payment_reference) == (via, payment_reference)
    if payment_reference and same_payment and topup.status == TopUp.Status.CONFIRMED:
        return topup, Applied.CREDITED  # another event about the payment that confirmed it
    cancelled_because = topup.reason if topup.status == TopUp.Status.CANCELLED else ""
    _expire_if_stale(topup)
    cancelled_because = cancelled_because or (topup.reason if topup.status == TopUp.Status.CANCELLED else "")
    pending = topup.status == TopUp.Status.PENDING
    if not succeeded and not pending:
        return topup, Applied.IGNORED  # a late decline: the top-up was paid, cancelled or failed already
    if staff and not pending:
        raise TopUpNotPending(
            f"the top-up is already {topup.status}" + (f" ({topup.reason})" if topup.reason else ""),
            extra={"topup_id": str(topup.id), "status": topup.status},
        )
    if staff and amount is not None and _differs(amount, topup):  # a failure has no amount to check
        raise TopUpAmountDiffers(
            f"the top-up asked for {topup.amount_minor} {topup.currency}, not {amount.amount_minor} "
            f"{amount.currency}: check the amount received (nothing was recorded)",
            extra={"errors": {"amount_minor": [f"{topup.amount_minor} {topup.currency} was requested."]}},
        )
    # A provider's verified success is money received. It confirms a pending top-up, one the provider declined
    # before (the customer paid again), and one cancelled or expired meanwhile (the customer did pay). Anything
    # else — a second payment for a paid top-up, one for a top-up failed on a mismatch — is recorded for refund.
    declined = (
        topup.status == TopUp.Status.FAILED and topup.confirmed_via == via and topup.confirmed_amount_minor is None
    )
    late = topup.status == TopUp.Status.CANCELLED
    if succeeded and not staff and not (pending or declined or late):
        assert amount is not None  # only a failure comes without the amount received
        _hold(topup, via, reference, payment_reference, amount, f"a payment for a top-up already {topup.status}")
        return topup, Applied.HELD
    topup.reason = ""
    taken = TopUp.objects.filter(confirmed_via=via, confirmation_reference=reference)
    if payment_reference:
        taken = taken | TopUp.objects.filter(confirmed_via=via, payment_reference=payment_reference)
    if taken.exclude(id=topup.id).exists():
        raise ConfirmationReused(f"{reference!r} already confirmed another top-up", extra={"reference": reference})
    topup.confirmed_via, topup.confirmation_reference = via, reference
    topup.payment_reference, topup.decided_by_id, topup.decided_at = payment_reference, actor_id, timezone.now()
    if amount is not None:
        topup.confirmed_amount_minor, topup.confirmed_currency = amount.amount_minor, amount.currency
    if not succeeded:
        topup.status, topup.reason = TopUp.Status.FAILED, f"the payment failed: {reason or 'no reason given'}"[:300]
        applied = Applied.FAILED
    elif amount is None:  # never: only a failure comes without the amount received
        raise ValueError("a successful payment carries the amount received")
    elif _differs(amount, topup):
        topup.status = TopUp.Status.FAILED
        topup.reason = (
            f"the confirmation is for {amount.amount_minor} {amount.currency} but {topup.amount_minor} "
            f"{topup.currency} was requested; nothing was credited (held for refund)"
        )
        _hold(topup, via, reference, payment_reference, amount, topup.reason)
        applied = Applied.HELD
    else:
        txn, _ = ledger.post(
            idempotency_key=f"topup:{topup.id}",
            kind="topup",
            reference_id=topup.id,
            memo=f"top-up confirmed by {via}: {reference}"[:300],
            legs=[
                (ledger.account_for(kind=AccountKind.CASH_CLEARING, currency=topup.currency), topup.amount_minor),
                (
                    ledger.account_for(
                        kind=AccountKind.CUSTOMER_PREPAID, currency=topup.currency, owner_id=topup.customer_id
                    ),
                    -topup.amount_minor,
                ),
            ],
        )
        topup.status, topup.transaction = TopUp.Status.CONFIRMED, txn
        if late:  # say so: the customer cancelled, or it expired, before the money came
            topup.reason = f"paid after it was cancelled ({cancelled_because})"[:300]
        applied = Applied.CREDITED
    try:
        with contexts.atomic("billing"):
            topup.save()
    except IntegrityError:  # a concurrent confirmation of another top-up took this reference first
        raise ConfirmationReused(
            f"{reference!r} already confirmed another top-up", extra={"reference": reference}
        ) from None
    return topup, applied


def _unapplied(via: str, event_id: str, payment_reference: str) -> UnappliedPayment | None:
    found = UnappliedPayment.objects.filter(provider=via, event_id=event_id)
    if payment_reference:
        found = found | UnappliedPayment.objects.filter(provider=via, payment_reference=payment_reference)
    return found.first()


def _hold(topup: TopUp, via: str, event_id: str, payment_reference: str, amount: Money, reason: str) -> None:
    """Record money a provider received that credits nothing, for an operator to refund (under the top-up's lock:
    a concurrent duplicate of the event waits, then finds this row)."""
    try:
        with contexts.atomic("billing"):
            UnappliedPayment.objects.create(
                provider=via,
                event_id=event_id,
                payment_reference=payment_reference,
                topup=topup,
                currency=amount.currency,
                amount_minor=amount.amount_minor,
                reason=reason[:300],
            )
    except IntegrityError:  # the same payment, named for another top-up at the same moment, was recorded first
        pass


def payment_notification_apply(*, notification: PaymentNotification) -> PaymentApplied:
    """What a provider's verified notification means for its top-up: confirm, fail, record money for refund, or
    nothing (other events, late declines). Never refuses a verified payment about a top-up of ours: the provider
    would retry for days and the money would have no record."""
    if notification.outcome is Outcome.IGNORED:
        return PaymentApplied(Applied.IGNORED, None)
    if notification.topup_id is None or not TopUp.objects.filter(id=notification.topup_id).exists():
        raise TopUpNotFound("the notification names no top-up of ours", extra={"event_id": notification.event_id})
    succeeded = notification.outcome is Outcome.SUCCEEDED
    topup, applied = _topup_settle(
        topup_id=notification.topup_id,
        amount=notification.amount if succeeded else None,  # a decline received nothing
        via=notification.provider,
        reference=notification.event_id,
        payment_reference=notification.payment_reference,
        actor_id=None,
        succeeded=succeeded,
        reason=notification.failure_reason,
    )
    return PaymentApplied(applied, topup)


@contexts.atomic("billing")
def legacy_topup_reverse(*, transaction_id: uuid.UUID) -> tuple[int, int]:
    """Take back a prepaid credit the customer gave themselves before top-ups needed confirmation
    (selectors.legacy_topups), with a reversing transaction — never an edit. The prepaid balance may not go below
    zero: what was already spent stays spent and is returned as the shortfall for an operator to pursue. Done once
    per transaction (a re-run finds the reversal); one whose balance is empty posts nothing and is reported again.
    Returns (reversed, shortfall) in minor units."""
    original = JournalTransaction.objects.get(id=transaction_id, kind="topup", topup__isnull=True)
    postings = list(original.postings.select_related("account"))
    credit = next(p for p in postings if p.account.kind == AccountKind.CUSTOMER_PREPAID)
    clearing = next(p for p in postings if p.account_id != credit.account_id)
    credited = -credit.amount_minor
    existing = JournalTransaction.objects.filter(reverses=original).first()
    if existing is not None:
        taken = sum(p.amount_minor for p in existing.postings.all() if p.account_id == credit.account_id)
        return taken, credited - taken
    prepaid = ledger.lock_accounts(credit.account_id, clearing.account_id)[credit.account_id]  # balance drawn on
    taken = min(credited, max(prepaid.balance_minor, 0))
    if taken:
        ledger.post(
            idempotency_key=f"legacy-topup-reversal:{original.id}",
            kind="reversal.topup",
            reference_id=original.reference_id,
            memo=f"self-credited top-up without a confirmed payment; {credited - taken} already spent"[:300],
            reverses=original,
            legs=[(prepaid, taken), (clearing.account, -taken)],
        )
    return taken, credited - taken


def _topup_locked(topup_id: uuid.UUID) -> TopUp:
    topup = TopUp.objects.select_for_update().filter(id=topup_id).first()
    if topup is None:
        raise TopUpNotFound("no such top-up")
    return topup


def _expire_if_stale(topup: TopUp) -> None:
    if topup.status == TopUp.Status.PENDING and topup.expires_at <= timezone.now():
        topup.status, topup.reason = TopUp.Status.CANCELLED, "expired: not confirmed in time"
        topup.save(update_fields=["status", "reason", "updated_at"])


def topups_expire() -> int:
    """Cancel pending top-ups nobody confirmed in time (beat, hourly); returns how many."""
    return TopUp.objects.filter(status=TopUp.Status.PENDING, expires_at__lte=timezone.now()).update(
        status=TopUp.Status.CANCELLED, reason="expired: not confirmed in time", updated_at=timezone.now()
    )
