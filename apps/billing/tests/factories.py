"""Test data for billing, with factory-boy: tax rates, tariffs and their components, top-up requests.

`tariff(fleet_id=...)` is the Berlin city-delivery tariff most tests price with (VAT included, night surcharge,
minimum fare, cancellation fee); `CityTariffFactory` is the same with every figure overridable. Money that has to
be on a prepaid balance gets there as in the product, through the services (`prepaid_topup`).
"""

import datetime as dt
import uuid

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

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
    TopUp,
    WaitingTime,
)
from apps.billing.services import topups


class TaxRateFactory(DjangoModelFactory):
    class Meta:
        model = TaxRate

    fleet_id = factory.LazyFunction(uuid.uuid4)
    rate_bps = 1900
    name = factory.LazyAttribute(lambda tax: f"VAT {tax.rate_bps / 100:g}%")


class TariffFactory(DjangoModelFactory):
    """A tariff version without components, valid since a month ago, its default tax of its own fleet."""

    class Meta:
        model = Tariff
        skip_postgeneration_save = True  # components point at the tariff; the tariff row needs no second save

    fleet_id = factory.LazyFunction(uuid.uuid4)
    name = "City delivery"
    service = "delivery"
    vehicle_type = ""
    currency = "EUR"
    default_tax = factory.SubFactory(TaxRateFactory, fleet_id=factory.SelfAttribute("..fleet_id"))
    prices_include_tax = True
    final_cap_bps = 1000
    valid_from = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=30))
    valid_until = None


class ComponentFactory(DjangoModelFactory):
    tariff = factory.SubFactory(TariffFactory)
    position = factory.Sequence(lambda n: n + 1)


class BaseFareFactory(ComponentFactory):
    class Meta:
        model = BaseFare

    amount_minor = 250


class PerKmFactory(ComponentFactory):
    class Meta:
        model = PerKm

    amount_minor_per_km = 120


class PerMinuteFactory(ComponentFactory):
    class Meta:
        model = PerMinute

    amount_minor_per_minute = 30


class PerStopFactory(ComponentFactory):
    class Meta:
        model = PerStop

    amount_minor_per_stop = 150
    free_stops = 2


class WaitingTimeFactory(ComponentFactory):
    class Meta:
        model = WaitingTime

    amount_minor_per_minute = 40
    grace_minutes = 5


class TimeSurchargeFactory(ComponentFactory):
    class Meta:
        model = TimeSurcharge

    label = "Night"
    percent_bps = 2500
    starts = dt.time(22)
    ends = dt.time(6)


class MinimumFareFactory(ComponentFactory):
    class Meta:
        model = MinimumFare

    amount_minor = 800


class CancellationFeeFactory(ComponentFactory):
    class Meta:
        model = CancellationFee

    amount_minor = 500
    free_minutes = 5


def _component(factory_class, position: int, **fields):
    return factory.RelatedFactory(factory_class, factory_related_name="tariff", position=position, **fields)


class CityTariffFactory(TariffFactory):
    """The city-delivery price list: base fare, per km, per minute, per stop beyond two, waiting after five
    minutes, a night surcharge (22:00–06:00), a minimum fare and a cancellation fee after five free minutes."""

    class Params:
        vat_bps = 1900
        base = 250
        per_km = 120
        per_minute = 30
        minimum = 800
        night_bps = 2500

    default_tax = factory.SubFactory(
        TaxRateFactory, fleet_id=factory.SelfAttribute("..fleet_id"), rate_bps=factory.SelfAttribute("..vat_bps")
    )
    base_fare = _component(BaseFareFactory, 1, amount_minor=factory.SelfAttribute("..base"))
    per_km_fare = _component(PerKmFactory, 2, amount_minor_per_km=factory.SelfAttribute("..per_km"))
    per_minute_fare = _component(PerMinuteFactory, 3, amount_minor_per_minute=factory.SelfAttribute("..per_minute"))
    per_stop_fare = _component(PerStopFactory, 4)
    waiting_fare = _component(WaitingTimeFactory, 5)
    night_surcharge = _component(TimeSurchargeFactory, 6, percent_bps=factory.SelfAttribute("..night_bps"))
    minimum_fare = _component(MinimumFareFactory, 7, amount_minor=factory.SelfAttribute("..minimum"))
    cancellation_fee = _component(CancellationFeeFactory, 8)


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
    """The city-delivery tariff of a fleet (CityTariffFactory), by the names billing's tests have always used."""
    return CityTariffFactory(
        fleet_id=fleet_id,
        currency=currency,
        vat_bps=vat_bps,
        prices_include_tax=include_tax,
        final_cap_bps=cap_bps,
        vehicle_type=vehicle_type,
        valid_until=valid_until,
        base=base,
        per_km=per_km,
        per_minute=per_minute,
        minimum=minimum,
        night_bps=night_bps,
        **({"valid_from": valid_from} if valid_from is not None else {}),
    )


class TopUpFactory(DjangoModelFactory):
    """A customer's pending top-up request, as `topups.topup_request` leaves it (nothing on the ledger)."""

    class Meta:
        model = TopUp

    customer_id = factory.LazyFunction(uuid.uuid4)
    request_key = factory.LazyFunction(lambda: str(uuid.uuid4()))
    currency = "EUR"
    amount_minor = 5000
    expires_at = factory.LazyFunction(lambda: timezone.now() + dt.timedelta(hours=24))


def prepaid_topup(*, customer_id: uuid.UUID, amount, key: str | None = None):
    """Money on a customer's prepaid balance as it gets there: a request, confirmed by a platform admin."""
    key = key or str(uuid.uuid4())
    topup = topups.topup_request(customer_id=customer_id, amount=amount, idempotency_key=key)
    return topups.topup_confirm(topup_id=topup.id, amount=amount, via=TopUp.STAFF, reference=f"test-{topup.id}")
