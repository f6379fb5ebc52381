"""The weeks before today (`seed_demo --history-days N`): each fleet's crews worked shifts, trips were delivered in
or out of their windows, some cancelled or failed, fares settled — written in bulk by `config.demo.history` (as an
import from the operator's previous system would), so the manager's overview has weeks to chart."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from apps.billing import selectors as billing_selectors
from apps.fleet import api as fleet_api
from apps.trips.models import Shift
from config.demo import history
from config.demo.plans import FleetPlan
from config.demo.seeding.context import Seeding


def past_days(seeding: Seeding, plan: FleetPlan, fleet_id: uuid.UUID, days: int, trips_per_day: int, customers) -> None:
    """`days` days before today of the fleet's crews (the drivers with a shift today, on the same vehicles)."""
    pairs = sorted({(s.driver_id, s.vehicle_id) for s in Shift.objects.filter(fleet_id=fleet_id)}, key=str)
    types = {v.id: v.type.value for v in fleet_api.vehicles_get(vehicle_ids=[v for _, v in pairs])}
    crews = [history.Crew(driver_id=d, vehicle_id=v, vehicle_type=types[v]) for d, v in pairs if v in types]
    if not crews:
        return
    fleet = fleet_api.fleet_get(fleet_id=fleet_id)
    now = timezone.now()
    tariffs = {}
    for crew in crews:
        service = "ride" if crew.vehicle_type == "car" else "delivery"
        found = billing_selectors.tariff_for(fleet_id=fleet_id, vehicle_type=crew.vehicle_type, service=service, at=now)
        if found is not None:
            tariffs[(service, crew.vehicle_type)] = found
    if not tariffs:
        return

    def address(rng):
        found = plan.city.address(rng)
        return found.line, found.lat, found.lng

    today = now.astimezone(history.zone(fleet.time_zone)).date()
    counts = history.write(
        fleet=history.FleetHistory(
            fleet_id=fleet_id,
            time_zone=fleet.time_zone,
            commission_bps=fleet.commission_bps,
            crews=crews,
            customers=[c.id for c in customers],
            address=address,
            tariffs=tariffs,
        ),
        last_day=today - dt.timedelta(days=1),
        days=days,
        trips_per_day=trips_per_day,
        rng=seeding.rng,
    )
    history.rebuild_figures([fleet_id])
    for what, n in counts.items():
        seeding.report.counts[f"history {what}"] += n
