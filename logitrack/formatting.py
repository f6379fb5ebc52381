"""Money, rates and times as the people of a place read them, from CLDR through Babel.

Integer minor units in, text out: no floats on the way. A fleet's locale comes from its country
(`locale_for("DE")` is "de_DE"); its times are shown in its IANA time zone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import zoneinfo
from decimal import Decimal

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime, format_time
from babel.numbers import format_currency, format_decimal, format_percent

from logitrack.types import currency_exponent

DEFAULT_LOCALE = "en"


@dataclasses.dataclass(frozen=True, slots=True)
class Locality:
    """How one fleet's people read figures: its locale, its clock and its currency."""

    locale: str = DEFAULT_LOCALE
    time_zone: str = "UTC"
    currency: str = "EUR"


@functools.lru_cache(maxsize=256)
def locale_for(country: str, language: str = "") -> str:
    """The locale people in `country` read (CLDR's likely language), or `language` there when it is given."""
    country = (country or "").upper()
    for tag in (f"{language}_{country}" if language else "", f"und_{country}" if country else "", language):
        if not tag:
            continue
        try:
            return str(Locale.parse(tag))
        except (UnknownLocaleError, ValueError):
            continue
    return DEFAULT_LOCALE


def units(amount_minor: int, currency: str) -> Decimal:
    """Minor units as an exact decimal amount of the currency (1324 EUR cents -> 13.24)."""
    return Decimal(int(amount_minor)).scaleb(-currency_exponent(currency))


def minor(amount: Decimal, currency: str) -> int:
    """An exact decimal amount back to minor units; refuses amounts finer than the currency's minor unit."""
    scaled = Decimal(amount).scaleb(currency_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{amount} has more decimal places than {currency} allows")
    return int(scaled)


def money(amount_minor: int, currency: str, locale: str = DEFAULT_LOCALE) -> str:
    """`1324, "EUR", "de_DE"` -> "13,24 €"; `-500, "USD", "en_US"` -> "-$5.00"."""
    return format_currency(units(amount_minor, currency), currency, locale=locale)


def amount(amount_minor: int, currency: str, locale: str = DEFAULT_LOCALE) -> str:
    """The number without its currency sign, with the currency's decimal places ("1.234,50")."""
    exp = currency_exponent(currency)
    pattern = "#,##0" + ("." + "0" * exp if exp else "")
    return format_decimal(units(amount_minor, currency), format=pattern, locale=locale)


def rate_bps(bps: int, locale: str = DEFAULT_LOCALE) -> str:
    """Basis points as a percentage: 1900 -> "19 %" in de, "19%" in en; 1250 -> "12.5%"."""
    return format_percent(Decimal(int(bps)).scaleb(-4), locale=locale, decimal_quantization=False)


def zone(time_zone: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def local_datetime(
    value: dt.datetime | None, time_zone: str, locale: str = DEFAULT_LOCALE, *, format: str | None = None
) -> str:
    """An aware datetime as the fleet's clock shows it: the medium date and the short time, glued the locale's
    way ("5 Dec 2026, 14:30" in en_GB, "05.12.2026, 14:30" in de_DE); `format` picks a CLDR width instead."""
    if value is None:
        return "–"
    tz = zone(time_zone)
    if format is not None:
        return format_datetime(value, format=format, tzinfo=tz, locale=locale)
    local = value.astimezone(tz)
    glue = Locale.parse(locale).datetime_formats["medium"]
    return (
        str(glue)
        .replace("{1}", format_date(local, "medium", locale=locale))
        .replace("{0}", format_time(local, "short", tzinfo=tz, locale=locale))
    )


def local_time(value: dt.datetime | None, time_zone: str, locale: str = DEFAULT_LOCALE) -> str:
    if value is None:
        return "–"
    return format_time(value, format="short", tzinfo=zone(time_zone), locale=locale)


def local_date(value: dt.date | None, locale: str = DEFAULT_LOCALE, *, format: str = "medium") -> str:
    if value is None:
        return "–"
    return format_date(value, format=format, locale=locale)
