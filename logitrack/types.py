"""Value objects shared by every context: money and geographic points. Framework-free."""

from __future__ import annotations

import dataclasses
import itertools
import math
import re
from collections.abc import Sequence

from logitrack.exceptions import ValidationFailed

_CURRENCY = re.compile(r"^[A-Z]{3}$")

# ISO 4217 minor-unit exponents that differ from the usual 2. Anything else has 2.
_EXPONENTS = {
    "BHD": 3,
    "CLP": 0,
    "IQD": 3,
    "ISK": 0,
    "JOD": 3,
    "JPY": 0,
    "KRW": 0,
    "KWD": 3,
    "LYD": 3,
    "OMR": 3,
    "PYG": 0,
    "TND": 3,
    "UGX": 0,
    "VND": 0,
    "XAF": 0,
    "XOF": 0,
}


def currency_exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has (EUR 2, JPY 0, KWD 3)."""
    return _EXPONENTS.get(currency, 2)


@dataclasses.dataclass(frozen=True, slots=True)
class Money:
    """An amount in integer minor units (cents) with its ISO 4217 currency. Never a float."""

    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.amount_minor, bool) or not isinstance(self.amount_minor, int):
            raise ValidationFailed("money amounts are whole minor units", code="money.not_integer")
        if not isinstance(self.currency, str) or not _CURRENCY.match(self.currency):
            raise ValidationFailed(f"{self.currency!r} is not an ISO 4217 currency code", code="money.bad_currency")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    def _same(self, other: Money) -> None:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise ValidationFailed(
                f"cannot combine {self.currency} with {other.currency}", code="money.currency_mismatch"
            )

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor + other.amount_minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount_minor - other.amount_minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount_minor, self.currency)

    def __lt__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor < other.amount_minor

    def __le__(self, other: Money) -> bool:
        self._same(other)
        return self.amount_minor <= other.amount_minor

    def format(self) -> str:
        """Plain decimal rendering ("12.50 EUR"); locale-aware formatting belongs to the presenter."""
        exp = currency_exponent(self.currency)
        sign = "-" if self.amount_minor < 0 else ""
        units, minor = divmod(abs(self.amount_minor), 10**exp)
        return f"{sign}{units}.{minor:0{exp}d} {self.currency}" if exp else f"{sign}{units} {self.currency}"


EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)


@dataclasses.dataclass(frozen=True, slots=True)
class GeoPoint:
    """A WGS84 coordinate, validated to range on construction."""

    lat: float
    lng: float

    def __post_init__(self) -> None:
        for name, value, bound in (("lat", self.lat, 90.0), ("lng", self.lng, 180.0)):
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise ValidationFailed(f"{name} must be a finite number", code="geo.not_a_number")
            if not -bound <= value <= bound:
                raise ValidationFailed(
                    f"{name} {value} is outside [-{bound}, {bound}]", code=f"geo.{name}_out_of_range"
                )

    def distance_m(self, other: GeoPoint) -> float:
        """Great-circle (haversine) distance in metres."""
        p1, p2 = math.radians(self.lat), math.radians(other.lat)
        dp, dl = p2 - p1, math.radians(other.lng - self.lng)
        h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
        return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def road_distance_m(points: Sequence[GeoPoint], *, detour: float) -> float:
    """The road distance along `points` estimated from straight legs: great-circle metres times the detour
    factor (settings.ROAD_DETOUR_FACTOR), for quotes and fares when no road network or odometer says better."""
    return sum(a.distance_m(b) for a, b in itertools.pairwise(points)) * detour
