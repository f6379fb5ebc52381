"""Pure fare computation: tariff components applied to trip facts, then minimum fare and taxes.

Money is integer minor units. Each component computes its amount in Decimal and rounds once, half
up, to the minor unit; taxes are computed per line (exclusive: tax = net × rate; inclusive:
net = gross ÷ (1 + rate), tax = gross − net), each rounded half up. Totals are sums of rounded
lines, so an invoice always adds up.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from apps.billing.contracts import ComponentKind, FareBreakdown, FareLine, TaxLine, TripFacts
from logitrack.types import GeoPoint, Money


def round_minor(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


@dataclasses.dataclass(frozen=True)
class Tax:
    name: str
    rate_bps: int


@dataclasses.dataclass(frozen=True)
class Component:
    """One priced element of a tariff (the model layer turns rows into these)."""

    # base | per_km | per_minute | per_stop | waiting | minimum | time_surcharge | zone_surcharge | cancellation
    kind: ComponentKind
    amount_minor: int = 0  # a flat amount, or the rate per unit
    free_units: int = 0  # free km / minutes / stops / grace minutes
    percent_bps: int = 0  # surcharges in basis points of the subtotal so far
    starts: dt.time | None = None
    ends: dt.time | None = None
    weekdays: tuple[int, ...] = ()
    zone_center: GeoPoint | None = None
    zone_radius_m: int = 0
    label: str = ""
    tax: Tax | None = None


def _line(code: str, description: str, amount: int, currency: str, tax: Tax, inclusive: bool) -> FareLine:
    rate = Decimal(tax.rate_bps) / Decimal(10_000)
    if inclusive:
        net = round_minor(Decimal(amount) / (1 + rate))
        tax_amount = amount - net
    else:
        net = amount
        tax_amount = round_minor(Decimal(amount) * rate)
    return FareLine(
        code=code,
        description=description,
        net=Money(net, currency),
        tax=Money(tax_amount, currency),
        tax_rate_bps=tax.rate_bps,
    )


def _in_window(c: Component, at: dt.datetime) -> bool:
    if c.weekdays and at.weekday() not in c.weekdays:
        return False
    if c.starts is None or c.ends is None:
        return True
    t = at.time()
    return c.starts <= t < c.ends if c.starts < c.ends else (t >= c.starts or t < c.ends)  # e.g. 22:00–06:00


def price(
    components: Sequence[Component],
    facts: TripFacts,
    *,
    currency: str,
    default_tax: Tax,
    prices_include_tax: bool,
    local_time: dt.datetime,
) -> FareBreakdown:
    """The fare for a trip. `local_time` is `facts.at` in the fleet's time zone (surcharge windows)."""
    amounts: list[tuple[str, str, int, Tax]] = []
    km = Decimal(facts.distance_m) / 1000
    minutes = Decimal(facts.duration_s) / 60
    waiting = Decimal(facts.waiting_s) / 60
    for c in components:
        tax = c.tax or default_tax
        if c.kind == ComponentKind.BASE_FARE:
            amounts.append(("base", c.label or "Base fare", c.amount_minor, tax))
        elif c.kind == ComponentKind.PER_KM:
            billable = max(Decimal(0), km - c.free_units)
            amounts.append(
                ("distance", c.label or f"Distance {km:.1f} km", round_minor(billable * c.amount_minor), tax)
            )
        elif c.kind == ComponentKind.PER_MINUTE:
            billable = max(Decimal(0), minutes - c.free_units)
            amounts.append(("time", c.label or f"Time {minutes:.0f} min", round_minor(billable * c.amount_minor), tax))
        elif c.kind == ComponentKind.PER_STOP:
            extra_stops = max(0, facts.stops - c.free_units)
            if extra_stops:
                amounts.append(("stops", c.label or f"{extra_stops} extra stop(s)", extra_stops * c.amount_minor, tax))
        elif c.kind == ComponentKind.WAITING_TIME:
            billable = max(Decimal(0), waiting - c.free_units)
            if billable:
                amounts.append(
                    ("waiting", c.label or f"Waiting {billable:.0f} min", round_minor(billable * c.amount_minor), tax)
                )
    subtotal = sum(a for _, _, a, _ in amounts)
    for c in components:
        tax = c.tax or default_tax
        if c.kind == ComponentKind.TIME_SURCHARGE and _in_window(c, local_time):
            amounts.append(
                (
                    f"surcharge.{c.label or 'time'}".lower().replace(" ", "_"),
                    c.label or "Time surcharge",
                    round_minor(Decimal(subtotal) * c.percent_bps / 10_000),
                    tax,
                )
            )
        elif (
            c.kind == ComponentKind.ZONE_SURCHARGE
            and c.zone_center is not None
            and any(p.distance_m(c.zone_center) <= c.zone_radius_m for p in facts.points)
        ):
            amounts.append(
                (
                    f"zone.{c.label or 'zone'}".lower().replace(" ", "_"),
                    c.label or "Zone surcharge",
                    c.amount_minor,
                    tax,
                )
            )
    total_so_far = sum(a for _, _, a, _ in amounts)
    for c in components:
        if c.kind == ComponentKind.MINIMUM_FARE and total_so_far < c.amount_minor:
            amounts.append(
                ("minimum", c.label or "Minimum fare top-up", c.amount_minor - total_so_far, c.tax or default_tax)
            )
    return breakdown(amounts, currency=currency, prices_include_tax=prices_include_tax)


def cancellation_fee(
    components: Sequence[Component],
    *,
    currency: str,
    default_tax: Tax,
    prices_include_tax: bool,
    minutes_since_booking: float,
) -> FareBreakdown | None:
    """The cancellation fee owed, or None when the tariff has none or the free period has not passed."""
    for c in components:
        if c.kind == ComponentKind.CANCELLATION_FEE and minutes_since_booking >= c.free_units:
            return breakdown(
                [("cancellation", c.label or "Cancellation fee", c.amount_minor, c.tax or default_tax)],
                currency=currency,
                prices_include_tax=prices_include_tax,
            )
    return None


def breakdown(
    amounts: Sequence[tuple[str, str, int, Tax]], *, currency: str, prices_include_tax: bool
) -> FareBreakdown:
    lines = tuple(_line(code, text, amount, currency, tax, prices_include_tax) for code, text, amount, tax in amounts)
    by_rate: dict[tuple[str, int], tuple[int, int]] = {}
    tax_names = {(t.name, t.rate_bps) for _, _, _, t in amounts}
    for line, (_, _, _, line_tax) in zip(lines, amounts, strict=True):
        key = (line_tax.name, line_tax.rate_bps)
        net_minor, tax_minor = by_rate.get(key, (0, 0))
        by_rate[key] = (net_minor + line.net.amount_minor, tax_minor + line.tax.amount_minor)
    taxes = tuple(
        TaxLine(
            name=name,
            rate_bps=rate,
            net=Money(by_rate[(name, rate)][0], currency),
            tax=Money(by_rate[(name, rate)][1], currency),
        )
        for name, rate in sorted(tax_names, key=lambda k: (-k[1], k[0]))
    )
    net = Money(sum(line.net.amount_minor for line in lines), currency)
    tax = Money(sum(line.tax.amount_minor for line in lines), currency)
    return FareBreakdown(
        currency=currency,
        lines=lines,
        taxes=taxes,
        net=net,
        tax=tax,
        total=net + tax,
        prices_include_tax=prices_include_tax,
    )


def cap_total(fare: FareBreakdown, *, limit: Money) -> tuple[FareBreakdown, bool]:
    """Bring a final fare down to `limit` (the quote's guarantee) with a discount line taxed like
    the fare's largest line. Returns the fare unchanged when it is within the limit."""
    if fare.total.amount_minor <= limit.amount_minor:
        return fare, False
    main = max(fare.lines, key=lambda line: line.net.amount_minor)
    tax = Tax(_tax_name(fare, main.tax_rate_bps), main.tax_rate_bps)
    inclusive = fare.prices_include_tax
    amounts = [
        (
            line.code,
            line.description,
            (line.gross if inclusive else line.net).amount_minor,
            Tax(_tax_name(fare, line.tax_rate_bps), line.tax_rate_bps),
        )
        for line in fare.lines
    ]
    factor = 1 + Decimal(tax.rate_bps) / 10_000
    over = fare.total.amount_minor - limit.amount_minor
    discount = -over if inclusive else -round_minor(Decimal(over) / factor)
    for _ in range(5):  # rounding can leave a minor unit over; take it off too
        capped = breakdown(
            [*amounts, ("guarantee", "Quote guarantee discount", discount, tax)],
            currency=fare.currency,
            prices_include_tax=inclusive,
        )
        excess = capped.total.amount_minor - limit.amount_minor
        if excess <= 0:
            return capped, True
        discount -= excess if inclusive else max(1, round_minor(Decimal(excess) / factor))
    return capped, True


def _tax_name(fare: FareBreakdown, rate_bps: int) -> str:
    return next((t.name for t in fare.taxes if t.rate_bps == rate_bps), "Tax")
