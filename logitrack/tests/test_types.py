import math

import pytest

from logitrack.exceptions import ValidationFailed
from logitrack.types import GeoPoint, Money


def test_money_adds_within_one_currency():
    assert Money(150, "EUR") + Money(275, "EUR") == Money(425, "EUR")
    assert Money(150, "EUR") - Money(275, "EUR") == Money(-125, "EUR")


@pytest.mark.parametrize("amount", [1.5, "100", None, True])
def test_money_refuses_anything_but_integer_minor_units(amount):
    with pytest.raises(ValidationFailed) as err:
        Money(amount, "EUR")
    assert err.value.code == "money.not_integer"


@pytest.mark.parametrize("currency", ["eur", "EURO", "", "E1R"])
def test_money_refuses_malformed_currency(currency):
    with pytest.raises(ValidationFailed) as err:
        Money(100, currency)
    assert err.value.code == "money.bad_currency"


def test_money_never_mixes_currencies():
    with pytest.raises(ValidationFailed) as err:
        Money(1, "EUR") + Money(1, "USD")
    assert err.value.code == "money.currency_mismatch"


@pytest.mark.parametrize(
    ("money", "text"),
    [
        (Money(1250, "EUR"), "12.50 EUR"),
        (Money(-5, "EUR"), "-0.05 EUR"),
        (Money(500, "JPY"), "500 JPY"),
        (Money(1234, "KWD"), "1.234 KWD"),
    ],
)
def test_money_formats_with_the_currency_exponent(money, text):
    assert money.format() == text


@pytest.mark.parametrize(
    ("lat", "lng", "code"),
    [
        (90.1, 0, "geo.lat_out_of_range"),
        (0, -180.5, "geo.lng_out_of_range"),
        (math.nan, 0, "geo.not_a_number"),
        ("1", 0, "geo.not_a_number"),
    ],
)
def test_geopoint_refuses_out_of_range_coordinates(lat, lng, code):
    with pytest.raises(ValidationFailed) as err:
        GeoPoint(lat, lng)
    assert err.value.code == code


def test_geopoint_distance_berlin_to_paris_is_about_878_km():
    berlin, paris = GeoPoint(52.5200, 13.4050), GeoPoint(48.8566, 2.3522)
    assert 876_000 < berlin.distance_m(paris) < 880_000
    assert berlin.distance_m(berlin) == 0
