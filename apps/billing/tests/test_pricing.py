"""Pure pricing: components, rounding, minimum fare, surcharges, inclusive and exclusive taxes, the cap."""

import datetime as dt

import pytest

from apps.billing.contracts import ComponentKind, TripFacts
from apps.billing.pricing import Component, Tax, cancellation_fee, cap_total, price, round_minor
from logitrack.types import GeoPoint, Money

VAT = Tax("VAT 19%", 1900)
REDUCED = Tax("VAT 7%", 700)
NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
COMPONENTS = [
    Component(kind=ComponentKind.BASE_FARE, amount_minor=250),
    Component(kind=ComponentKind.PER_KM, amount_minor=120),
    Component(kind=ComponentKind.PER_MINUTE, amount_minor=30, free_units=0),
    Component(kind=ComponentKind.PER_STOP, amount_minor=150, free_units=2),
    Component(kind=ComponentKind.WAITING_TIME, amount_minor=40, free_units=5),
    Component(kind=ComponentKind.TIME_SURCHARGE, percent_bps=2500, starts=dt.time(22), ends=dt.time(6), label="Night"),
    Component(kind=ComponentKind.MINIMUM_FARE, amount_minor=800),
]


def facts(**kw):
    return TripFacts(**{"distance_m": 12_345, "duration_s": 1_800, "stops": 3, "waiting_s": 420, "at": NOON, **kw})


def test_a_day_fare_adds_up_line_by_line_with_vat_included():
    fare = price(COMPONENTS, facts(), currency="EUR", default_tax=VAT, prices_include_tax=True, local_time=NOON)
    gross = {line.code: line.gross.amount_minor for line in fare.lines}
    # 2.50 base + 12.345 km × 1.20 = 14.81 (14.814 rounds down) + 30 min × 0.30 + 1 extra stop 1.50 + 2 min waiting 0.80
    assert gross == {"base": 250, "distance": 1481, "time": 900, "stops": 150, "waiting": 80}
    assert fare.total == Money(2861, "EUR")
    assert fare.net + fare.tax == fare.total
    assert fare.taxes[0].rate_bps == 1900 and fare.taxes[0].tax == fare.tax
    assert all(line.net.amount_minor + line.tax.amount_minor == gross[line.code] for line in fare.lines)


def test_night_surcharge_applies_across_midnight_in_local_time():
    night = dt.datetime(2026, 11, 23, 23, 30, tzinfo=dt.UTC)
    fare = price(
        COMPONENTS, facts(at=night), currency="EUR", default_tax=VAT, prices_include_tax=True, local_time=night
    )
    surcharge = next(line for line in fare.lines if line.code == "surcharge.night")
    assert surcharge.gross.amount_minor == round_minor(__import__("decimal").Decimal(2861) / 4)
    early = night.replace(hour=5, minute=59)
    assert any(
        line.code == "surcharge.night"
        for line in price(
            COMPONENTS, facts(at=early), currency="EUR", default_tax=VAT, prices_include_tax=True, local_time=early
        ).lines
    )


def test_minimum_fare_tops_up_short_trips():
    fare = price(
        COMPONENTS,
        facts(distance_m=500, duration_s=120, stops=2, waiting_s=0),
        currency="EUR",
        default_tax=VAT,
        prices_include_tax=True,
        local_time=NOON,
    )
    assert fare.total == Money(800, "EUR")
    assert fare.lines[-1].code == "minimum"


def test_exclusive_pricing_adds_tax_on_top():
    fare = price(
        [Component(kind=ComponentKind.BASE_FARE, amount_minor=1000)],
        facts(),
        currency="EUR",
        default_tax=VAT,
        prices_include_tax=False,
        local_time=NOON,
    )
    assert (fare.net, fare.tax, fare.total) == (Money(1000, "EUR"), Money(190, "EUR"), Money(1190, "EUR"))


def test_several_tax_rates_are_listed_separately():
    comps = [
        Component(kind=ComponentKind.BASE_FARE, amount_minor=1000),
        Component(kind=ComponentKind.PER_STOP, amount_minor=107, free_units=0, tax=REDUCED),
    ]
    fare = price(comps, facts(stops=1), currency="EUR", default_tax=VAT, prices_include_tax=True, local_time=NOON)
    assert [(t.name, t.net.amount_minor, t.tax.amount_minor) for t in fare.taxes] == [
        ("VAT 19%", 840, 160),
        ("VAT 7%", 100, 7),
    ]
    assert fare.total == Money(1107, "EUR")


def test_zone_surcharge_when_a_stop_is_inside():
    airport = GeoPoint(52.3667, 13.5033)
    comps = [
        Component(kind=ComponentKind.BASE_FARE, amount_minor=1000),
        Component(
            kind=ComponentKind.ZONE_SURCHARGE,
            amount_minor=500,
            zone_center=airport,
            zone_radius_m=3000,
            label="BER airport",
        ),
    ]
    inside = facts(points=(GeoPoint(52.52, 13.40), GeoPoint(52.37, 13.51)))
    outside = facts(points=(GeoPoint(52.52, 13.40), GeoPoint(52.50, 13.45)))
    assert price(
        comps, inside, currency="EUR", default_tax=VAT, prices_include_tax=True, local_time=NOON
    ).total == Money(1500, "EUR")
    assert price(
        comps, outside, currency="EUR", default_tax=VAT, prices_include_tax=True, local_time=NOON
    ).total == Money(1000, "EUR")


@pytest.mark.parametrize("currency", ["JPY", "KWD"])
def test_amounts_are_whole_minor_units_in_any_currency(currency):
    fare = price(COMPONENTS, facts(), currency=currency, default_tax=VAT, prices_include_tax=False, local_time=NOON)
    assert all(isinstance(line.net.amount_minor, int) and isinstance(line.tax.amount_minor, int) for line in fare.lines)


@pytest.mark.parametrize("include_tax", [True, False])
def test_the_cap_brings_a_final_fare_exactly_to_the_limit(include_tax):
    fare = price(
        COMPONENTS,
        facts(distance_m=40_000),
        currency="EUR",
        default_tax=VAT,
        prices_include_tax=include_tax,
        local_time=NOON,
    )
    limit = Money(fare.total.amount_minor - 777, "EUR")
    capped, was_capped = cap_total(fare, limit=limit)
    assert was_capped and capped.total == limit
    assert capped.lines[-1].code == "guarantee" and capped.lines[-1].net.amount_minor < 0
    assert cap_total(fare, limit=fare.total) == (fare, False)


def test_cancellation_fee_only_after_the_free_period():
    comps = [Component(kind=ComponentKind.CANCELLATION_FEE, amount_minor=500, free_units=5)]
    assert (
        cancellation_fee(comps, currency="EUR", default_tax=VAT, prices_include_tax=True, minutes_since_booking=4.9)
        is None
    )
    fee = cancellation_fee(comps, currency="EUR", default_tax=VAT, prices_include_tax=True, minutes_since_booking=5)
    assert fee.total == Money(500, "EUR") and fee.tax == Money(80, "EUR")


def test_every_component_kind_has_one_model_that_prices_as_that_kind():
    from apps.billing.models.tariffs import COMPONENT_MODELS

    assert set(COMPONENT_MODELS) == set(ComponentKind)
    assert all(model.KIND == kind for kind, model in COMPONENT_MODELS.items())
