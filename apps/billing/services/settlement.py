"""Settling trips: the final fare of a completed trip, the cancellation fee, and refunds."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.db.models import Q

from apps.billing import integrations, pricing, selectors
from apps.billing.contracts import FareBreakdown, InvalidBillingData, NoTariff, TripFacts
from apps.billing.events import FareFinalisedV1
from apps.billing.models import Account, AccountKind, FareRecord, JournalTransaction, Quote, Tariff
from apps.billing.services import fares, ledger, loyalty
from apps.trips.contracts import CancelledBy
from logitrack import jobs, metrics
from logitrack.db import contexts
from logitrack.exceptions import Conflict, NotFound
from logitrack.outbox.api import publish, publish_many
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


@contexts.atomic("billing")
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
    fare, capped = _priced(tariff, quote, facts, terms.time_zone)
    record = _fare_record(
        trip_id=trip_id, fleet_id=fleet_id, customer_id=customer_id, driver_id=driver_id, quote=quote, facts=facts,
        fare=fare, capped=capped,
    )  # fmt: skip
    record.save(force_insert=True)
    shares = _settle(record, terms.commission_bps, idempotency_key=f"settle:{trip_id}", kind="settlement")
    loyalty.points_award(record)
    jobs.enqueue_on_commit("billing.issue_receipt", trip_id=str(trip_id))
    contexts.on_commit(metrics.SETTLEMENTS.inc, "billing")  # a settlement rolled back is not one
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


def _priced(tariff, quote: Quote | None, facts: TripFacts, time_zone: str) -> tuple[FareBreakdown, bool]:
    """The trip's fare by the tariff, held to the quote's guarantee (`final_cap_bps` above it) when there is one."""
    fare = fares.fare_price(tariff, facts, time_zone)
    if quote is None or tariff.final_cap_bps is None:
        return fare, False
    limit = quote.total_minor + quote.total_minor * tariff.final_cap_bps // 10_000
    return pricing.cap_total(fare, limit=Money(limit, fare.currency))


def _fare_record(
    *,
    trip_id: uuid.UUID,
    fleet_id: uuid.UUID,
    customer_id: uuid.UUID | None,
    driver_id: uuid.UUID,
    quote: Quote | None,
    facts: TripFacts,
    fare: FareBreakdown,
    capped: bool,
) -> FareRecord:
    return FareRecord(
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


@dataclasses.dataclass(frozen=True, kw_only=True)
class CompletedTrip:
    """`trip_complete_settle`'s arguments, one trip of a batch."""

    trip_id: uuid.UUID
    fleet_id: uuid.UUID
    customer_id: uuid.UUID | None
    driver_id: uuid.UUID
    vehicle_type: str
    service: str
    quote_id: uuid.UUID | None
    facts: TripFacts


@contexts.atomic("billing", savepoint=False)  # all or nothing with the caller's transaction: no savepoint round trips
def trips_complete_settle(*, trips: Sequence[CompletedTrip]) -> list[FareRecord]:
    """`trip_complete_settle` of several trips (a batch of completion events) as one unit: the same fare records,
    postings, balances, points and events as settling them one by one in this order, with one look-up of each
    kind — fare records, fleets' terms, quotes, tariffs, accounts — one lock of the accounts and bulk inserts
    (ledger.post_many). Idempotent per trip. Returns each trip's record, in order."""
    records = {r.trip_id: r for r in FareRecord.objects.filter(trip_id__in=[t.trip_id for t in trips])}
    todo = list({t.trip_id: t for t in trips if t.trip_id not in records}.values())
    if not todo:
        return [records[t.trip_id] for t in trips]
    terms = {fleet_id: integrations.fleet_terms(fleet_id=fleet_id) for fleet_id in {t.fleet_id for t in todo}}
    quote_ids = {t.quote_id for t in todo if t.quote_id}
    quotes = (
        {q.id: q for q in Quote.objects.select_related("tariff__default_tax").filter(id__in=quote_ids)}
        if quote_ids
        else {}
    )
    in_force = _tariffs_in_force([t for t in todo if t.quote_id not in quotes])
    new: list[tuple[FareRecord, CompletedTrip, FareBreakdown]] = []
    for t in todo:
        quote = quotes.get(t.quote_id) if t.quote_id else None
        tariff = quote.tariff if quote else _tariff_for(in_force, t)
        if tariff is None:
            raise NoTariff("no tariff to price this trip")
        fare, capped = _priced(tariff, quote, t.facts, terms[t.fleet_id].time_zone)
        record = _fare_record(
            trip_id=t.trip_id, fleet_id=t.fleet_id, customer_id=t.customer_id, driver_id=t.driver_id, quote=quote,
            facts=t.facts, fare=fare, capped=capped,
        )  # fmt: skip
        new.append((record, t, fare))
    FareRecord.objects.bulk_create([record for record, _, _ in new])
    settled = [record for record, _, _ in new]
    shares = _settle_many(settled, [terms[r.fleet_id].commission_bps for r in settled])
    for record, _, _ in new:
        jobs.enqueue_on_commit("billing.issue_receipt", trip_id=str(record.trip_id))
        records[record.trip_id] = record
    contexts.on_commit(lambda: metrics.SETTLEMENTS.inc(len(new)), "billing")
    publish_many(
        [
            FareFinalisedV1(
                trip_id=record.trip_id,
                fleet_id=record.fleet_id,
                customer_id=record.customer_id,
                driver_id=record.driver_id,
                net=fare.net,
                tax=fare.tax,
                total=fare.total,
                capped=record.capped,
                driver_earning=Money(share.driver, fare.currency),
            )
            for (record, _, fare), share in zip(new, shares, strict=True)
        ]
    )
    return [records[t.trip_id] for t in trips]


def _tariffs_in_force(trips: Sequence[CompletedTrip]) -> list[Tariff]:
    """Every tariff `selectors.tariff_for` could choose for these trips, in one query."""
    if not trips:
        return []
    earliest, latest = min(t.facts.at for t in trips), max(t.facts.at for t in trips)
    return list(
        Tariff.objects.filter(
            fleet_id__in={t.fleet_id for t in trips}, service__in={t.service for t in trips}, valid_from__lte=latest
        )
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=earliest))
        .filter(Q(vehicle_type__in={t.vehicle_type for t in trips}) | Q(vehicle_type=""))
        .select_related("default_tax")
    )


def _tariff_for(tariffs: Sequence[Tariff], t: CompletedTrip) -> Tariff | None:
    """`selectors.tariff_for` among `tariffs`: in force at the trip's start, its vehicle type's before any type's,
    then the newest version."""
    at = t.facts.at
    fitting = [
        x
        for x in tariffs
        if x.fleet_id == t.fleet_id
        and x.service == t.service
        and x.vehicle_type in (t.vehicle_type, "")
        and x.valid_from <= at
        and (x.valid_until is None or x.valid_until > at)
    ]
    return max(fitting, key=lambda x: (x.vehicle_type, x.valid_from), default=None)


def _legs_keys(record: FareRecord) -> dict[str, ledger.AccountKey]:
    c = record.currency
    fleet = (AccountKind.FLEET_REVENUE, c, record.fleet_id, None)
    return {
        "prepaid": (AccountKind.CUSTOMER_PREPAID, c, record.customer_id, None),
        "receivable": (AccountKind.CUSTOMER_RECEIVABLE, c, record.customer_id, record.fleet_id),
        "tax": (AccountKind.TAX_PAYABLE, c, record.fleet_id, None),
        "platform": (AccountKind.PLATFORM_COMMISSION, c, None, None),
        "fleet": fleet,
        "driver": (AccountKind.DRIVER_WALLET, c, record.driver_id, record.fleet_id) if record.driver_id else fleet,
    }


def _settle_many(records: Sequence[FareRecord], commission_bps: Sequence[int]) -> list[Shares]:
    """`_settle` and `loyalty.points_award` of each record as one ledger unit: the accounts of every trip found in
    one query, the payer of each chosen as one by one would (a prepaid balance pays when what the earlier trips of
    the batch left of it covers the total)."""
    keys = [_legs_keys(r) for r in records]
    points = [loyalty.points_keys(r) for r in records]
    wanted = list(dict.fromkeys([k for ks in keys for k in ks.values()] + [k for p in points if p for k in p[1:]]))
    found = ledger.accounts_find(wanted)
    prepaid_left = {k: a.balance_minor for k, a in found.items() if k[0] == AccountKind.CUSTOMER_PREPAID}
    payers = []
    for record, ks in zip(records, keys, strict=True):
        left = prepaid_left.get(ks["prepaid"])
        if left is not None and left >= record.total_minor:
            prepaid_left[ks["prepaid"]] = left - record.total_minor
            payers.append(ks["prepaid"])
        else:
            payers.append(ks["receivable"])
    others = [k for ks in keys for name, k in ks.items() if name not in ("prepaid", "receivable")]
    needed = list(dict.fromkeys(payers + others + [k for p in points if p for k in p[1:]]))
    accounts: dict[ledger.AccountKey, Account] = ledger.accounts_for(needed, found=found)
    entries, shares = [], []
    for record, ks, payer, bps, award in zip(records, keys, payers, commission_bps, points, strict=True):
        share = split(net=record.net_minor, tax=record.tax_minor, fleet_commission_bps=bps)
        shares.append(share)
        entries.append(
            ledger.Entry(
                idempotency_key=f"settle:{record.trip_id}",
                kind="settlement",
                legs=[
                    (accounts[payer], record.total_minor),
                    (accounts[ks["tax"]], -share.tax),
                    (accounts[ks["platform"]], -share.platform),
                    (accounts[ks["fleet"]], -share.fleet),
                    (accounts[ks["driver"]], -share.driver),
                ],
                reference_id=record.trip_id,
                fleet_id=record.fleet_id,
                memo=f"{record.kind} for trip {record.trip_id}",
            )
        )
        if award:
            amount, promotions, earned = award
            entries.append(
                ledger.Entry(
                    idempotency_key=f"points:{record.trip_id}",
                    kind="loyalty.earned",
                    reference_id=record.trip_id,
                    fleet_id=record.fleet_id,
                    legs=[(accounts[promotions], amount), (accounts[earned], -amount)],
                )
            )
    ledger.post_many(entries)
    return shares


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


@contexts.atomic("billing")
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


@contexts.atomic("billing")
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
