"""What the demo operator is made of: its two fleets (company, city, currency, time zone, tax, plates, proof of
delivery), the mixes of driver compliance states, trip states and vehicle types, the people's names, and the demo
logins (every demo user's email and password). Seeding and the simulator both read it."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

from apps.fleet.contracts import VehicleType
from apps.trips.contracts import TripStatus
from config.demo.cities import BERLIN, LONDON, City

DEFAULT_PASSWORD = "copper-kettle-57"  # one for every demo user; not similar to their emails
DOMAIN = "demo.logitrack.test"


@dataclasses.dataclass(frozen=True)
class FleetPlan:
    slug: str
    name: str
    legal_name: str
    address_line1: str
    postal_code: str
    country: str
    currency: str
    time_zone: str
    tax_id: str
    vat_name: str
    vat_bps: int
    city: City
    plate: Callable[[random.Random, int], str]
    proof_of_delivery: tuple[str, ...]
    auto_dispatch: bool
    share: float  # of the drivers and trips asked for
    brand_colour: str = "#0b7a75"  # the accent of its tracking page and messages (with a logo drawn from it)


def _berlin_plate(rng: random.Random, n: int) -> str:
    return f"B-SK {100 + n}"


def _london_plate(rng: random.Random, n: int) -> str:
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return f"LT{24 + n % 2} {letters}"


FLEETS = (
    FleetPlan(
        slug="berlin",
        name="Spree Kurier",
        legal_name="Spree Kurier GmbH",
        address_line1="Invalidenstraße 117",
        postal_code="10115",
        country="DE",
        currency="EUR",
        time_zone="Europe/Berlin",
        tax_id="DE281734590",
        vat_name="USt 19%",
        vat_bps=1900,
        city=BERLIN,
        plate=_berlin_plate,
        proof_of_delivery=("recipient",),
        auto_dispatch=True,
        share=0.6,
        brand_colour="#d9480f",
    ),
    FleetPlan(
        slug="london",
        name="Thames Couriers",
        legal_name="Thames Couriers Ltd",
        address_line1="12 Southwark Street",
        postal_code="SE1 1RQ",
        country="GB",
        currency="GBP",
        time_zone="Europe/London",
        tax_id="GB302118844",
        vat_name="VAT 20%",
        vat_bps=2000,
        city=LONDON,
        plate=_london_plate,
        proof_of_delivery=("recipient", "signature"),
        auto_dispatch=False,
        share=0.4,
        brand_colour="#1d3f8f",
    ),
)

# One driver in ten of each kind, so every compliance state shows up in a fleet of ten or more.
DRIVER_KINDS = (
    "compliant",
    "compliant",
    "compliant",
    "compliant",
    "expiring",  # compliant, with a driving licence that runs out within weeks
    "pending_review",  # every document in, one still waiting for review
    "compliant",
    "pending_missing",  # the background check not handed in yet
    "non_compliant",  # the background check was rejected
    "suspended",
)
# The share of a day's trips in each state: most done, some under way, a few that went wrong.
TRIP_MIX = (
    (TripStatus.COMPLETED, 0.42),
    (TripStatus.REQUESTED, 0.16),
    (TripStatus.ASSIGNED, 0.1),
    (TripStatus.EN_ROUTE, 0.07),
    (TripStatus.AT_PICKUP, 0.05),
    (TripStatus.IN_PROGRESS, 0.08),
    (TripStatus.CANCELLED, 0.08),
    (TripStatus.FAILED, 0.04),
)
VEHICLE_MIX = ((VehicleType.VAN, 0.55), (VehicleType.CAR, 0.2), (VehicleType.BIKE, 0.15), (VehicleType.TRUCK, 0.1))
VEHICLE_DATA = {
    VehicleType.VAN: {"make": "Mercedes-Benz", "model": "Sprinter", "capacity_kg": 1200, "seats": 2, "parcels": 120},
    VehicleType.CAR: {"make": "Toyota", "model": "Prius+", "capacity_kg": 350, "seats": 4, "parcels": 10},
    VehicleType.BIKE: {"make": "Urban Arrow", "model": "Cargo XL", "capacity_kg": 80, "seats": 0, "parcels": 12},
    VehicleType.TRUCK: {
        "make": "MAN",
        "model": "TGL 7.5",
        "capacity_kg": 3000,
        "seats": 2,
        "parcels": 400,
        "gross_weight_kg": 7490,
    },
}
FIRST = ("Lena", "Jonas", "Amira", "Mehmet", "Sofia", "Lukas", "Chloe", "Oliver", "Priya", "Tomasz", "Aisha", "Noah")
LAST = ("Schmidt", "Yilmaz", "Nowak", "Okafor", "Rossi", "Fischer", "Patel", "Evans", "Kowalski", "Haddad", "Brown")


def email(slug: str, who: str) -> str:
    return f"{who}@{slug}.{DOMAIN}"
