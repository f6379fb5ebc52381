"""Settling trips: the final fare of a completed trip, the cancellation fee, and refunds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.conf import settings
from django.db import transaction

from apps.billing import integrations, pricing, selectors
from apps.billing.contracts import InvalidBillingData, NoTariff, TripFacts
from apps.billing.events import FareFinalisedV1
from apps.billing.models import AccountKind, FareRecord, JournalTransaction, Quote
from apps.billing.services import fares, ledger, loyalty
from apps.trips.contracts import CancelledBy
from logitrack import jobs
from logitrack.exceptions import Conflict, NotFound
from logitrack.outbox.api import publish
from logitrack.types import Money


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
    fare = fares.fare_price(tariff, facts, terms.time_zone)
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
        facts=fares.facts_json(facts),
        breakdown=fares.breakdown_json(fare),
        currency=fare.currency,
        net_minor=fare.net.amount_minor,
        tax_minor=fare.tax.amount_minor,
        total_minor=fare.total.amount_minor,
        capped=capped,
    )
    shares = _settle(record, terms.commission_bps, idempotency_key=f"settle:{trip_id}", kind="settlement")
    loyalty.points_award(record)
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
    prepaid_key = (AccountKind.CUSTOMER_PREPAID, c, record.customer_id, None)
    receivable = (AccountKind.CUSTOMER_RECEIVABLE, c, record.customer_id, record.fleet_id)
    tax = (AccountKind.TAX_PAYABLE, c, record.fleet_id, None)
    platform = (AccountKind.PLATFORM_COMMISSION, c, None, None)
    fleet = (AccountKind.FLEET_REVENUE, c, record.fleet_id, None)
    driver = (AccountKind.DRIVER_WALLET, c, record.driver_id, record.fleet_id) if record.driver_id else fleet
    # one query for the accounts that exist (every one but on a customer's or driver's first trip)
    found = ledger.accounts_find([prepaid_key, receivable, tax, platform, fleet, driver])
    prepaid = found.get(prepaid_key)
    payer_key = prepaid_key if prepaid is not None and prepaid.balance_minor >= record.total_minor else receivable
    accounts = ledger.accounts_for([payer_key, tax, platform, fleet, driver], found=found)
    legs = [
        (accounts[payer_key], record.total_minor),
        (accounts[tax], -shares.tax),
        (accounts[platform], -shares.platform),
        (accounts[fleet], -shares.fleet),
        (accounts[driver], -shares.driver),
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
    if cancelled_by != CancelledBy.CUSTOMER or FareRecord.objects.filter(trip_id=trip_id).exists():
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
        breakdown=fares.breakdown_json(fee),
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
