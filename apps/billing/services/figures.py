"""The overview's revenue per fleet and local day (RevenueDay), kept by the ledger as it posts a fare transaction —
a settlement, a cancellation fee or the reversal that refunds one — in the same transaction, so reading a period
costs a row per day and currency at any history. `revenue_rebuild` recomputes the table from the ledger with the
same rule (`amounts`)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from django.db import IntegrityError
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from apps.billing import integrations
from apps.billing.models import Account, AccountKind, JournalTransaction, Posting, RevenueDay
from logitrack.db import contexts
from logitrack.formatting import zone

FARE_KINDS = ("settlement", "cancellation_fee")
REFUND_KINDS = tuple(f"reversal.{kind}" for kind in FARE_KINDS)
PAYERS = (AccountKind.CUSTOMER_RECEIVABLE, AccountKind.CUSTOMER_PREPAID)
AMOUNTS = ("charged_minor", "tax_minor", "platform_fee_minor", "fleet_share_minor", "driver_share_minor")


def amounts(by_account_kind: Mapping[str, int]) -> dict[str, int]:
    """A fare transaction's (or a sum of them) postings, summed per account kind (debit positive), as the overview's
    amounts: what the customer was charged (the debit to their receivable or prepaid balance), and the credits to
    tax payable, the platform's commission, the fleet's revenue (its commission; the whole rest of a fee no driver
    earns) and the driver's wallet. A reversal's mirrored postings give the same amounts negated."""
    return {
        "charged_minor": sum(by_account_kind.get(kind, 0) for kind in PAYERS),
        "tax_minor": -by_account_kind.get(AccountKind.TAX_PAYABLE, 0),
        "platform_fee_minor": -by_account_kind.get(AccountKind.PLATFORM_COMMISSION, 0),
        "fleet_share_minor": -by_account_kind.get(AccountKind.FLEET_REVENUE, 0),
        "driver_share_minor": -by_account_kind.get(AccountKind.DRIVER_WALLET, 0),
    }


def revenue_posted(txn: JournalTransaction, legs: Sequence[tuple[Account, int]]) -> None:
    """Count a ledger transaction on its fleet's day when it is a fare, a cancellation fee or a refund of one."""
    if txn.fleet_id is None or txn.kind not in FARE_KINDS + REFUND_KINDS:
        return
    time_zone = integrations.fleet_time_zones(fleet_ids=[txn.fleet_id])[txn.fleet_id]
    per_currency: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for account, amount in legs:
        per_currency[account.currency][account.kind] += amount
    for currency, by_kind in per_currency.items():
        _add(
            {"fleet_id": txn.fleet_id, "day": txn.posted_at.astimezone(zone(time_zone)).date(), "currency": currency},
            {"fares": int(txn.kind in FARE_KINDS), "refunds": int(txn.kind in REFUND_KINDS), **amounts(by_kind)},
        )


def revenue_posted_many(posted: Sequence[tuple[JournalTransaction, Sequence[tuple[Account, int]]]]) -> None:
    """`revenue_posted` of several transactions (a batch of settlements): the fleets' time zones looked up once,
    one update per fleet, day and currency."""
    fares = [
        (txn.fleet_id, txn, legs)
        for txn, legs in posted
        if txn.fleet_id is not None and txn.kind in FARE_KINDS + REFUND_KINDS
    ]
    if not fares:
        return
    zones = integrations.fleet_time_zones(fleet_ids=sorted({fleet_id for fleet_id, _, _ in fares}, key=str))
    rows: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fleet_id, txn, legs in fares:
        day = txn.posted_at.astimezone(zone(zones[fleet_id])).date()
        per_currency: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        for account, amount in legs:
            per_currency[account.currency][account.kind] += amount
        for currency, by_kind in per_currency.items():
            row = rows[(fleet_id, day, currency)]
            row["fares"] += int(txn.kind in FARE_KINDS)
            row["refunds"] += int(txn.kind in REFUND_KINDS)
            for name, n in amounts(by_kind).items():
                row[name] += n
    for (fleet_id, day, currency), deltas in rows.items():
        _add({"fleet_id": fleet_id, "day": day, "currency": currency}, dict(deltas))


def _add(key: dict, deltas: dict[str, int]) -> None:
    """Add to the row `key` names, creating it: one UPDATE ... SET x = x + n, so concurrent postings never lose a
    count; the first writer of a row inserts it (a racing insert becomes an update)."""
    deltas = {name: n for name, n in deltas.items() if n}
    if not deltas:
        return
    changes = {name: F(name) + n for name, n in deltas.items()}
    if RevenueDay.objects.filter(**key).update(**changes):
        return
    try:
        with contexts.atomic("billing"):
            RevenueDay.objects.create(**key, **deltas)
    except IntegrityError:  # another transaction inserted the row first
        RevenueDay.objects.filter(**key).update(**changes)


@contexts.atomic("billing")
def revenue_rebuild(*, fleet_ids: Iterable[uuid.UUID] | None = None) -> int:
    """Recompute RevenueDay of these fleets (every fleet with fare transactions when None) from the ledger, replacing
    what was kept; returns the rows written. Sums in the database per local day, currency and account kind."""
    fares = JournalTransaction.objects.filter(kind__in=FARE_KINDS + REFUND_KINDS, fleet_id__isnull=False)
    found = fares.values_list("fleet_id", flat=True).distinct() if fleet_ids is None else fleet_ids
    wanted = sorted({fleet_id for fleet_id in found if fleet_id is not None})
    zones = integrations.fleet_time_zones(fleet_ids=wanted)
    RevenueDay.objects.filter(fleet_id__in=wanted).delete()
    rows: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for fleet_id in wanted:
        tz = zone(zones[fleet_id])
        postings = (
            Posting.objects.filter(transaction__in=fares.filter(fleet_id=fleet_id))
            .annotate(day=TruncDate("transaction__posted_at", tzinfo=tz))
            .values("day", "currency", "account__kind")
            .annotate(total=Sum("amount_minor"))
        )
        sums: dict[tuple[dt.date, str], dict[str, int]] = defaultdict(dict)
        for day, currency, kind, total in postings.values_list("day", "currency", "account__kind", "total"):
            sums[(day, currency)][kind] = total
        for (day, currency), by_kind in sums.items():
            rows[(fleet_id, day, currency)].update(amounts(by_kind))
        counted = (
            fares.filter(fleet_id=fleet_id)
            .annotate(day=TruncDate("posted_at", tzinfo=tz))
            .values("day", "postings__currency")
            .annotate(
                fares=Count("id", distinct=True, filter=Q(kind__in=FARE_KINDS)),
                refunds=Count("id", distinct=True, filter=Q(kind__in=REFUND_KINDS)),
            )
        )
        for day, currency, n_fares, n_refunds in counted.values_list("day", "postings__currency", "fares", "refunds"):
            rows[(fleet_id, day, currency)]["fares"] += n_fares
            rows[(fleet_id, day, currency)]["refunds"] += n_refunds
    RevenueDay.objects.bulk_create(
        [RevenueDay(fleet_id=f, day=d, currency=c, **counts) for (f, d, c), counts in rows.items()], batch_size=5000
    )
    return len(rows)
