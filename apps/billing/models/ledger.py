"""The double-entry ledger: accounts, journal transactions and their postings."""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models.functions import Coalesce

from apps.billing.models.common import CURRENCY, amount_text, short_ids


class AccountKind(models.TextChoices):
    DRIVER_WALLET = "driver_wallet"  # what the platform owes a driver (credit-normal)
    DRIVER_PAYOUT_HOLD = "driver_payout_hold"  # requested payouts, held until paid or rejected
    CUSTOMER_RECEIVABLE = "customer_receivable"  # what a customer owes (debit-normal)
    CUSTOMER_PREPAID = "customer_prepaid"  # a customer's prepaid balance (credit-normal)
    FLEET_REVENUE = "fleet_revenue"  # the fleet's commission (credit-normal)
    PLATFORM_COMMISSION = "platform_commission"  # the platform's fee (credit-normal)
    TAX_PAYABLE = "tax_payable"  # taxes collected, owed to the authority (credit-normal)
    CASH_CLEARING = "cash_clearing"  # money moving through banks and card processors (debit-normal)
    PROMOTIONS = "promotions"  # loyalty points issued (debit-normal, PTS)
    CUSTOMER_LOYALTY = "customer_loyalty"  # a customer's loyalty points (credit-normal, PTS)


NO_ID = uuid.UUID(int=0)
DEBIT_NORMAL = {AccountKind.CUSTOMER_RECEIVABLE, AccountKind.CASH_CLEARING, AccountKind.PROMOTIONS}


class Account(models.Model):
    """A ledger account. `balance_minor` is kept in the account's normal direction and equals the sum
    of its postings (checked by billing_verify_ledger); it may never go below `floor_minor`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=30, choices=AccountKind.choices)
    owner_id = models.UUIDField(null=True, blank=True, help_text="driver, customer or fleet the account belongs to")
    fleet_id = models.UUIDField(null=True, blank=True, db_index=True)
    currency = models.CharField(max_length=3, validators=[CURRENCY])
    floor_minor = models.BigIntegerField(null=True, blank=True, help_text="lowest allowed balance; empty: unbounded")
    balance_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # one account per (kind, owner, fleet, currency); a missing owner or fleet counts as one value
            models.UniqueConstraint(
                "kind",
                Coalesce("owner_id", models.Value(NO_ID, output_field=models.UUIDField())),
                Coalesce("fleet_id", models.Value(NO_ID, output_field=models.UUIDField())),
                "currency",
                name="ledger_one_account_per_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(floor_minor__isnull=True) | models.Q(balance_minor__gte=models.F("floor_minor")),
                name="ledger_balance_above_floor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.currency}"  # the admin names the owner beside it

    @property
    def debit_normal(self) -> bool:
        return self.kind in DEBIT_NORMAL


class JournalTransaction(models.Model):
    """One business event in the ledger, made of postings that sum to zero per currency. Immutable:
    corrections are reversing transactions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    idempotency_key = models.CharField(max_length=200, unique=True, help_text="client-supplied: a retry posts once")
    kind = models.CharField(max_length=30)
    reference_id = models.UUIDField(
        null=True, blank=True, db_index=True, help_text="trip, payout or top-up it belongs to"
    )
    fleet_id = models.UUIDField(null=True, blank=True, db_index=True)
    memo = models.CharField(max_length=300, blank=True, default="")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    posted_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("posted_at",)

    def __str__(self) -> str:
        return f"{self.kind}: {short_ids(self.memo)}" if self.memo else self.kind


class Posting(models.Model):
    """One leg: a signed amount on an account (positive = debit, negative = credit)."""

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(JournalTransaction, on_delete=models.PROTECT, related_name="postings")
    # indexed by posting_account_recent, which also serves every lookup by account
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings", db_index=False)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [models.CheckConstraint(condition=~models.Q(amount_minor=0), name="posting_not_zero")]
        # a wallet's statement, newest first, paged by keyset on id (selectors.statement)
        indexes = [models.Index(fields=["account", "-id"], name="posting_account_recent")]

    def __str__(self) -> str:
        return f"{'debit' if self.amount_minor > 0 else 'credit'} {amount_text(abs(self.amount_minor), self.currency)}"


class LedgerCheck(models.Model):
    """The latest run of the ledger verification (`billing.verify_ledger` hourly, or `billing_verify_ledger`): one
    row, replaced by each run. `/metrics` reports it and an alert fires on problems or on a check gone stale."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    checked_at = models.DateTimeField()
    problems = models.PositiveIntegerField(help_text="invariant violations found; 0: the ledger is sound")
    seconds = models.FloatField(help_text="how long the check took")
    sample = models.TextField(blank=True, help_text="the first violations, one per line")

    def __str__(self) -> str:
        return f"ledger check at {self.checked_at:%Y-%m-%d %H:%M}: {self.problems} problem(s)"
