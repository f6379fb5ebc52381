"""Money, rates and times as CLDR writes them for the fleet's place (Babel), exact from integer minor units."""

import datetime as dt
from decimal import Decimal

import pytest

from logitrack import formatting

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.mark.parametrize(
    ("country", "language", "locale"),
    [
        ("DE", "", "de_DE"),
        ("at", "", "de_AT"),
        ("FR", "", "fr_FR"),
        ("US", "", "en_US"),
        ("CH", "fr", "fr_CH"),
        ("", "", "en"),
        ("XX", "", "en"),
        ("DE", "xx", "de_DE"),
    ],
)
def test_a_fleet_country_gives_the_locale_its_people_read(country, language, locale):
    assert formatting.locale_for(country, language) == locale


@pytest.mark.parametrize(
    ("amount_minor", "currency", "locale", "text"),
    [
        (123450, "EUR", "de_DE", f"1.234,50{NBSP}€"),
        (123450, "EUR", "en_IE", "€1,234.50"),
        (-500, "USD", "en_US", "-$5.00"),
        (1234, "JPY", "ja_JP", "￥1,234"),
        (1234, "KWD", "en", "KWD1.234"),
        (995, "CHF", "de_CH", f"CHF{NBSP}9.95"),
        (1, "EUR", "fr_FR", f"0,01{NBSP}€"),
    ],
)
def test_money_is_formatted_from_minor_units_by_locale(amount_minor, currency, locale, text):
    assert formatting.money(amount_minor, currency, locale) == text


def test_units_and_minor_round_trip_exactly_and_refuse_fractions_of_a_cent():
    assert formatting.units(1324, "EUR") == Decimal("13.24")
    assert formatting.minor(Decimal("13.24"), "EUR") == 1324
    assert formatting.minor(Decimal("1.234"), "KWD") == 1234
    assert formatting.minor(Decimal("500"), "JPY") == 500
    with pytest.raises(ValueError):
        formatting.minor(Decimal("13.245"), "EUR")


@pytest.mark.parametrize(
    ("bps", "locale", "text"),
    [
        (1900, "en", "19%"),
        (1900, "de_DE", f"19{NBSP}%"),
        (1250, "en", "12.5%"),
        (1250, "de_DE", f"12,5{NBSP}%"),
        (1, "en", "0.01%"),
    ],
)
def test_basis_points_read_as_percent(bps, locale, text):
    assert formatting.rate_bps(bps, locale) == text


def test_times_show_on_the_fleets_clock():
    at = dt.datetime(2026, 7, 1, 12, 30, tzinfo=dt.UTC)
    assert formatting.local_time(at, "Europe/Berlin", "de_DE") == "14:30"
    assert formatting.local_time(at, "America/New_York", "en_US") == f"8:30{NNBSP}AM"
    assert "14:30" in formatting.local_datetime(at, "Europe/Berlin", "en_GB")
    assert formatting.local_datetime(None, "Europe/Berlin") == "–"
    assert formatting.local_time(at, "Not/AZone") == f"12:30{NNBSP}PM"  # an unknown zone falls back to UTC


def test_a_date_and_time_read_the_locales_way_on_the_fleets_clock():
    at = dt.datetime(2026, 12, 5, 13, 30, tzinfo=dt.UTC)
    assert formatting.local_datetime(at, "Europe/Berlin", "de_DE") == "05.12.2026, 14:30"
    assert formatting.local_datetime(at, "Europe/London", "en_GB") == "5 Dec 2026, 13:30"
    assert formatting.local_datetime(at, "America/New_York", "en_US") == f"Dec 5, 2026, 8:30{NNBSP}AM"
