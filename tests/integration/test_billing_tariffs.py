"""tariff_create: a whole price list or nothing, in the fleet's currency, priced as its components say."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.billing.contracts import InvalidBillingData, TripFacts
from apps.billing.models import Tariff, TariffComponent, TaxRate
from apps.billing.services import quotes, tariffs
from apps.fleet.tests.factories import active_fleet

pytestmark = pytest.mark.django_db


def create(fleet, **overrides):
    data = {
        "fleet_id": fleet.id,
        "name": "City delivery",
        "service": "delivery",
        "currency": "EUR",
        "tax_name": "USt 19%",
        "tax_bps": 1900,
        "valid_from": timezone.now() - dt.timedelta(days=1),
        "components": [("base_fare", {"amount_minor": 300}), ("per_km", {"amount_minor_per_km": 100})],
        **overrides,
    }
    return tariffs.tariff_create(**data)


def test_a_tariff_prices_quotes_with_its_components_in_order():
    fleet = active_fleet()
    tariff = create(fleet)
    assert [c.get_real_instance().__class__.__name__ for c in tariff.components.order_by("position")] == [
        "BaseFare",
        "PerKm",
    ]
    facts = TripFacts(distance_m=5000, duration_s=600, stops=2, at=timezone.now(), points=())
    quote = quotes.quote_create(
        fleet_id=fleet.id, vehicle_type="van", service="delivery", facts=facts, customer_id=None
    )
    assert quote.tariff_id == tariff.id and quote.total_minor == 300 + 5 * 100


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"currency": "GBP"}, "currency"),
        ({"components": [("free_lunch", {})]}, "components"),
        ({"components": [("base_fare", {"amount_minor": -5})]}, "amount_minor"),
        ({"tax_bps": 20_000}, "rate_bps"),
    ],
    ids=["foreign currency", "unknown component", "negative amount", "tax over 100%"],
)
def test_bad_tariffs_are_refused_whole(overrides, field):
    fleet = active_fleet()
    with pytest.raises(InvalidBillingData) as refused:
        create(fleet, **overrides)
    assert field in refused.value.extra["errors"]
    assert (Tariff.objects.count(), TaxRate.objects.count(), TariffComponent.objects.count()) == (0, 0, 0)
