"""Tariffs for billing tests: a Berlin delivery tariff with VAT included."""

import datetime as dt
import uuid

from django.utils import timezone

from apps.billing.models import (
    BaseFare,
    CancellationFee,
    MinimumFare,
    PerKm,
    PerMinute,
    PerStop,
    Tariff,
    TaxRate,
    TimeSurcharge,
    WaitingTime,
)
from apps.billing.services import topups


def tariff(
    *,
    fleet_id: uuid.UUID,
    currency="EUR",
    vat_bps=1900,
    include_tax=True,
    cap_bps=1000,
    vehicle_type="",
    valid_from=None,
    valid_until=None,
    base=250,
    per_km=120,
    per_minute=30,
    minimum=800,
    night_bps=2500,
) -> Tariff:
    vat = TaxRate.objects.create(fleet_id=fleet_id, name=f"VAT {vat_bps / 100:g}%", rate_bps=vat_bps)
    t = Tariff.objects.create(
        fleet_id=fleet_id,
        name="City delivery",
        service="delivery",
        vehicle_type=vehicle_type,
        currency=currency,
        default_tax=vat,
        prices_include_tax=include_tax,
        final_cap_bps=cap_bps,
        valid_from=valid_from or timezone.now() - dt.timedelta(days=30),
        valid_until=valid_until,
    )
    BaseFare.objects.create(tariff=t, position=1, amount_minor=base)
    PerKm.objects.create(tariff=t, position=2, amount_minor_per_km=per_km)
    PerMinute.objects.create(tariff=t, position=3, amount_minor_per_minute=per_minute)
    PerStop.objects.create(tariff=t, position=4, amount_minor_per_stop=150, free_stops=2)
    WaitingTime.objects.create(tariff=t, position=5, amount_minor_per_minute=40, grace_minutes=5)
    TimeSurcharge.objects.create(
        tariff=t, position=6, label="Night", percent_bps=night_bps, starts=dt.time(22), ends=dt.time(6)
    )
    MinimumFare.objects.create(tariff=t, position=7, amount_minor=minimum)
    CancellationFee.objects.create(tariff=t, position=8, amount_minor=500, free_minutes=5)
    return t


def prepaid_topup(*, customer_id: uuid.UUID, amount, key: str | None = None):
    """Money on a customer's prepaid balance as it gets there: a request, confirmed by a platform admin."""
    from apps.billing.models import TopUp

    key = key or str(uuid.uuid4())
    topup = topups.topup_request(customer_id=customer_id, amount=amount, idempotency_key=key)
    return topups.topup_confirm(topup_id=topup.id, amount=amount, via=TopUp.STAFF, reference=f"test-{topup.id}")
