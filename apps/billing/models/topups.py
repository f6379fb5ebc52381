"""Top-ups of customers' prepaid balances, and money providers received that credited nothing."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models

from apps.billing.models.common import CURRENCY, amount_text
from apps.billing.models.ledger import JournalTransaction
from logitrack.db.models import BaseModel


class TopUp(BaseModel):
    """A customer's request to add money to their prepaid balance. It never touches the ledger until a trusted
    party confirms the money arrived: a platform admin recording cash or a bank transfer, or a payment provider's
    signed notification. pending → confirmed | failed | cancelled (by the customer, or expired)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    STAFF = "staff"  # confirmed_via for confirmations by platform admins; else the provider's registry name

    customer_id = models.UUIDField()
    request_key = models.CharField(max_length=200, help_text="the customer app's request_id: a retry asks once")
    currency = models.CharField(max_length=3, validators=[CURRENCY])
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    expires_at = models.DateTimeField(help_text="a pending top-up not confirmed by then is cancelled")
    reason = models.CharField(max_length=300, blank=True, default="", help_text="why it failed or was cancelled")
    confirmed_via = models.CharField(max_length=40, blank=True, default="", help_text="staff, or the provider")
    confirmation_reference = models.CharField(
        max_length=200, blank=True, default="", help_text="the provider's event id, or the staff's bank/cash reference"
    )
    payment_reference = models.CharField(max_length=200, blank=True, default="", help_text="the provider's payment")
    confirmed_amount_minor = models.BigIntegerField(null=True, blank=True, help_text="what the confirmation said")
    confirmed_currency = models.CharField(max_length=3, blank=True, default="")
    decided_by_id = models.UUIDField(null=True, blank=True, help_text="the staff user, for staff confirmations")
    decided_at = models.DateTimeField(null=True, blank=True)
    transaction = models.OneToOneField(
        JournalTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="topup"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["customer_id", "request_key"], name="topup_request_once"),
            # one provider event (or one staff reference) confirms at most one top-up
            models.UniqueConstraint(
                fields=["confirmed_via", "confirmation_reference"],
                condition=~models.Q(confirmation_reference=""),
                name="topup_confirmation_once",
            ),
            models.UniqueConstraint(
                fields=["confirmed_via", "payment_reference"],
                condition=~models.Q(payment_reference=""),
                name="topup_payment_once",
            ),
        ]
        # the top-ups list, newest first by cursor: a customer's own, and everyone's for platform admins
        indexes = [
            models.Index(fields=["customer_id", "-created_at", "-id"], name="topup_customer_recent"),
            models.Index(fields=["-created_at", "-id"], name="topup_recent"),
        ]

    def __str__(self) -> str:
        return f"top-up of {amount_text(self.amount_minor, self.currency)} ({self.status})"


class UnappliedPayment(BaseModel):
    """Money a payment provider verifiably received that credited no balance: a payment for another amount or
    currency than its top-up asked, or a second payment for a top-up already paid. The cash sits at the provider;
    this row is what an operator reconciles and refunds from (providers retry a non-2xx answer for days, so the
    webhook records it here and answers 200)."""

    provider = models.CharField(max_length=40)
    event_id = models.CharField(max_length=200, help_text="the provider's notification id")
    payment_reference = models.CharField(max_length=200, blank=True, default="", help_text="the provider's payment")
    topup = models.ForeignKey(TopUp, on_delete=models.PROTECT, related_name="unapplied_payments")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    reason = models.CharField(max_length=300)

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="unapplied_payment_event_once"),
            models.UniqueConstraint(
                fields=["provider", "payment_reference"],
                condition=~models.Q(payment_reference=""),
                name="unapplied_payment_once",
            ),
        ]

    def __str__(self) -> str:
        amount = amount_text(self.amount_minor, self.currency)
        return f"unapplied {amount} from {self.provider} ({self.payment_reference})"
