"""Drivers' payouts."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models

from apps.billing.models.common import amount_text
from logitrack.db.models import BaseModel


class Payout(BaseModel):
    """A driver asks to be paid out; the money is held until a fleet manager approves (paid) or rejects."""

    class Status(models.TextChoices):
        REQUESTED = "requested"
        APPROVED = "approved"  # still held, the bank transfer is on its way
        PAID = "paid"
        REJECTED = "rejected"

    driver_id = models.UUIDField()
    fleet_id = models.UUIDField()
    request_key = models.CharField(max_length=200, help_text="the driver app's idempotency key for the request")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    decided_by_id = models.UUIDField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    bank_reference = models.CharField(max_length=100, blank=True, default="")
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta(BaseModel.Meta):
        constraints = [models.UniqueConstraint(fields=["driver_id", "request_key"], name="payout_request_once")]
        # the overview's payouts awaiting approval: the few requested ones, oldest first, never the whole history
        indexes = [
            models.Index(
                fields=["fleet_id", "created_at"], name="payout_fleet_waiting", condition=models.Q(status="requested")
            ),
            # the payouts list, newest first by cursor: a fleet's (its managers) and a driver's own
            models.Index(fields=["fleet_id", "-created_at", "-id"], name="payout_fleet_recent"),
            models.Index(fields=["driver_id", "-created_at", "-id"], name="payout_driver_recent"),
        ]

    def __str__(self) -> str:
        return f"payout of {amount_text(self.amount_minor, self.currency)} ({self.status})"
