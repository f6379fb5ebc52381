"""The overview's revenue per fleet, local day and currency, kept as fares are posted to the ledger."""

from __future__ import annotations

from django.db import models


class RevenueDay(models.Model):
    """Sums of one fleet's fare transactions (settlements, cancellation fees, their refunds) posted on one local day,
    in one currency: services/figures.py adds each as the ledger posts it, in the same transaction, so the overview
    reads a row per day at any history. `billing_figures_rebuild` recomputes them from the ledger."""

    id = models.BigAutoField(primary_key=True)
    fleet_id = models.UUIDField()
    day = models.DateField()
    currency = models.CharField(max_length=3)
    fares = models.IntegerField(default=0)
    refunds = models.IntegerField(default=0)
    charged_minor = models.BigIntegerField(default=0)
    tax_minor = models.BigIntegerField(default=0)
    platform_fee_minor = models.BigIntegerField(default=0)
    fleet_share_minor = models.BigIntegerField(default=0)
    driver_share_minor = models.BigIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["fleet_id", "day", "currency"], name="revenue_day_once")]

    def __str__(self) -> str:
        return f"{self.fleet_id} {self.day} {self.currency}"
