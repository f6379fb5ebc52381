"""Read use cases of the billing context."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.db.models import Q, QuerySet

from apps.billing.contracts import TopUpNotFound, TripFare
from apps.billing.models import (
    Account,
    AccountKind,
    FareRecord,
    JournalTransaction,
    Payout,
    Posting,
    Quote,
    Tariff,
    TopUp,
)


def tariff_for(*, fleet_id: uuid.UUID, vehicle_type: str, service: str, at: dt.datetime) -> Tariff | None:
    """The tariff in force at `at`: one for this vehicle type beats one for any type."""
    return (
        Tariff.objects.filter(fleet_id=fleet_id, service=service, valid_from__lte=at)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gt=at))
        .filter(Q(vehicle_type=vehicle_type) | Q(vehicle_type=""))
        .select_related("default_tax")
        .order_by("-vehicle_type", "-valid_from")
        .first()
    )


def account_find(
    *, kind: AccountKind, currency: str, owner_id: uuid.UUID | None, fleet_id: uuid.UUID | None = None
) -> Account | None:
    return Account.objects.filter(kind=kind, currency=currency, owner_id=owner_id, fleet_id=fleet_id).first()


def statement(*, account: Account) -> QuerySet:
    """Postings of an account, newest first, with their transaction."""
    return (
        Posting.objects.filter(account=account).select_related("transaction").order_by("-transaction__posted_at", "-id")
    )


def payouts_visible(
    *, driver_ids: list[uuid.UUID] | None, fleet_ids: frozenset[uuid.UUID] | None, status: str | None
) -> QuerySet:
    qs = Payout.objects.order_by("-created_at")
    if driver_ids is not None:
        qs = qs.filter(driver_id__in=driver_ids)
    if fleet_ids is not None:
        qs = qs.filter(fleet_id__in=fleet_ids)
    if status:
        qs = qs.filter(status=status)
    return qs


def customer_balances(*, customer_id: uuid.UUID) -> dict:
    """Prepaid credit and amounts owed per currency, and loyalty points, of one customer."""
    prepaid: dict[str, int] = {}
    owed: dict[str, int] = {}
    points = 0
    for account in Account.objects.filter(owner_id=customer_id):
        if account.kind == AccountKind.CUSTOMER_PREPAID:
            prepaid[account.currency] = prepaid.get(account.currency, 0) + account.balance_minor
        elif account.kind == AccountKind.CUSTOMER_RECEIVABLE:
            owed[account.currency] = owed.get(account.currency, 0) + account.balance_minor
        elif account.kind == AccountKind.CUSTOMER_LOYALTY:
            points += account.balance_minor
    return {"prepaid": prepaid, "owed": owed, "loyalty_points": points}


def wallets_with_balance(*, fleet_id: uuid.UUID) -> list[tuple[uuid.UUID, int]]:
    """(driver id, balance) of the fleet's driver wallets holding money, richest first."""
    return list(
        Account.objects.filter(kind=AccountKind.DRIVER_WALLET, fleet_id=fleet_id, balance_minor__gt=0)
        .order_by("-balance_minor", "owner_id")
        .values_list("owner_id", "balance_minor")
    )


def trip_fares(*, trips: list[tuple[uuid.UUID, uuid.UUID | None]]) -> list[TripFare]:
    """Quoted and settled totals of many trips in two queries (no per-trip look-ups on a trip list)."""
    quote_ids = {q for _, q in trips if q is not None}
    quotes = {
        q_id: (currency, total)
        for q_id, currency, total in Quote.objects.filter(id__in=quote_ids).values_list("id", "currency", "total_minor")
    }
    settled = {
        trip_id: (currency, total, kind)
        for trip_id, currency, total, kind in FareRecord.objects.filter(trip_id__in=[t for t, _ in trips]).values_list(
            "trip_id", "currency", "total_minor", "kind"
        )
    }
    fares = []
    for trip_id, quote_id in trips:
        quoted, final = quotes.get(quote_id), settled.get(trip_id)
        if quoted is None and final is None:
            continue
        fares.append(
            TripFare(
                trip_id=trip_id,
                currency=(final or quoted)[0],
                quoted_total_minor=quoted[1] if quoted else None,
                final_total_minor=final[1] if final else None,
                final_kind=final[2] if final else None,
            )
        )
    return fares


def topups_visible(*, customer_id: uuid.UUID | None, status: str | None = None) -> QuerySet:
    """Top-ups newest first: one customer's, or everyone's (customer_id None: platform admins)."""
    qs = TopUp.objects.order_by("-created_at")
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    return qs.filter(status=status) if status else qs


def topup_visible(*, topup_id: uuid.UUID, customer_id: uuid.UUID | None) -> TopUp:
    """One top-up the caller may see (customer_id None: any); TopUpNotFound (404) otherwise."""
    topup = topups_visible(customer_id=customer_id).filter(id=topup_id).first()
    if topup is None:
        raise TopUpNotFound("no such top-up")
    return topup


@dataclasses.dataclass(frozen=True)
class LegacyTopUp:
    """A prepaid credit a customer gave themselves through the top-up endpoint before confirmation existed."""

    transaction: JournalTransaction
    customer_id: uuid.UUID
    currency: str
    credited_minor: int
    balance_minor: int  # the customer's prepaid balance in that currency now
    reversed_minor: int | None  # taken back by billing_unconfirmed_topups; None while not reversed


def legacy_topups() -> list[LegacyTopUp]:
    """Top-up transactions no TopUp confirmed: the old endpoint posted them straight away (key
    `topup:<customer>:<request>`, reference the customer), where a confirmed top-up's transaction is its TopUp's."""
    found = []
    unconfirmed = (
        JournalTransaction.objects.filter(kind="topup", topup__isnull=True)
        .select_related("reversed_by")
        .prefetch_related("postings__account", "reversed_by__postings__account")
        .order_by("posted_at", "id")
    )
    for txn in unconfirmed:
        credit = next(p for p in txn.postings.all() if p.account.kind == AccountKind.CUSTOMER_PREPAID)
        reversal = getattr(txn, "reversed_by", None)
        found.append(
            LegacyTopUp(
                transaction=txn,
                customer_id=credit.account.owner_id,
                currency=credit.account.currency,
                credited_minor=-credit.amount_minor,
                balance_minor=credit.account.balance_minor,
                reversed_minor=(
                    sum(p.amount_minor for p in reversal.postings.all() if p.account_id == credit.account_id)
                    if reversal is not None
                    else None
                ),
            )
        )
    return found
