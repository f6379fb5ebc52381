"""Invoices, receipts and credit notes, with their gapless counters."""

from __future__ import annotations

from django.db import models

from logitrack.db.models import BaseModel


class InvoiceCounter(models.Model):
    """The last number used per fleet, year and series. Locked in the issuing transaction, so numbers
    are sequential without gaps: a rolled-back issue rolls its number back too."""

    fleet_id = models.UUIDField()
    year = models.PositiveSmallIntegerField()
    series = models.CharField(max_length=3)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fleet_id", "year", "series"], name="invoice_counter_per_series")
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year} at {self.last_number}"


class Invoice(BaseModel):
    class Kind(models.TextChoices):
        INVOICE = "invoice"  # a customer's trips of a period
        RECEIPT = "receipt"  # one trip
        CREDIT_NOTE = "credit_note"  # a refund

    SERIES = {Kind.INVOICE: "INV", Kind.RECEIPT: "RCT", Kind.CREDIT_NOTE: "CRN"}

    fleet_id = models.UUIDField(db_index=True)
    customer_id = models.UUIDField(null=True, blank=True)  # first in invoice_customer_recent
    kind = models.CharField(max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=30)
    period = models.CharField(max_length=7, blank=True, default="", help_text="YYYY-MM for period invoices")
    trip_id = models.UUIDField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    lines = models.JSONField()
    taxes = models.JSONField()
    net_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    seller = models.JSONField(help_text="the fleet's legal details as of issuing")
    buyer = models.JSONField(help_text="the customer's details as of issuing")
    issued_at = models.DateTimeField()
    pdf_path = models.CharField(max_length=300, blank=True, default="")
    statement = models.JSONField(
        default=list,
        blank=True,
        help_text="period invoices: the month's trips already invoiced by their own receipt, listed for "
        "information only (not in the totals, no tax charged again)",
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["fleet_id", "year", "kind", "sequence"], name="invoice_number_once"),
            models.UniqueConstraint(
                fields=["fleet_id", "customer_id", "period"],
                condition=models.Q(kind="invoice"),
                name="invoice_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["trip_id", "kind"], condition=~models.Q(kind="invoice"), name="receipt_once_per_trip"
            ),
        ]
        indexes = [
            # the invoices list, one per way of seeing one (selectors.invoice_visibility), in its keyset order
            models.Index(fields=["customer_id", "-issued_at", "-id"], name="invoice_customer_recent"),
            models.Index(fields=["fleet_id", "-issued_at", "-id"], name="invoice_fleet_recent"),
        ]

    def __str__(self) -> str:
        return self.number
