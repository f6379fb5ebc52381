"""The demo operator: two fleets in two cities, currencies and time zones, with their people, vehicles, papers,
tariffs, shifts, a day of trips in every state, live positions, a settled ledger and issued documents.

Everything is made through the contexts' own services and public apis, in the order the product would make it
(onboarding, memberships, KYC review, shifts, bookings, lifecycle steps), so the demo obeys every rule the product
enforces. Events are relayed in this process as it goes, so no worker is needed. Choices come from one seeded
random generator: the same `--seed` gives the same operator (names, papers, states, places, amounts).

This module is the entry point (`seed`, run by `manage.py seed_demo`); what the operator is made of is in
`config.demo.plans`, and each thing it seeds has its module in `config.demo.seeding` (people, fleets, tariffs,
vehicles, drivers, shifts, trips, money).
"""

from __future__ import annotations

from typing import TextIO

from config.demo.plans import DEFAULT_PASSWORD, FLEETS, FleetPlan, email
from config.demo.seeding import drivers as driver_seeds
from config.demo.seeding import fleets, past, people, shifts, tariffs, vehicles
from config.demo.seeding import money as money_seeds
from config.demo.seeding import trips as trip_seeds
from config.demo.seeding.context import Report, Seeding

__all__ = ["DEFAULT_PASSWORD", "Report", "email", "seed"]


def seed(
    *,
    seed: int = 1,
    drivers: int = 50,
    trips: int = 120,
    password: str = DEFAULT_PASSWORD,
    out: TextIO | None = None,
    history_days: int = 0,
) -> Report:
    """Build the demo operator: `drivers` and `trips` across both fleets (shared as the plans say); progress on
    `out` if given. A fleet an earlier run made is left as it is. `history_days`: that many days before today of
    each new fleet, written in bulk (PostgreSQL only: seeding/past.py)."""
    seeding = Seeding(seed=seed, password=password, out=out)
    plans = [(plan, max(1, round(drivers * plan.share)), max(1, round(trips * plan.share))) for plan in FLEETS]
    customers = people.customers(seeding)
    seeding.total = sum(_steps(d, t) for _, d, t in plans)
    for plan, driver_count, trip_count in plans:
        _fleet(seeding, plan, driver_count, trip_count, customers, history_days)
    return seeding.report


def _steps(drivers: int, trips: int) -> int:
    """Progress steps of one fleet: each vehicle, driver and trip, and three for its money."""
    return drivers + vehicles.vehicle_count(drivers) + trips + 3


def _fleet(seeding: Seeding, plan: FleetPlan, driver_count: int, trip_count: int, customers, history_days: int) -> None:
    manager = people.manager(seeding, plan)
    seeding.report.logins += [
        (f"{plan.name} fleet manager", manager.email),
        (f"{plan.name} dispatcher", email(plan.slug, "dispatcher")),
        (f"{plan.name} driver (01–{driver_count:02d})", email(plan.slug, "driver01")),
    ]
    existing = fleets.existing(plan, manager.id)
    if existing is not None:  # seeded before: leave it as it is
        seeding.report.fleets.append((plan.name, str(existing.id), False))
        seeding.report.tracking += [(plan.name, *link) for link in trip_seeds.tracking_links(existing.id)]
        seeding.tick(_steps(driver_count, trip_count))
        return
    fleet_id = fleets.fleet_open(plan, manager.id)
    fleets.branding(plan, fleet_id)
    seeding.report.fleets.append((plan.name, str(fleet_id), True))
    people.dispatchers(seeding, plan, fleet_id, manager.id)
    tariffs.tariffs(seeding, plan, fleet_id)
    usable = vehicles.vehicles(seeding, plan, fleet_id, driver_count)
    crews = driver_seeds.drivers(seeding, plan, fleet_id, manager.id, driver_count, usable)
    shifts.positions(seeding, plan, fleet_id, crews)
    completed = trip_seeds.trips_today(seeding, plan, fleet_id, trip_count, crews, customers)
    money_seeds.money(seeding, plan, fleet_id, manager.id, completed, customers)
    if history_days:
        past.past_days(seeding, plan, fleet_id, history_days, trip_count, customers)
    seeding.report.tracking += [(plan.name, *link) for link in trip_seeds.tracking_links(fleet_id)]
    if plan.auto_dispatch:  # switched on last, so the seeded open trips stay as they were made
        fleets.auto_dispatch_switch_on(fleet_id)
