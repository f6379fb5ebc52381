"""Quotes and the fares settled for trips."""

from __future__ import annotations

from django.db import models

from apps.billing.contracts import Service
from apps.billing.models.common import amount_text, choices_of
from apps.billing.models.tariffs import Tariff
from logitrack.db.models import BaseModel


class Quote(BaseModel):
    """A price promised for a planned trip until `expires_at`; a booking references it."""

    fleet_id = models.UUIDField(db_index=True)
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="quotes")
    customer_id = models.UUIDField(null=True, blank=True)
    vehicle_type = models.CharField(max_length=20, blank=True, default="")
    service = models.CharField(max_length=20, choices=choices_of(Service))
    facts = models.JSONField(help_text="the planned trip figures it was computed from")
    breakdown = models.JSONField()
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"quote {str(self.id)[:8]}: {amount_text(self.total_minor, self.currency)}"


class FareRecord(BaseModel):
    """A finalised fare (trip completed) or a cancellation fee: what settlement posts."""

    trip_id = models.UUIDField(unique=True)
    quote = models.ForeignKey(Quote, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(
        max_length=20, choices=[("fare", "Fare"), ("cancellation", "Cancellation fee")], default="fare"
    )
    fleet_id = models.UUIDField(db_index=True)
    customer_id = models.UUIDField(null=True, blank=True)
    driver_id = models.UUIDField(null=True, blank=True)
    facts = models.JSONField()
    breakdown = models.JSONField()
    currency = models.CharField(max_length=3)
    net_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    capped = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.kind} for trip {str(self.trip_id)[:8]}: {amount_text(self.total_minor, self.currency)}"
