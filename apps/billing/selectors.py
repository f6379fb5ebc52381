"""Read use cases of the billing context, and who may see what.

Visibility is decided here once, from the caller's `Principal`: `quotes_visible`, `wallet_of_driver`,
`accounts_managed`, `payouts_visible` / `payouts_managed`, `fare_records_managed`, `topups_visible`,
`invoices_visible` / `invoices_managed` (credit notes and receipts are invoices of their kind). Every REST view and
admin page of billing asks these; the `*_managed` ones are what a fleet manager acts on (their fleets' rows; every
row for platform admins), the `*_visible` ones add what a driver or customer sees of their own. (The top-up and
unapplied-payment admin pages are for platform admins only: `admin.PlatformOnly` refuses everyone else.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator

from django.db.models import Count, Min, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from prometheus_client.core import GaugeMetricFamily

from apps.billing import integrations
from apps.billing.contracts import (
    CurrencyTotal,
    FareLineRef,
    PayoutsWaiting,
    QuoteNotFound,
    RevenueDayFigures,
    SurchargeZone,
    TopUpNotFound,
    TripFare,
    TripFareDetail,
    TripMoney,
    WaitingPayout,
)
from apps.billing.models import (
    Account,
    AccountKind,
    FareRecord,
    Invoice,
    JournalTransaction,
    LedgerCheck,
    Payout,
    Posting,
    Quote,
    RevenueDay,
    Tariff,
    TaxRate,
    TopUp,
    ZoneSurcharge,
)
from apps.billing.services.figures import FARE_KINDS, PAYERS, REFUND_KINDS
from logitrack.db.rows import RowsByKey
from logitrack.exceptions import NotFound
from logitrack.principal import Principal, Role


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


def surcharge_zones(*, fleet_id: uuid.UUID, at: dt.datetime) -> list[SurchargeZone]:
    """The zones of the fleet's tariffs in force at `at` (any service or vehicle type), each circle once."""
    rows = (
        ZoneSurcharge.objects.filter(tariff__fleet_id=fleet_id, tariff__valid_from__lte=at)
        .filter(Q(tariff__valid_until__isnull=True) | Q(tariff__valid_until__gt=at))
        .order_by("position", "id")
    )
    zones: dict[tuple[float, float, int], SurchargeZone] = {}
    for z in rows:
        key = (z.center_lat, z.center_lng, z.radius_m)
        zones.setdefault(
            key, SurchargeZone(label=z.label, center_lat=z.center_lat, center_lng=z.center_lng, radius_m=z.radius_m)
        )
    return list(zones.values())


def account_find(
    *, kind: AccountKind, currency: str, owner_id: uuid.UUID | None, fleet_id: uuid.UUID | None = None
) -> Account | None:
    return Account.objects.filter(kind=kind, currency=currency, owner_id=owner_id, fleet_id=fleet_id).first()


def statement(*, account: Account) -> QuerySet:
    """Postings of an account, newest first (in the order the ledger recorded them: posting_account_recent), with
    their transaction: the columns a statement line shows (rest_api StatementLineOutput), not the idempotency key."""
    return (
        Posting.objects.filter(account=account).select_related("transaction").only(*STATEMENT_COLUMNS).order_by("-id")
    )


STATEMENT_COLUMNS = (
    "id", "amount_minor", "currency", "transaction",
    "transaction__posted_at", "transaction__kind", "transaction__memo", "transaction__reference_id",
)  # fmt: skip


def payouts_managed(*, principal: Principal | None) -> QuerySet:
    """Payouts a fleet manager decides and pays, newest first: their fleets' (every fleet's for platform admins)."""
    qs = Payout.objects.order_by("-created_at", "-id")
    if principal is None:
        return qs.none()
    return qs if principal.is_platform_admin else qs.filter(fleet_id__in=principal.fleets(Role.FLEET_MANAGER))


def payouts_visible(*, principal: Principal, fleet_id: uuid.UUID | None = None) -> QuerySet:
    """Payouts the caller sees, newest first: a fleet manager (or platform admin) those they manage; a driver their
    own, as the driver they are in `fleet_id` (their only fleet when None; 404 when not a driver there)."""
    if principal.is_platform_admin or principal.has_role(Role.FLEET_MANAGER):
        return payouts_managed(principal=principal)
    driver_id, _ = integrations.driver_of(user_id=principal.user_id, fleet_id=fleet_id)
    return Payout.objects.filter(driver_id=driver_id).order_by("-created_at", "-id")


def payout_managed(*, principal: Principal, payout_id: uuid.UUID) -> Payout:
    """One payout the caller may decide or pay; 404 `billing.payout_not_found` otherwise (another fleet's too)."""
    payout = payouts_managed(principal=principal).filter(id=payout_id).first()
    if payout is None:
        raise NotFound("no such payout", code="billing.payout_not_found")
    return payout


def quotes_visible(*, principal: Principal) -> QuerySet:
    """Quotes the caller sees: a customer's own, and those of fleets they dispatch or manage (all for platform
    admins)."""
    if principal.is_platform_admin:
        return Quote.objects.all()
    return Quote.objects.filter(
        Q(customer_id=principal.user_id) | Q(fleet_id__in=principal.fleets(Role.DISPATCHER, Role.FLEET_MANAGER))
    )


def quote_visible(*, principal: Principal, quote_id: uuid.UUID) -> Quote:
    quote = quotes_visible(principal=principal).filter(id=quote_id).first()
    if quote is None:
        raise QuoteNotFound("no such quote")
    return quote


def fare_records_managed(*, principal: Principal) -> QuerySet:
    """Fares and fees a fleet manager may refund: their fleets' (every fleet's for platform admins)."""
    if principal.is_platform_admin:
        return FareRecord.objects.all()
    return FareRecord.objects.filter(fleet_id__in=principal.fleets(Role.FLEET_MANAGER))


def fare_record_managed(*, principal: Principal, trip_id: uuid.UUID) -> FareRecord:
    """The fare of a trip the caller may refund; 404 `billing.nothing_to_refund` otherwise (another fleet's too)."""
    record = fare_records_managed(principal=principal).filter(trip_id=trip_id).first()
    if record is None:
        raise NotFound("nothing was charged for this trip", code="billing.nothing_to_refund")
    return record


def accounts_managed(*, principal: Principal | None) -> QuerySet:
    """Ledger accounts of the fleets the caller manages — drivers' wallets and payout holds, customers'
    receivables, fleet revenue, tax — or every account for platform admins (prepaid balances and loyalty points
    belong to no fleet: only they see those)."""
    if principal is None:
        return Account.objects.none()
    if principal.is_platform_admin:
        return Account.objects.all()
    return Account.objects.filter(fleet_id__in=principal.fleets(Role.FLEET_MANAGER))


@dataclasses.dataclass(frozen=True)
class DriverWallet:
    """A driver's wallet in one fleet: its balance, what payouts hold, and its postings (newest first)."""

    driver_id: uuid.UUID
    fleet_id: uuid.UUID
    currency: str
    balance_minor: int
    held_for_payouts_minor: int
    statement: QuerySet


def wallet_of_driver(*, principal: Principal, fleet_id: uuid.UUID | None) -> DriverWallet:
    """The calling driver's own wallet, as the driver they are in `fleet_id` (their only fleet when None; 404 when
    not a driver there), in the fleet's currency. Nobody sees another driver's wallet here."""
    driver_id, fleet_id = integrations.driver_of(user_id=principal.user_id, fleet_id=fleet_id)
    currency = integrations.fleet_terms(fleet_id=fleet_id).currency
    # both accounts in one query (one of each kind at most: ledger_one_account_per_owner)
    accounts = Account.objects.filter(
        kind__in=[AccountKind.DRIVER_WALLET, AccountKind.DRIVER_PAYOUT_HOLD],
        currency=currency,
        owner_id=driver_id,
        fleet_id=fleet_id,
    )
    found = {account.kind: account for account in accounts}
    wallet, hold = found.get(AccountKind.DRIVER_WALLET), found.get(AccountKind.DRIVER_PAYOUT_HOLD)
    return DriverWallet(
        driver_id=driver_id,
        fleet_id=fleet_id,
        currency=currency,
        balance_minor=wallet.balance_minor if wallet else 0,
        held_for_payouts_minor=hold.balance_minor if hold else 0,
        statement=statement(account=wallet) if wallet else Posting.objects.none(),
    )


def invoices_managed(*, principal: Principal | None) -> QuerySet:
    """Invoices, receipts and credit notes of the fleets the caller manages (every fleet's for platform admins)."""
    if principal is None:
        return Invoice.objects.none()
    if principal.is_platform_admin:
        return Invoice.objects.all()
    return Invoice.objects.filter(fleet_id__in=principal.fleets(Role.FLEET_MANAGER))


def invoice_visibility(*, principal: Principal) -> list[Q] | None:
    """The conditions any of which shows the caller an invoice, receipt or credit note: a customer's own, and those
    of each fleet they manage (None: all, for platform admins); one per index that lists them newest first (the
    list pages each branch on its own: logitrack.http.pagination.KeysetPagination)."""
    if principal.is_platform_admin:
        return None
    return [Q(customer_id=principal.user_id)] + [
        Q(fleet_id=fleet_id) for fleet_id in sorted(principal.fleets(Role.FLEET_MANAGER))
    ]


# what the list shows (rest_api InvoiceOutput): not the lines, taxes, seller and buyer, JSON decoded for every row
LISTED_COLUMNS = (
    "id", "number", "kind", "fleet_id", "period", "trip_id", "currency", "net_minor", "tax_minor", "total_minor",
    "issued_at", "statement",
)  # fmt: skip


def invoices_listed() -> QuerySet:
    """Invoices as the list shows them (their listed columns), before narrowing to what the caller sees
    (invoice_visibility)."""
    return Invoice.objects.only(*LISTED_COLUMNS).order_by("-issued_at", "-id")


def invoices_visible(*, principal: Principal) -> QuerySet:
    """Invoices, receipts and credit notes the caller sees (invoice_visibility), newest first."""
    qs = Invoice.objects.order_by("-issued_at", "-id")
    branches = invoice_visibility(principal=principal)
    if branches is None:
        return qs
    visible = Q()
    for branch in branches:
        visible |= branch
    return qs.filter(visible)


def invoice_visible(*, principal: Principal, invoice_id: uuid.UUID) -> Invoice:
    invoice = invoices_visible(principal=principal).filter(id=invoice_id).first()
    if invoice is None:
        raise NotFound("no such invoice", code="billing.invoice_not_found")
    return invoice


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
    rows = (
        Account.objects.filter(kind=AccountKind.DRIVER_WALLET, fleet_id=fleet_id, balance_minor__gt=0)
        .order_by("-balance_minor", "owner_id")
        .values_list("owner_id", "balance_minor")
    )
    return [(driver_id, balance) for driver_id, balance in rows if driver_id is not None]  # a wallet has its driver


def trip_fares(*, trips: list[tuple[uuid.UUID, uuid.UUID | None]]) -> list[TripFare]:
    """Quoted and settled totals of many trips in two queries (no per-trip look-ups on a trip list)."""
    quote_ids = {q for _, q in trips if q is not None}
    quotes = {q_id: (currency, total) for q_id, currency, total in _quote_totals(quote_ids)}
    settled = {
        trip_id: (currency, total, kind) for trip_id, currency, total, kind in _fare_totals([t for t, _ in trips])
    }
    fares = []
    for trip_id, quote_id in trips:
        quoted = quotes.get(quote_id) if quote_id is not None else None
        final = settled.get(trip_id)
        known = final or quoted
        if known is None:
            continue
        fares.append(
            TripFare(
                trip_id=trip_id,
                currency=known[0],
                quoted_total_minor=quoted[1] if quoted else None,
                final_total_minor=final[1] if final else None,
                final_kind=final[2] if final else None,
            )
        )
    return fares


# a trip list's two reads, their SQL written once (logitrack.db.rows): compiling them anew per page cost more
_quote_totals = RowsByKey(Quote, "id", ("id", "currency", "total_minor"))
_fare_totals = RowsByKey(FareRecord, "trip_id", ("trip_id", "currency", "total_minor", "kind"))


def trip_fare_detail(*, trip_id: uuid.UUID, quote_id: uuid.UUID | None) -> TripFareDetail | None:
    """The settled fare of a trip with its lines, else its quote's (two queries at most)."""
    quote = Quote.objects.filter(id=quote_id).first() if quote_id is not None else None
    settled = FareRecord.objects.filter(trip_id=trip_id).first()
    source = settled or quote
    if source is None:
        return None
    facts = source.facts or {}
    breakdown = source.breakdown or {}
    lines = tuple(
        FareLineRef(
            description=str(line.get("description") or line.get("code") or ""),
            net_minor=int(line.get("net", 0)),
            tax_minor=int(line.get("tax", 0)),
            gross_minor=int(line.get("gross", int(line.get("net", 0)) + int(line.get("tax", 0)))),
            tax_rate_bps=int(line.get("tax_rate_bps", 0)),
        )
        for line in breakdown.get("lines", ())
    )
    return TripFareDetail(
        trip_id=trip_id,
        kind=settled.kind if settled else "quote",
        currency=source.currency,
        lines=lines,
        net_minor=int(breakdown.get("net", sum(x.net_minor for x in lines))),
        tax_minor=int(breakdown.get("tax", sum(x.tax_minor for x in lines))),
        total_minor=source.total_minor,
        quoted_total_minor=quote.total_minor if quote else None,
        distance_m=facts.get("distance_m") if isinstance(facts.get("distance_m"), int) else None,
        duration_s=facts.get("duration_s") if isinstance(facts.get("duration_s"), int) else None,
    )


def topups_visible(*, principal: Principal | None) -> QuerySet:
    """Top-ups newest first: a customer's own, or everyone's for platform admins (a prepaid balance is the
    platform's, not a fleet's: fleet managers see none but their own)."""
    qs = TopUp.objects.order_by("-created_at", "-id")
    if principal is None:
        return qs.none()
    return qs if principal.is_platform_admin else qs.filter(customer_id=principal.user_id)


def topup_visible(*, principal: Principal, topup_id: uuid.UUID) -> TopUp:
    """One top-up the caller may see; TopUpNotFound (404) otherwise."""
    topup = topups_visible(principal=principal).filter(id=topup_id).first()
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
        assert credit.account.owner_id is not None  # a prepaid account is opened for its customer (account_for)
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


def _managed_fleets(principal: Principal | None):
    """Fleets whose price lists the caller manages: None for every fleet (platform admins), else a set."""
    if principal is None:
        return set()
    return None if principal.is_platform_admin else principal.fleets(Role.FLEET_MANAGER)


def tariffs_managed(*, principal: Principal | None) -> QuerySet:
    """Tariff versions of the caller's fleets (every fleet's for platform admins), newest first per fleet, with
    their components and default tax."""
    fleets = _managed_fleets(principal)
    qs = Tariff.objects.select_related("default_tax").prefetch_related("components").order_by("-valid_from", "id")
    return qs if fleets is None else qs.filter(fleet_id__in=fleets)


def tariff_managed(*, principal: Principal, tariff_id: uuid.UUID) -> Tariff:
    """One tariff the caller manages; 404 `billing.tariff_not_found` otherwise (another fleet's too)."""
    tariff = tariffs_managed(principal=principal).filter(id=tariff_id).first()
    if tariff is None:
        raise NotFound("no such tariff", code="billing.tariff_not_found")
    return tariff


def tax_rates_managed(*, principal: Principal | None) -> QuerySet:
    fleets = _managed_fleets(principal)
    qs = TaxRate.objects.order_by("name", "id")
    return qs if fleets is None else qs.filter(fleet_id__in=fleets)


def tax_rate_managed(*, principal: Principal, tax_rate_id: uuid.UUID) -> TaxRate:
    """One tax rate the caller manages; 404 `billing.tax_rate_not_found` otherwise (another fleet's too)."""
    tax = tax_rates_managed(principal=principal).filter(id=tax_rate_id).first()
    if tax is None:
        raise NotFound("no such tax rate", code="billing.tax_rate_not_found")
    return tax


# ---- the manager's overview --------------------------------------------------------------------------------------

REVENUE_SUMS = (
    "fares",
    "refunds",
    "charged_minor",
    "tax_minor",
    "platform_fee_minor",
    "fleet_share_minor",
    "driver_share_minor",
)


def revenue_days(*, fleet_ids: list[uuid.UUID], first: dt.date, last: dt.date) -> list[RevenueDayFigures]:
    """The fleets' revenue per local day and currency from `first` to `last`: the days kept in RevenueDay (days
    without a fare have no row), summed over the fleets, by day then currency."""
    rows = (
        RevenueDay.objects.filter(fleet_id__in=fleet_ids, day__gte=first, day__lte=last)
        .values("day", "currency")
        .annotate(**{f"sum_{name}": Sum(name) for name in REVENUE_SUMS})
        .order_by("day", "currency")
        .values_list("day", "currency", *(f"sum_{name}" for name in REVENUE_SUMS))
    )
    return [
        RevenueDayFigures(day=day, currency=currency, **dict(zip(REVENUE_SUMS, sums, strict=True)))
        for day, currency, *sums in rows
    ]


def payouts_waiting(*, fleet_ids: list[uuid.UUID], limit: int) -> PayoutsWaiting:
    """Requested payouts of the fleets no manager has decided yet: count, totals per currency, the oldest few."""
    waiting = Payout.objects.filter(fleet_id__in=fleet_ids, status=Payout.Status.REQUESTED)
    totals = list(waiting.values("currency").annotate(n=Count("id"), total=Sum("amount_minor")).order_by("currency"))
    oldest = waiting.order_by("created_at", "id")[:limit]
    return PayoutsWaiting(
        count=sum(row["n"] for row in totals),
        totals=tuple(CurrencyTotal(currency=row["currency"], amount_minor=row["total"]) for row in totals),
        oldest_at=waiting.aggregate(at=Min("created_at"))["at"],
        oldest=tuple(
            WaitingPayout(
                id=p.id,
                fleet_id=p.fleet_id,
                driver_id=p.driver_id,
                amount_minor=p.amount_minor,
                currency=p.currency,
                requested_at=p.created_at,
            )
            for p in oldest
        ),
    )


CHUNK = 20000  # trip ids per query: few round trips, a bounded statement


def trip_money(*, fleet_id: uuid.UUID, trip_ids: list[uuid.UUID]) -> list[TripMoney]:
    """The settled fares of these trips of the fleet with the ledger's amounts for each (`figures.amounts`: charged
    to the customer's receivable or prepaid balance, credited to the driver's wallet; fares, fees and their
    reversals), one query per 20,000 trips: fare records by their unique trip id, the ledger summed per record in
    SQL through the transactions' indexed reference."""

    def ledger(kinds: tuple[str, ...]) -> Coalesce:
        legs = (
            Posting.objects.filter(
                transaction__reference_id=OuterRef("trip_id"),
                transaction__fleet_id=fleet_id,
                transaction__kind__in=FARE_KINDS + REFUND_KINDS,
                account__kind__in=kinds,
            )
            .values("transaction__reference_id")
            .annotate(total=Sum("amount_minor"))
            .values("total")
        )
        return Coalesce(Subquery(legs), 0)

    found: list[TripMoney] = []
    for n in range(0, len(trip_ids), CHUNK):
        records = (
            FareRecord.objects.filter(fleet_id=fleet_id, trip_id__in=trip_ids[n : n + CHUNK])
            .annotate(charged=ledger(PAYERS), wallet=ledger((AccountKind.DRIVER_WALLET,)))
            .values_list("trip_id", "kind", "currency", "total_minor", "facts__distance_m", "charged", "wallet")
        )
        for trip_id, kind, currency, total, distance_m, charged, wallet in records:
            found.append(
                TripMoney(
                    trip_id=trip_id,
                    kind=kind,
                    currency=currency,
                    fare_total_minor=total,
                    distance_m=int(distance_m or 0),
                    charged_minor=charged,
                    driver_share_minor=-wallet,
                )
            )
    return found


class LedgerCheckCollector:
    """The latest ledger check for `/metrics`, read from the database at scrape time (the check runs in a worker or
    an operator's shell, the scrape in web). Nothing before the first check: alert on its absence too."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        check = LedgerCheck.objects.filter(id=1).first()
        if check is None:
            return
        problems = GaugeMetricFamily(
            "logitrack_ledger_check_problems", "Invariant violations the latest ledger check found (0: sound)"
        )
        problems.add_metric([], check.problems)
        yield problems
        at = GaugeMetricFamily(
            "logitrack_ledger_check_timestamp_seconds", "When the latest ledger check ran (Unix time)"
        )
        at.add_metric([], check.checked_at.timestamp())
        yield at
        took = GaugeMetricFamily("logitrack_ledger_check_duration_seconds", "How long the latest ledger check took")
        took.add_metric([], check.seconds)
        yield took
