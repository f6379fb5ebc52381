"""A fare from a tariff and a trip's figures, and how quotes and fare records store it."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.conf import settings

from apps.billing import pricing
from apps.billing.contracts import FareBreakdown, TripFacts
from apps.billing.models import Tariff
from logitrack.types import GeoPoint, Money, road_distance_m

# ---- (de)serialising breakdowns for storage ------------------------------------------------


def breakdown_json(b: FareBreakdown) -> dict[str, Any]:
    def money(m: Money) -> int:
        return m.amount_minor

    return {
        "currency": b.currency,
        "prices_include_tax": b.prices_include_tax,
        "lines": [
            {
                "code": x.code,
                "description": x.description,
                "net": money(x.net),
                "tax": money(x.tax),
                "gross": money(x.gross),
                "tax_rate_bps": x.tax_rate_bps,
            }
            for x in b.lines
        ],
        "taxes": [{"name": t.name, "rate_bps": t.rate_bps, "net": money(t.net), "tax": money(t.tax)} for t in b.taxes],
        "net": money(b.net),
        "tax": money(b.tax),
        "total": money(b.total),
    }


def facts_json(f: TripFacts) -> dict[str, Any]:
    return {
        "distance_m": f.distance_m,
        "duration_s": f.duration_s,
        "stops": f.stops,
        "waiting_s": f.waiting_s,
        "at": f.at.isoformat(),
        "points": [[p.lat, p.lng] for p in f.points],
    }


def fare_price(tariff: Tariff, facts: TripFacts, time_zone: str) -> FareBreakdown:
    """The tariff's price for these figures, at the local time of the fleet's time zone."""
    return pricing.price(
        tariff.pricing_components(),
        facts,
        currency=tariff.currency,
        default_tax=tariff.default_tax.as_tax(),
        prices_include_tax=tariff.prices_include_tax,
        local_time=facts.at.astimezone(zoneinfo.ZoneInfo(time_zone)),
    )


def estimate_facts(*, points: list[GeoPoint], at: dt.datetime, vehicle_type: str) -> TripFacts:
    """Plan figures when the caller has none: great-circle legs × a road-detour factor at a city speed."""
    metres = road_distance_m(points, detour=settings.ROAD_DETOUR_FACTOR)
    speed = settings.ROAD_SPEED_KMH.get(vehicle_type, settings.ROAD_SPEED_KMH["default"])
    return TripFacts(
        distance_m=round(metres),
        duration_s=round(metres / 1000 / speed * 3600),
        stops=len(points),
        at=at,
        points=tuple(points),
    )
