"""The double-entry ledger's write path: accounts, balanced and idempotent transactions, reversals.

Every transaction's postings sum to zero per currency (checked here, and by a database trigger at
commit). Accounts are locked in one order before balances change (the platform's own accounts, then fleets',
then people's, each by id), so concurrent postings never lose an update and cannot deadlock; a balance that
would fall below its floor aborts the whole transaction. Platform accounts first: every settlement draws on the
platform's commission, so a transaction settling several trips (a batch of events) holds nothing else while it
waits for another, and two such batches cannot deadlock over the people's accounts they share. A retried
transaction (same idempotency key, same postings) returns the first one.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence

from django.db import IntegrityError, connections, models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone

from apps.billing.contracts import InsufficientFunds, LedgerConflict, UnbalancedTransaction
from apps.billing.models import DEBIT_NORMAL, Account, AccountKind, JournalTransaction, LedgerCheck, Posting
from apps.billing.services import figures
from logitrack.db import contexts

FLOORED = {
    AccountKind.DRIVER_WALLET,
    AccountKind.DRIVER_PAYOUT_HOLD,
    AccountKind.CUSTOMER_PREPAID,
    AccountKind.CUSTOMER_LOYALTY,
}
Leg = tuple[Account, int]  # (account, signed amount: positive debit, negative credit)
PLATFORM = (AccountKind.PLATFORM_COMMISSION, AccountKind.PROMOTIONS, AccountKind.CASH_CLEARING)
FLEETS = (AccountKind.FLEET_REVENUE, AccountKind.TAX_PAYABLE)
LOCK_ORDER = (
    models.Case(
        models.When(kind__in=PLATFORM, then=models.Value(0)),
        models.When(kind__in=FLEETS, then=models.Value(1)),
        default=models.Value(2),
    ),
    "id",
)


def account_for(
    *, kind: AccountKind, currency: str, owner_id: uuid.UUID | None = None, fleet_id: uuid.UUID | None = None
) -> Account:
    """The account, opened on first use. Wallets, holds, prepaid and points balances may not go below zero."""
    account, _ = Account.objects.get_or_create(
        kind=kind,
        owner_id=owner_id,
        fleet_id=fleet_id,
        currency=currency,
        defaults={"floor_minor": 0 if kind in FLOORED else None},
    )
    return account


AccountKey = tuple[str, str, "uuid.UUID | None", "uuid.UUID | None"]  # kind, currency, owner, fleet


def accounts_find(keys: Sequence[AccountKey]) -> dict[AccountKey, Account]:
    """The accounts that exist among `keys`, in one query (a settlement needs up to six)."""
    if not keys:
        return {}
    wanted = models.Q()
    for kind, currency, owner_id, fleet_id in keys:
        wanted |= models.Q(kind=kind, currency=currency, owner_id=owner_id, fleet_id=fleet_id)
    found = {(str(a.kind), a.currency, a.owner_id, a.fleet_id): a for a in Account.objects.filter(wanted)}
    return {key: found[_plain(key)] for key in keys if _plain(key) in found}


def accounts_for(
    keys: Sequence[AccountKey], *, found: dict[AccountKey, Account] | None = None
) -> dict[AccountKey, Account]:
    """`account_for` of each key: those in `found` (from `accounts_find`) as they are, the rest looked up or opened."""
    found = dict(found) if found is not None else accounts_find(keys)
    for key in keys:
        if key not in found:
            kind, currency, owner_id, fleet_id = key
            found[key] = account_for(kind=AccountKind(kind), currency=currency, owner_id=owner_id, fleet_id=fleet_id)
    return found


def _plain(key: AccountKey) -> AccountKey:
    return (str(key[0]), key[1], key[2], key[3])


def lock_accounts(*account_ids: uuid.UUID) -> dict[uuid.UUID, Account]:
    """The accounts, locked to the end of the caller's transaction in the order `post` locks them (no deadlock):
    read a balance you are about to draw on."""
    return {a.id: a for a in Account.objects.select_for_update().filter(id__in=account_ids).order_by(*LOCK_ORDER)}


def _signature(legs: Sequence[tuple[uuid.UUID, int]]) -> list[tuple[str, int]]:
    return sorted((str(a), amount) for a, amount in legs)


def _db() -> BaseDatabaseWrapper:
    """Billing's connection: its transaction is the one a posting must run in (not `default`'s, when split)."""
    return connections[contexts.alias("billing")]


def post(
    *,
    idempotency_key: str,
    kind: str,
    legs: Sequence[Leg],
    reference_id: uuid.UUID | None = None,
    fleet_id: uuid.UUID | None = None,
    memo: str = "",
    reverses: JournalTransaction | None = None,
) -> tuple[JournalTransaction, bool]:
    """Post a balanced transaction once. Returns (transaction, created)."""
    if not _db().in_atomic_block:
        raise RuntimeError("ledger.post must run inside the caller's transaction")
    if not [amount for _, amount in legs if amount != 0]:
        raise UnbalancedTransaction("a transaction needs at least one non-zero posting")
    legs = _checked(legs)

    existing = JournalTransaction.objects.filter(idempotency_key=idempotency_key).first()
    if existing is not None:
        return _replayed(existing, legs), False
    locked = {
        a.id: a
        for a in Account.objects.select_for_update().filter(id__in={a.id for a, _ in legs}).order_by(*LOCK_ORDER)
    }
    try:
        with contexts.atomic("billing"):
            txn = JournalTransaction.objects.create(
                idempotency_key=idempotency_key,
                kind=kind,
                reference_id=reference_id,
                fleet_id=fleet_id,
                memo=memo,
                reverses=reverses,
            )
    except IntegrityError:  # a concurrent retry committed first
        return _replayed(JournalTransaction.objects.get(idempotency_key=idempotency_key), legs), False
    Posting.objects.bulk_create(
        [Posting(transaction=txn, account_id=a.id, amount_minor=amount, currency=a.currency) for a, amount in legs]
    )
    deltas: dict[uuid.UUID, int] = defaultdict(int)
    for account, amount in legs:
        deltas[account.id] += amount if account.kind in DEBIT_NORMAL else -amount
    now = timezone.now()
    for account_id, delta in deltas.items():
        _apply(locked[account_id], delta, now)
    # one statement for every balance (still locked above, checked by the floor constraint and the commit trigger)
    Account.objects.bulk_update([locked[a] for a in deltas], ["balance_minor", "updated_at"])
    figures.revenue_posted(txn, legs)  # a fare or its refund: the overview's revenue of the day, in this transaction
    return txn, True


@dataclasses.dataclass(frozen=True, kw_only=True)
class Entry:
    """One transaction for `post_many`: `post`'s arguments."""

    idempotency_key: str
    kind: str
    legs: Sequence[Leg]
    reference_id: uuid.UUID | None = None
    fleet_id: uuid.UUID | None = None
    memo: str = ""


def _checked(legs: Sequence[Leg]) -> list[Leg]:
    legs = [(a, amount) for a, amount in legs if amount != 0]
    sums: dict[str, int] = defaultdict(int)
    for account, amount in legs:
        sums[account.currency] += amount
    unbalanced = {c: s for c, s in sums.items() if s != 0}
    if unbalanced or len(legs) < 2:
        raise UnbalancedTransaction("postings must sum to zero per currency", extra={"sums": unbalanced})
    return legs


def post_many(entries: Sequence[Entry]) -> list[tuple[JournalTransaction, bool]]:
    """`post` of each entry, in order, as one unit: one look-up of the keys already used (those entries are replays,
    checked as `post` checks them), one lock of every account in LOCK_ORDER, one insert of the transactions, one of
    the postings, one statement for the balances (each floor checked entry by entry, as one by one would), and the
    overview's revenue per fleet and day once. A key another transaction commits meanwhile fails the whole unit
    (IntegrityError): the caller's transaction rolls back, and one-by-one `post` settles the race."""
    if not _db().in_atomic_block:
        raise RuntimeError("ledger.post_many must run inside the caller's transaction")
    checked = [dataclasses.replace(entry, legs=_checked(entry.legs)) for entry in entries]
    keys = [entry.idempotency_key for entry in checked]
    if len(set(keys)) != len(keys):
        raise LedgerConflict("an idempotency key is used twice in one batch")
    used = {t.idempotency_key: t for t in JournalTransaction.objects.filter(idempotency_key__in=keys)}
    fresh = [entry for entry in checked if entry.idempotency_key not in used]
    results = {
        entry.idempotency_key: (_replayed(used[entry.idempotency_key], entry.legs), False)
        for entry in checked
        if entry.idempotency_key in used
    }
    if fresh:
        account_ids = {a.id for entry in fresh for a, _ in entry.legs}
        locked = {a.id: a for a in Account.objects.select_for_update().filter(id__in=account_ids).order_by(*LOCK_ORDER)}
        txns = JournalTransaction.objects.bulk_create(
            [
                JournalTransaction(
                    idempotency_key=e.idempotency_key,
                    kind=e.kind,
                    reference_id=e.reference_id,
                    fleet_id=e.fleet_id,
                    memo=e.memo,
                )
                for e in fresh
            ]
        )
        Posting.objects.bulk_create(
            [
                Posting(transaction=txn, account_id=a.id, amount_minor=amount, currency=a.currency)
                for txn, entry in zip(txns, fresh, strict=True)
                for a, amount in entry.legs
            ]
        )
        now = timezone.now()
        for entry in fresh:  # in order: an entry may draw on what an earlier one credited
            deltas: dict[uuid.UUID, int] = defaultdict(int)
            for account, amount in entry.legs:
                deltas[account.id] += amount if account.kind in DEBIT_NORMAL else -amount
            for account_id, delta in deltas.items():
                _apply(locked[account_id], delta, now)
        touched = [locked[i] for i in sorted(account_ids, key=str)]
        Account.objects.bulk_update(touched, ["balance_minor", "updated_at"])
        figures.revenue_posted_many([(txn, entry.legs) for txn, entry in zip(txns, fresh, strict=True)])
        results.update({txn.idempotency_key: (txn, True) for txn in txns})
    return [results[key] for key in keys]


def _apply(account: Account, delta: int, now) -> None:
    new_balance = account.balance_minor + delta
    if account.floor_minor is not None and new_balance < account.floor_minor:
        raise InsufficientFunds(
            f"the {account.kind.replace('_', ' ')} holds {account.balance_minor} and cannot give {-delta}",
            extra={"account_id": str(account.id), "balance_minor": account.balance_minor},
        )
    account.balance_minor, account.updated_at = new_balance, now


def _replayed(existing: JournalTransaction, legs: Sequence[Leg]) -> JournalTransaction:
    posted = list(existing.postings.values_list("account_id", "amount_minor"))
    if _signature(posted) != _signature([(a.id, amount) for a, amount in legs]):
        raise LedgerConflict(f"idempotency key {existing.idempotency_key!r} was used for a different transaction")
    return existing


def reverse(*, original: JournalTransaction, idempotency_key: str, memo: str) -> tuple[JournalTransaction, bool]:
    """Undo a posted transaction with its mirror image (posted entries never change)."""
    legs = [(p.account, -p.amount_minor) for p in original.postings.select_related("account")]
    return post(
        idempotency_key=idempotency_key,
        kind=f"reversal.{original.kind}",
        legs=legs,
        reference_id=original.reference_id,
        fleet_id=original.fleet_id,
        memo=memo,
        reverses=original,
    )


def balance_of(account: Account) -> int:
    """The balance recomputed from postings, in the account's normal direction."""
    total = sum(account.postings.values_list("amount_minor", flat=True))
    return total if account.kind in DEBIT_NORMAL else -total


def verify() -> list[str]:
    """Every ledger invariant over the whole ledger; returns one line per offender (empty when sound)."""
    from django.db.models import Count, Sum

    problems: list[str] = []
    unbalanced = (
        Posting.objects.values("transaction_id", "currency").annotate(total=Sum("amount_minor")).exclude(total=0)
    )
    problems += [f"transaction {row['transaction_id']} sums to {row['total']} {row['currency']}" for row in unbalanced]
    empty = JournalTransaction.objects.annotate(n=Count("postings")).filter(n__lt=2)
    problems += [f"transaction {t.id} ({t.idempotency_key}) has {t.n} posting(s)" for t in empty]
    mismatched = Posting.objects.exclude(currency=models.F("account__currency")).values_list("id", "currency")
    problems += [f"posting {pid} is in {cur} but its account is not" for pid, cur in mismatched]
    sums = dict(
        Posting.objects.values("account_id").annotate(total=Sum("amount_minor")).values_list("account_id", "total")
    )
    for account in Account.objects.all():
        total = sums.get(account.id, 0)
        recomputed = total if account.kind in DEBIT_NORMAL else -total
        if recomputed != account.balance_minor:
            problems.append(
                f"account {account.id} ({account}) holds {account.balance_minor}, its postings say {recomputed}"
            )
        if account.floor_minor is not None and account.balance_minor < account.floor_minor:
            problems.append(
                f"account {account.id} ({account}) is below its floor: {account.balance_minor} < {account.floor_minor}"
            )
    problems += invoice_number_gaps()
    return problems


def ledger_check() -> list[str]:
    """`verify` on one snapshot of the ledger, recorded as the latest check (what `/metrics` reports). On PostgreSQL
    its queries share a REPEATABLE READ snapshot: read one after another under READ COMMITTED, a settlement committing
    between the postings' sums and the balances would look like a balance that disagrees with its postings."""
    started = time.monotonic()
    connection = _db()
    outermost = not connection.in_atomic_block  # inside a caller's transaction, its snapshot rules
    with contexts.atomic("billing"):
        if connection.vendor == "postgresql" and outermost:
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        problems = verify()
    LedgerCheck.objects.update_or_create(
        id=1,
        defaults={
            "checked_at": timezone.now(),
            "problems": len(problems),
            "seconds": time.monotonic() - started,
            "sample": "\n".join(problems[:20]),
        },
    )
    return problems


def invoice_number_gaps() -> list[str]:
    """Each fleet's numbers run 1, 2, 3 … per year and series, with no gap and no repeat."""
    from apps.billing.models import Invoice

    problems = []
    series: dict[tuple, list[int]] = defaultdict(list)
    for fleet_id, year, kind, sequence in Invoice.objects.values_list("fleet_id", "year", "kind", "sequence"):
        series[(fleet_id, year, kind)].append(sequence)
    for (fleet_id, year, kind), numbers in sorted(series.items(), key=str):
        expected = list(range(1, len(numbers) + 1))
        if sorted(numbers) != expected:
            missing = sorted(set(expected) - set(numbers))[:10]
            problems.append(
                f"fleet {fleet_id} {kind} {year}: numbers are not 1..{len(numbers)} without gaps (missing {missing})"
            )
    return problems
