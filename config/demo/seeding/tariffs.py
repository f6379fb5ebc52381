"""Each demo fleet's tariffs: a city delivery tariff (every component kind: base, distance, time, stops, waiting,
a night surcharge, a minimum and a cancellation fee) and a city ride tariff for cars, valid since 90 days ago."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TypedDict

from apps.billing.services import tariffs as billing_tariffs
from config.demo.plans import FleetPlan
from config.demo.seeding.context import Seeding


class _Common(TypedDict):
    """What both of a fleet's tariffs share (tariff_create's arguments of the same names)."""

    fleet_id: uuid.UUID
    currency: str
    tax_name: str
    tax_bps: int
    valid_from: dt.datetime
    final_cap_bps: int


def tariffs(seeding: Seeding, plan: FleetPlan, fleet_id: uuid.UUID) -> None:
    common: _Common = {
        "fleet_id": fleet_id,
        "currency": plan.currency,
        "tax_name": plan.vat_name,
        "tax_bps": plan.vat_bps,
        "valid_from": seeding.now - dt.timedelta(days=90),
        "final_cap_bps": 1000,
    }
    billing_tariffs.tariff_create(
        name="City delivery",
        service="delivery",
        components=[
            ("base_fare", {"amount_minor": 350}),
            ("per_km", {"amount_minor_per_km": 110}),
            ("per_minute", {"amount_minor_per_minute": 25}),
            ("per_stop", {"amount_minor_per_stop": 150, "free_stops": 2}),
            ("waiting_time", {"amount_minor_per_minute": 40, "grace_minutes": 5}),
            ("time_surcharge", {"label": "Night", "percent_bps": 2500, "starts": dt.time(22), "ends": dt.time(6)}),
            ("minimum_fare", {"amount_minor": 800}),
            ("cancellation_fee", {"amount_minor": 500, "free_minutes": 5}),
        ],
        **common,
    )
    billing_tariffs.tariff_create(
        name="City ride",
        service="ride",
        vehicle_type="car",
        components=[
            ("base_fare", {"amount_minor": 400}),
            ("per_km", {"amount_minor_per_km": 150}),
            ("per_minute", {"amount_minor_per_minute": 30}),
            ("minimum_fare", {"amount_minor": 700}),
            ("cancellation_fee", {"amount_minor": 500, "free_minutes": 3}),
        ],
        **common,
    )
