"""Write use cases of the billing context: quotes, fares, settlement, refunds, wallets, payouts."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import itertools
import uuid
import zoneinfo
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.billing import integrations, ledger, pricing, selectors
from apps.billing import models as billing_models
from apps.billing.contracts import (
    ConfirmationReused,
    FareBreakdown,
    InvalidBillingData,
    NoTariff,
    QuoteExpired,
    QuoteNotFound,
    SelfConfirmation,
    TopUpAmountDiffers,
    TopUpMismatch,
    TopUpNotFound,
    TopUpNotPending,
    TripFacts,
)
from apps.billing.events import FareFinalisedV1, PayoutPaidV1
from apps.billing.models import (
    AccountKind,
    FareRecord,
    JournalTransaction,
    Payout,
    Quote,
    Tariff,
    TaxRate,
    TopUp,
    UnappliedPayment,
)
from apps.billing.payments import Outcome, PaymentNotification
from logitrack import jobs
from logitrack.exceptions import Conflict, NotFound
from logitrack.outbox.api import publish
from logitrack.types import GeoPoint, Money

POINTS = "PTS"


# ---- (de)serialising breakdowns for storage ------------------------------------------------


def breakdown_json(b: FareBreakdown) -> dict[str, Any]:
    def money(m: Money) -> int:
        return m.amount_minor

    return {
        "currency": b.currency,
        "prices_include_tax": b.prices_include_tax,
        "lines": [
            {
                "code": x.code,
                "description": x.description,
                "net": money(x.net),
                "tax": money(x.tax),
                "gross": money(x.gross),
                "tax_rate_bps": x.tax_rate_bps,
            }
            for x in b.lines
        ],
        "taxes": [{"name": t.name, "rate_bps": t.rate_bps, "net": money(t.net), "tax": money(t.tax)} for t in b.taxes],
        "net": money(b.net),
        "tax": money(b.tax),
        "total": money(b.total),
    }


def facts_json(f: TripFacts) -> dict[str, Any]:
    return {
        "distance_m": f.distance_m,
        "duration_s": f.duration_s,
        "stops": f.stops,
        "waiting_s": f.waiting_s,
        "at": f.at.isoformat(),
        "points": [[p.lat, p.lng] for p in f.points],
    }


def _price(tariff: Tariff, facts: TripFacts, time_zone: str) -> FareBreakdown:
    return pricing.price(
        tariff.pricing_components(),
        facts,
        currency=tariff.currency,
        default_tax=tariff.default_tax.as_tax(),
        prices_include_tax=tariff.prices_include_tax,
        local_time=facts.at.astimezone(zoneinfo.ZoneInfo(time_zone)),
    )


def estimate_facts(*, points: list[GeoPoint], at: dt.datetime, vehicle_type: str) -> TripFacts:
    """Plan figures when the caller has none: great-circle legs × a road-detour factor at a city speed."""
    metres = sum(a.distance_m(b) for a, b in itertools.pairwise(points)) * settings.BILLING_DETOUR_FACTOR
    speed = settings.BILLING_SPEED_KMH.get(vehicle_type, settings.BILLING_SPEED_KMH["default"])
    return TripFacts(
        distance_m=round(metres),
        duration_s=round(metres / 1000 / speed * 3600),
        stops=len(points),
        at=at,
        points=tuple(points),
    )


# ---- quotes and fares ------------------------------------------------------------------------


# The component types a tariff can be built from, by the name operators use for them.
COMPONENT_KINDS = {
    "base_fare": billing_models.BaseFare,
    "per_km": billing_models.PerKm,
    "per_minute": billing_models.PerMinute,
    "per_stop": billing_models.PerStop,
    "waiting_time": billing_models.WaitingTime,
    "minimum_fare": billing_models.MinimumFare,
    "time_surcharge": billing_models.TimeSurcharge,
    "zone_surcharge": billing_models.ZoneSurcharge,
    "cancellation_fee": billing_models.CancellationFee,
}


@transaction.atomic
def tariff_create(
    *,
    fleet_id: uuid.UUID,
    name: str,
    service: str,
    currency: str,
    tax_name: str,
    tax_bps: int,
    valid_from: dt.datetime,
    components: list[tuple[str, dict[str, Any]]],
    vehicle_type: str = "",
    prices_include_tax: bool = True,
    final_cap_bps: int | None = None,
) -> Tariff:
    """A price list version with its default tax and components, in the order given (the admin's inlines do the
    same one row at a time). Every row is validated before anything is saved."""
    if currency != integrations.fleet_terms(fleet_id=fleet_id).currency:
        raise InvalidBillingData(
            "a tariff is priced in its fleet's currency", extra={"errors": {"currency": [currency]}}
        )
    unknown = sorted({kind for kind, _ in components} - set(COMPONENT_KINDS))
    if unknown:
        raise InvalidBillingData("unknown component type", extra={"errors": {"components": unknown}})
    tax = TaxRate(fleet_id=fleet_id, name=tax_name, rate_bps=tax_bps)
    tariff = Tariff(
        fleet_id=fleet_id,
        name=name,
        service=service,
        vehicle_type=vehicle_type,
        currency=currency,
        default_tax=tax,
        prices_include_tax=prices_include_tax,
        final_cap_bps=final_cap_bps,
        valid_from=valid_from,
    )
    rows = [
        COMPONENT_KINDS[kind](tariff=tariff, position=i, **fields) for i, (kind, fields) in enumerate(components, 1)
    ]
    try:
        for row in (tax, tariff, *rows):
            row.full_clean(exclude=["tariff", "default_tax"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise InvalidBillingData("the tariff is not valid", extra={"errors": exc.message_dict}) from None
    tax.save()
    tariff.default_tax = tax
    tariff.save()
    for row in rows:
        row.tariff = tariff
        row.save()
    return tariff


@transaction.atomic
def quote_create(
    *, fleet_id: uuid.UUID, vehicle_type: str, service: str, facts: TripFacts, customer_id: uuid.UUID | None
) -> Quote:
    terms = integrations.fleet_terms(fleet_id=fleet_id)
    tariff = selectors.tariff_for(fleet_id=fleet_id, vehicle_type=vehicle_type, service=service, at=facts.at)
    if tariff is None:
        raise NoTariff(f"the fleet has no {service} tariff for a {vehicle_type or 'vehicle'} at that time")
    fare = _price(tariff, facts, terms.time_zone)
    return Quote.objects.create(
        fleet_id=fleet_id,
        tariff=tariff,
        customer_id=customer_id,
        vehicle_type=vehicle_type,
        service=service,
        facts=facts_json(facts),
        breakdown=breakdown_json(fare),
        currency=fare.currency,
        total_minor=fare.total.amount_minor,
        expires_at=timezone.now() + dt.timedelta(minutes=tariff.quote_valid_minutes),
    )


def quote_check(*, quote_id: uuid.UUID, fleet_id: uuid.UUID) -> Quote:
    """A quote a booking may rely on: this fleet's, and not expired."""
    quote = Quote.objects.filter(id=quote_id, fleet_id=fleet_id).first()
    if quote is None:
        raise QuoteNotFound("no such quote for this fleet")
    if quote.expires_at <= timezone.now():
        raise QuoteExpired("the quote has expired; ask for a new one")
    return quote


@dataclasses.dataclass(frozen=True)
class Shares:
    tax: int
    platform: int
    fleet: int
    driver: int


def split(*, net: int, tax: int, fleet_commission_bps: int) -> Shares:
    """Who gets what of a fare: tax to the authority, the platform's fee and the fleet's commission
    from the net, the rest to the driver. Rounding favours the driver (commissions round down)."""
    platform = net * settings.BILLING_PLATFORM_COMMISSION_BPS // 10_000
    fleet = net * fleet_commission_bps // 10_000
    return Shares(tax=tax, platform=platform, fleet=fleet, driver=net - platform - fleet)


@transaction.atomic
def trip_complete_settle(
    *,
    trip_id: uuid.UUID,
    fleet_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    driver_id: uuid.UUID,
    vehicle_type: str,
    service: str,
    quote_id: uuid.UUID | None,
    facts: TripFacts,
) -> FareRecord:
    """Price the completed trip with the tariff of its quote (or the one in force), apply the quote's
    guarantee, and post the settlement. Idempotent per trip."""
    existing = FareRecord.objects.filter(trip_id=trip_id).first()
    if existing is not None:
        return existing
    terms = integrations.fleet_terms(fleet_id=fleet_id)
    quote = Quote.objects.select_related("tariff__default_tax").filter(id=quote_id).first() if quote_id else None
    tariff = (
        quote.tariff
        if quote
        else selectors.tariff_for(fleet_id=fleet_id, vehicle_type=vehicle_type, service=service, at=facts.at)
    )
    if tariff is None:
        raise NoTariff("no tariff to price this trip")
    fare = _price(tariff, facts, terms.time_zone)
    capped = False
    if quote is not None and tariff.final_cap_bps is not None:
        limit = quote.total_minor + quote.total_minor * tariff.final_cap_bps // 10_000
        fare, capped = pricing.cap_total(fare, limit=Money(limit, fare.currency))
    record = FareRecord.objects.create(
        trip_id=trip_id,
        quote=quote,
        kind="fare",
        fleet_id=fleet_id,
        customer_id=customer_id,
        driver_id=driver_id,
        facts=facts_json(facts),
        breakdown=breakdown_json(fare),
        currency=fare.currency,
        net_minor=fare.net.amount_minor,
        tax_minor=fare.tax.amount_minor,
        total_minor=fare.total.amount_minor,
        capped=capped,
    )
    shares = _settle(record, terms.commission_bps, idempotency_key=f"settle:{trip_id}", kind="settlement")
    _award_points(record)
    jobs.enqueue_on_commit("billing.issue_receipt", trip_id=str(trip_id))
    publish(
        FareFinalisedV1(
            trip_id=trip_id,
            fleet_id=fleet_id,
            customer_id=customer_id,
            driver_id=driver_id,
            net=fare.net,
            tax=fare.tax,
            total=fare.total,
            capped=capped,
            driver_earning=Money(shares.driver, fare.currency),
        )
    )
    return record


def _settle(record: FareRecord, commission_bps: int, *, idempotency_key: str, kind: str) -> Shares:
    """Charge the customer (prepaid balance when it covers the total, else their receivable) and credit
    tax, platform fee, fleet commission and the driver's earning."""
    c = record.currency
    shares = split(net=record.net_minor, tax=record.tax_minor, fleet_commission_bps=commission_bps)
    prepaid = selectors.account_find(kind=AccountKind.CUSTOMER_PREPAID, currency=c, owner_id=record.customer_id)
    if prepaid is not None and prepaid.balance_minor >= record.total_minor:
        payer = prepaid
    else:
        payer = ledger.account_for(
            kind=AccountKind.CUSTOMER_RECEIVABLE, currency=c, owner_id=record.customer_id, fleet_id=record.fleet_id
        )
    driver_account = (
        ledger.account_for(
            kind=AccountKind.DRIVER_WALLET, currency=c, owner_id=record.driver_id, fleet_id=record.fleet_id
        )
        if record.driver_id
        else ledger.account_for(kind=AccountKind.FLEET_REVENUE, currency=c, owner_id=record.fleet_id)
    )
    legs = [
        (payer, record.total_minor),
        (ledger.account_for(kind=AccountKind.TAX_PAYABLE, currency=c, owner_id=record.fleet_id), -shares.tax),
        (ledger.account_for(kind=AccountKind.PLATFORM_COMMISSION, currency=c), -shares.platform),
        (ledger.account_for(kind=AccountKind.FLEET_REVENUE, currency=c, owner_id=record.fleet_id), -shares.fleet),
        (driver_account, -shares.driver),
    ]
    ledger.post(
        idempotency_key=idempotency_key,
        kind=kind,
        legs=legs,
        reference_id=record.trip_id,
        fleet_id=record.fleet_id,
        memo=f"{record.kind} for trip {record.trip_id}",
    )
    return shares


def _award_points(record: FareRecord) -> None:
    points = record.total_minor * settings.BILLING_POINTS_PER_100_MINOR // 100
    if record.customer_id is None or points <= 0:
        return
    ledger.post(
        idempotency_key=f"points:{record.trip_id}",
        kind="loyalty.earned",
        reference_id=record.trip_id,
        fleet_id=record.fleet_id,
        legs=[
            (ledger.account_for(kind=AccountKind.PROMOTIONS, currency=POINTS), points),
            (
                ledger.account_for(kind=AccountKind.CUSTOMER_LOYALTY, currency=POINTS, owner_id=record.customer_id),
                -points,
            ),
        ],
    )


@transaction.atomic
def trip_cancel_settle(
    *,
    trip_id: uuid.UUID,
    fleet_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    driver_id: uuid.UUID | None,
    quote_id: uuid.UUID | None,
    cancelled_by: str,
    booked_at: dt.datetime,
    cancelled_at: dt.datetime,
) -> FareRecord | None:
    """Charge the tariff's cancellation fee when a customer cancels after the free period."""
    if cancelled_by != "customer" or FareRecord.objects.filter(trip_id=trip_id).exists():
        return FareRecord.objects.filter(trip_id=trip_id).first()
    quote = Quote.objects.select_related("tariff__default_tax").filter(id=quote_id).first() if quote_id else None
    if quote is None:
        return None
    tariff = quote.tariff
    fee = pricing.cancellation_fee(
        tariff.pricing_components(),
        currency=tariff.currency,
        default_tax=tariff.default_tax.as_tax(),
        prices_include_tax=tariff.prices_include_tax,
        minutes_since_booking=(cancelled_at - booked_at).total_seconds() / 60,
    )
    if fee is None:
        return None
    terms = integrations.fleet_terms(fleet_id=fleet_id)
    record = FareRecord.objects.create(
        trip_id=trip_id,
        quote=quote,
        kind="cancellation",
        fleet_id=fleet_id,
        customer_id=customer_id,
        driver_id=driver_id,
        facts={
            "cancelled_by": cancelled_by,
            "booked_at": booked_at.isoformat(),
            "cancelled_at": cancelled_at.isoformat(),
        },
        breakdown=breakdown_json(fee),
        currency=fee.currency,
        net_minor=fee.net.amount_minor,
        tax_minor=fee.tax.amount_minor,
        total_minor=fee.total.amount_minor,
    )
    _settle(record, terms.commission_bps, idempotency_key=f"cancel:{trip_id}", kind="cancellation_fee")
    return record


@transaction.atomic
def trip_refund(*, trip_id: uuid.UUID, reason: str) -> JournalTransaction:
    """Refund a settled trip in full: a reversal of its settlement (and of the points it earned)."""
    if not reason.strip():
        raise InvalidBillingData("say why", extra={"errors": {"reason": ["Required."]}})
    original = JournalTransaction.objects.filter(
        reference_id=trip_id, kind__in=["settlement", "cancellation_fee"]
    ).first()
    if original is None:
        raise NotFound("nothing was charged for this trip", code="billing.nothing_to_refund")
    if hasattr(original, "reversed_by"):
        raise Conflict("this trip was already refunded", code="billing.already_refunded")
    txn, _ = ledger.reverse(original=original, idempotency_key=f"refund:{trip_id}", memo=f"refund: {reason.strip()}")
    jobs.enqueue_on_commit("billing.issue_credit_note", trip_id=str(trip_id))
    points = JournalTransaction.objects.filter(idempotency_key=f"points:{trip_id}").first()
    if points is not None and not hasattr(points, "reversed_by"):
        ledger.reverse(original=points, idempotency_key=f"refund-points:{trip_id}", memo="points of a refunded trip")
    return txn


# ---- customers: top-ups of the prepaid balance, and points ------------------------------------


def topup_request(*, customer_id: uuid.UUID, amount: Money, idempotency_key: str) -> TopUp:
    """A customer asks to add money to their prepaid balance: a pending top-up, which credits nothing until a
    trusted party confirms the money arrived. The same request key answers the same top-up."""
    if amount.amount_minor <= 0:
        raise InvalidBillingData("top up a positive amount", extra={"errors": {"amount_minor": ["Must be positive."]}})
    existing = TopUp.objects.filter(customer_id=customer_id, request_key=idempotency_key).first()
    if existing is not None:
        return _topup_retried(existing, amount)
    try:
        with transaction.atomic():
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


@transaction.atomic
def topup_cancel(*, topup_id: uuid.UUID, customer_id: uuid.UUID | None) -> TopUp:
    """The customer withdraws a pending request (cancelling it again answers the same; customer_id None: any
    customer's, for platform admins). A payment that still arrives later is credited all the same."""
    topup = _topup_locked(topup_id, customer_id=customer_id)
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


@transaction.atomic
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
    if staff and _differs(amount, topup):
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
        with transaction.atomic():
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
        with transaction.atomic():
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


@transaction.atomic
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


def _topup_locked(topup_id: uuid.UUID, *, customer_id: uuid.UUID | None = None) -> TopUp:
    qs = TopUp.objects.select_for_update().filter(id=topup_id)
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    topup = qs.first()
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


@transaction.atomic
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


# ---- drivers: payouts ------------------------------------------------------------------------


@transaction.atomic
def payout_request(*, driver_id: uuid.UUID, fleet_id: uuid.UUID, amount: Money, idempotency_key: str) -> Payout:
    """Hold the amount out of the wallet (never more than it holds) until a manager decides."""
    if amount.amount_minor <= 0:
        raise InvalidBillingData("ask for a positive amount", extra={"errors": {"amount_minor": ["Must be positive."]}})
    existing = Payout.objects.filter(driver_id=driver_id, request_key=idempotency_key).first()
    if existing is not None:
        return _payout_retried(existing, amount)
    try:
        with transaction.atomic():
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


@transaction.atomic
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
    return payout


@transaction.atomic
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
