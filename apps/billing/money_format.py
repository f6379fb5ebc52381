"""Currency formatting for documents, by locale. Integer minor units in, text out; no floats."""

from __future__ import annotations

from logitrack.types import currency_exponent

SYMBOLS = {
    "EUR": "€",
    "USD": "$",
    "GBP": "£",
    "JPY": "¥",
    "CHF": "CHF",
    "PLN": "zł",
    "SEK": "kr",
    "DKK": "kr",
    "CZK": "Kč",
}
# locale: (thousands separator, decimal separator, symbol after the amount)
STYLES = {
    "de": (".", ",", True),
    "fr": ("\u202f", ",", True),
    "es": (".", ",", True),
    "it": (".", ",", True),
    "nl": (".", ",", False),
    "pl": ("\u00a0", ",", True),
    "sv": ("\u00a0", ",", True),
    "en": (",", ".", False),
}
COUNTRY_LOCALE = {
    "DE": "de",
    "AT": "de",
    "CH": "de",
    "FR": "fr",
    "BE": "fr",
    "ES": "es",
    "IT": "it",
    "NL": "nl",
    "PL": "pl",
    "SE": "sv",
}


def locale_for(country: str) -> str:
    return COUNTRY_LOCALE.get(country.upper(), "en")


def format_money(amount_minor: int, currency: str, locale: str = "en") -> str:
    thousands, decimal, symbol_after = STYLES.get(locale, STYLES["en"])
    exp = currency_exponent(currency)
    sign = "-" if amount_minor < 0 else ""
    units, minor = divmod(abs(amount_minor), 10**exp)
    grouped = f"{units:,}".replace(",", thousands)
    number = f"{grouped}{decimal}{minor:0{exp}d}" if exp else grouped
    symbol = SYMBOLS.get(currency, currency)
    return f"{sign}{number}\u00a0{symbol}" if symbol_after else f"{sign}{symbol}{number}"


def format_rate(rate_bps: int) -> str:
    return f"{rate_bps / 100:g}\u00a0%"
