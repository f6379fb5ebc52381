"""The demo operator: two fleets in two cities, currencies and time zones, with their people, vehicles, papers,
tariffs, shifts, a day of trips in every state, live positions, a settled ledger and issued documents.

Everything is made through the contexts' own services and public apis, in the order the product would make it
(onboarding, memberships, KYC review, shifts, bookings, lifecycle steps), so the demo obeys every rule the product
enforces. Events are relayed in this process as it goes, so no worker is needed. Choices come from one seeded
random generator: the same `--seed` gives the same operator (names, papers, states, places, amounts).
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import functools
import io
import itertools
import random
import struct
import uuid
import zlib
from collections.abc import Callable
from decimal import Decimal
from typing import TextIO

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from pypdf import PdfWriter

from apps.billing import invoicing
from apps.billing import selectors as billing_selectors
from apps.billing import services as billing
from apps.billing.models import TopUp
from apps.dispatch import services as dispatch
from apps.dispatch.contracts import Ping
from apps.fleet import services as fleet
from apps.fleet.contracts import VehicleDocumentKind, VehicleStatus, VehicleType
from apps.fleet.models import Fleet
from apps.identity import services as identity
from apps.identity.contracts import FleetRole
from apps.partner import api as partner_api
from apps.partner import services as partner
from apps.partner.contracts import KycDocumentType
from apps.trips.contracts import StopKind, TripStatus
from apps.trips.services import assignment as trips_assignment
from apps.trips.services import booking as trips_booking
from apps.trips.services import lifecycle as trips_lifecycle
from apps.trips.services import shifts as trips_shifts
from apps.trips.services import stops as trips_stops
from config.demo.cities import BERLIN, LONDON, Address, City, along
from logitrack.csvimport import progress
from logitrack.outbox.relay import relay_pending
from logitrack.outbox.sinks import InlineSink
from logitrack.types import GeoPoint, Money

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


@functools.cache
def scan_pdf() -> bytes:
    """A real one-page PDF (uploads are parsed: a scan must be a readable document)."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def signature_png() -> bytes:
    """A small but real PNG (a scribble line), as a driver app's signature pad sends."""
    width, height = 64, 16
    rows = b"".join(
        b"\x00" + bytes(0 if abs(y - 8 - (x % 8 - 4)) < 2 else 255 for x in range(width)) for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def email(slug: str, who: str) -> str:
    return f"{who}@{slug}.{DOMAIN}"


@dataclasses.dataclass
class Report:
    fleets: list[tuple[str, str, bool]] = dataclasses.field(default_factory=list)  # (name, fleet id, created)
    logins: list[tuple[str, str]] = dataclasses.field(default_factory=list)  # (who, email)
    counts: collections.Counter = dataclasses.field(default_factory=collections.Counter)


@dataclasses.dataclass
class Crew:
    user_id: uuid.UUID
    driver_id: uuid.UUID
    vehicle_type: VehicleType
    shift_id: uuid.UUID
    position: tuple[float, float]
    busy: bool = False


def relay() -> int:
    """Deliver everything published so far to its subscribers here (several rounds: handlers publish too)."""
    total = 0
    while (moved := relay_pending(sinks=[InlineSink()])) > 0:
        total += moved
    return total


class Builder:
    def __init__(self, *, seed: int, drivers: int, trips: int, password: str, out: TextIO | None) -> None:
        self.rng = random.Random(seed)
        self.drivers, self.trips, self.password, self.out = drivers, trips, password, out
        self.report = Report()
        self.now = timezone.now()
        self._done, self._total = 0, 0
        self._people: list[str] = []
        self._round = 0

    # ---- helpers -------------------------------------------------------------------------------------------

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"

    def _person(self) -> str:
        """A name no other demo user has (screens and lists tell people apart by name)."""
        if not self._people:
            self._people = [f"{first} {last}" for first in FIRST for last in LAST]
            self.rng.shuffle(self._people)
            self._round += 1
        name = self._people.pop()
        return name if self._round == 1 else f"{name} {self._round}"

    def _tick(self, n: int = 1) -> None:
        self._done += n
        if self.out is not None:
            progress(min(self._done, self._total), self._total, self.out)

    def _pick(self, mix):
        return self.rng.choices([k for k, _ in mix], weights=[w for _, w in mix])[0]

    def _user(self, address: str, name: str, *, is_customer: bool = False):
        user, _ = identity.user_ensure(
            email=address, password=self.password, display_name=name, is_customer=is_customer
        )
        return user

    # ---- the operator --------------------------------------------------------------------------------------

    def build(self) -> Report:
        plans = [
            (plan, max(1, round(self.drivers * plan.share)), max(1, round(self.trips * plan.share))) for plan in FLEETS
        ]
        customers = [self._user(f"customer{n:02d}@{DOMAIN}", self._person(), is_customer=True) for n in range(1, 13)]
        self.report.logins.append(("customer (01–12)", f"customer01@{DOMAIN}"))
        # drivers, vehicles, trips, one step each for people and money
        self._total = sum(d + round(d * 0.8) + 4 + t + 3 for _, d, t in plans)
        for plan, drivers, trip_count in plans:
            self._fleet(plan, drivers, trip_count, customers)
        return self.report

    def _fleet(self, plan: FleetPlan, drivers: int, trip_count: int, customers) -> None:
        manager = self._user(email(plan.slug, "manager"), self._person())
        self.report.logins += [
            (f"{plan.name} fleet manager", manager.email),
            (f"{plan.name} dispatcher", email(plan.slug, "dispatcher")),
            (f"{plan.name} driver (01–{drivers:02d})", email(plan.slug, "driver01")),
        ]
        existing = Fleet.objects.filter(applicant_id=manager.id, name=plan.name).first()
        if existing is not None:  # seeded before: leave it as it is
            self.report.fleets.append((plan.name, str(existing.id), False))
            self._tick(drivers + round(drivers * 0.8) + 4 + trip_count + 3)
            return
        city = plan.city
        fleet_row = fleet.fleet_apply(
            applicant_id=manager.id,
            data={
                "name": plan.name,
                "legal_name": plan.legal_name,
                "address_line1": plan.address_line1,
                "postal_code": plan.postal_code,
                "city": city.name,
                "country": plan.country,
                "currency": plan.currency,
                "time_zone": plan.time_zone,
                "tax_id": plan.tax_id,
                "service_center_lat": city.center[0],
                "service_center_lng": city.center[1],
                "service_radius_m": city.radius_m,
                "proof_of_delivery": list(plan.proof_of_delivery),
                "commission_bps": 1500,
                "default_service_minutes": 4,
            },
        )
        for action in ("start_review", "activate"):
            fleet.fleet_transition(fleet_id=fleet_row.id, action=action, actor_id=None, reason="demo operator")
        fleet_id = fleet_row.id
        self.report.fleets.append((plan.name, str(fleet_id), True))
        for who in ("dispatcher", "dispatcher2"):
            user = self._user(email(plan.slug, who), self._person())
            identity.membership_grant(
                user_id=user.id, fleet_id=fleet_id, role=FleetRole.DISPATCHER, granted_by_id=manager.id
            )
        self._tariffs(plan, fleet_id)
        vehicles = self._vehicles(plan, fleet_id, drivers)
        crews = self._drivers(plan, fleet_id, manager.id, drivers, vehicles)
        self._positions(plan, fleet_id, crews)
        done = self._trips(plan, fleet_id, trip_count, crews, customers)
        self._money(plan, fleet_id, manager.id, done, customers)
        if plan.auto_dispatch:  # switched on last, so the seeded open trips stay as they were made
            fleet.fleet_settings_update(fleet_id=fleet_id, data={"auto_dispatch": True})

    def _tariffs(self, plan: FleetPlan, fleet_id: uuid.UUID) -> None:
        common = {
            "fleet_id": fleet_id,
            "currency": plan.currency,
            "tax_name": plan.vat_name,
            "tax_bps": plan.vat_bps,
            "valid_from": self.now - dt.timedelta(days=90),
            "final_cap_bps": 1000,
        }
        billing.tariff_create(
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
        billing.tariff_create(
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

    def _vehicles(self, plan: FleetPlan, fleet_id: uuid.UUID, drivers: int) -> dict[VehicleType, list[uuid.UUID]]:
        count = round(drivers * 0.8) + 4
        kinds = [t for t, _ in VEHICLE_MIX] + [self._pick(VEHICLE_MIX) for _ in range(count - len(VEHICLE_MIX))]
        usable: dict[VehicleType, list[uuid.UUID]] = collections.defaultdict(list)
        today = timezone.localdate()
        for n, kind in enumerate(kinds):
            data = {**VEHICLE_DATA[kind], "registration": plan.plate(self.rng, n), "year": self.rng.randint(2018, 2025)}
            if kind == VehicleType.TRUCK:
                data["licence_class"] = "C"
            vehicle = fleet.vehicle_add(fleet_id=fleet_id, vehicle_type=kind, data=data)
            insurance_days = 20 if n % 9 == 4 else self.rng.randint(120, 360)  # a few papers to renew soon
            fleet.vehicle_document_add(
                vehicle_id=vehicle.id,
                kind=VehicleDocumentKind.REGISTRATION,
                expires_on=today + dt.timedelta(days=self.rng.randint(200, 700)),
                number=f"ZB1-{self.rng.randint(100000, 999999)}",
            )
            fleet.vehicle_document_add(
                vehicle_id=vehicle.id,
                kind=VehicleDocumentKind.INSURANCE,
                expires_on=today + dt.timedelta(days=insurance_days),
                number=f"POL-{self.rng.randint(1000000, 9999999)}",
            )
            if n == len(kinds) - 1:
                fleet.vehicle_status_change(vehicle_id=vehicle.id, status=VehicleStatus.RETIRED)
            elif n == len(kinds) - 2:
                fleet.vehicle_status_change(vehicle_id=vehicle.id, status=VehicleStatus.IN_MAINTENANCE)
            else:
                usable[kind].append(vehicle.id)
            self.report.counts["vehicles"] += 1
            self._tick()
        return usable

    def _drivers(self, plan, fleet_id, manager_id, count, vehicles) -> list[Crew]:
        users = []
        for n in range(1, count + 1):
            user = self._user(email(plan.slug, f"driver{n:02d}"), self._person())
            identity.membership_grant(
                user_id=user.id, fleet_id=fleet_id, role=FleetRole.DRIVER, granted_by_id=manager_id
            )
            users.append(user)
        relay()  # partner makes the driver profiles from the memberships
        crews: list[Crew] = []
        free = {kind: list(ids) for kind, ids in vehicles.items()}
        for n, user in enumerate(users):
            kind = DRIVER_KINDS[n % len(DRIVER_KINDS)]
            driver_id = partner_api.driver_for_user(user_id=user.id, fleet_id=fleet_id).id
            heavy = n % 6 == 3  # some hold a lorry licence
            self._papers(driver_id, kind, manager_id, heavy=heavy)
            self.report.counts[f"drivers {kind}"] += 1
            if kind in ("compliant", "expiring"):
                crew = self._shift(plan, fleet_id, user.id, driver_id, free, heavy=heavy, manager_id=manager_id)
                if crew is not None:
                    crews.append(crew)
            self._tick()
        return crews

    def _papers(self, driver_id: uuid.UUID, kind: str, reviewer_id: uuid.UUID, *, heavy: bool) -> None:
        today = timezone.localdate()
        licence_days = self.rng.randint(10, 25) if kind == "expiring" else self.rng.randint(400, 2500)
        documents = {
            KycDocumentType.DRIVING_LICENCE: {
                "number": f"B{self.rng.randint(10**9, 10**10 - 1)}",
                "classes": "B,C1,C,CE" if heavy else "B,C1",
                "issued_on": today - dt.timedelta(days=self.rng.randint(800, 6000)),
                "expires_on": today + dt.timedelta(days=licence_days),
            },
            KycDocumentType.IDENTITY_DOCUMENT: {
                "document_type": self.rng.choice(["passport", "id_card", "residence_permit"]),
                "number": f"L{self.rng.randint(10**7, 10**8 - 1)}",
                "expires_on": today + dt.timedelta(days=self.rng.randint(300, 3000)),
            },
            KycDocumentType.BACKGROUND_CHECK: {
                "provider": "Bundesamt für Justiz",
                "reference": f"FZ-{self.rng.randint(10000, 99999)}",
                "checked_on": today - dt.timedelta(days=self.rng.randint(10, 200)),
                "expires_on": today + dt.timedelta(days=self.rng.randint(200, 700)),
            },
        }
        for doc_type, data in documents.items():
            if kind == "pending_missing" and doc_type is KycDocumentType.BACKGROUND_CHECK:
                continue
            upload = SimpleUploadedFile(f"{doc_type}.pdf", scan_pdf(), content_type="application/pdf")
            document = partner.kyc_document_submit(driver_id=driver_id, doc_type=doc_type, data=data, upload=upload)
            if kind == "pending_review" and doc_type is KycDocumentType.IDENTITY_DOCUMENT:
                continue
            rejected = kind == "non_compliant" and doc_type is KycDocumentType.BACKGROUND_CHECK
            partner.kyc_document_review(
                document_id=document.id,
                approve=not rejected,
                reviewer_id=reviewer_id,
                reason="the certificate is older than the fleet accepts" if rejected else "",
            )
        if kind == "suspended":
            partner.driver_suspend(driver_id=driver_id, reason="three complaints about parcels left outside")

    def _shift(self, plan, fleet_id, user_id, driver_id, free, *, heavy: bool, manager_id) -> Crew | None:
        kinds = [k for k in (VehicleType.TRUCK,) if heavy and free.get(k)] or [
            k for k in (VehicleType.VAN, VehicleType.CAR, VehicleType.BIKE) if free.get(k)
        ]
        if not kinds:
            return None  # more drivers than vehicles: this one has the day off
        kind = self.rng.choice(kinds)
        vehicle_id = free[kind].pop()
        later = self.rng.random() < 0.15  # a late shift, planned but not started yet
        starts = (
            self.now + dt.timedelta(hours=self.rng.uniform(2, 4))
            if later
            else self.now - dt.timedelta(hours=self.rng.uniform(1, 4))
        )
        shift = trips_shifts.shift_plan(
            fleet_id=fleet_id,
            driver_id=driver_id,
            vehicle_id=vehicle_id,
            starts_at=starts,
            ends_at=starts + dt.timedelta(hours=8),
            planned_by_id=manager_id,
        )
        self.report.counts["shifts"] += 1
        if later:
            return None
        trips_shifts.shift_start(shift_id=shift.id, odometer_km=Decimal(self.rng.randint(12_000, 140_000)))
        partner.duty_set(driver_id=driver_id, on_duty=True)
        return Crew(user_id, driver_id, kind, shift.id, plan.city.address(self.rng).point)

    def _positions(self, plan: FleetPlan, fleet_id: uuid.UUID, crews: list[Crew]) -> None:
        """The last ten minutes of every driver on duty: a fix every 20 s along the streets to where they are."""
        fixes = []
        for crew in crews:
            path = plan.city.route(plan.city.address(self.rng).point, crew.position)
            for k in range(30):
                at = self.now - dt.timedelta(seconds=20 * (30 - k))
                (lat, lng), heading, _ = along(path, k * 20 * 8.0)  # about 30 km/h
                ping = Ping(
                    ping_id=self._uuid(),
                    lat=lat,
                    lng=lng,
                    recorded_at=at,
                    accuracy_m=8.0,
                    heading=round(heading),
                    speed_mps=8.0,
                )
                fixes.append((crew.driver_id, fleet_id, ping))
            crew.position = (lat, lng)
        if fixes:
            dispatch.positions_record(fixes=fixes)
        self.report.counts["position pings"] += len(fixes)

    # ---- trips ---------------------------------------------------------------------------------------------

    def _stops(self, city: City) -> list[trips_booking.StopInput]:
        pickup = city.address(self.rng)
        drops = [city.address(self.rng) for _ in range(1 if self.rng.random() < 0.8 else 2)]
        return [self._stop(StopKind.PICKUP, pickup)] + [self._stop(StopKind.DROPOFF, d) for d in drops]

    def _stop(self, kind: StopKind, address: Address) -> trips_booking.StopInput:
        return trips_booking.StopInput(
            kind=kind,
            address=address.line,
            lat=address.lat,
            lng=address.lng,
            contact_name=self._name(),
            contact_phone=f"+49 30 {self.rng.randint(1000000, 9999999)}",
        )

    def _load(self, kind: VehicleType) -> trips_booking.Load:
        if kind == VehicleType.CAR:
            return trips_booking.Load(seats=self.rng.randint(1, 3))
        if kind == VehicleType.BIKE:
            return trips_booking.Load(weight_kg=self.rng.randint(2, 25), parcels=self.rng.randint(1, 4))
        if kind == VehicleType.TRUCK:
            return trips_booking.Load(weight_kg=self.rng.randint(400, 2500), parcels=self.rng.randint(10, 80))
        return trips_booking.Load(weight_kg=self.rng.randint(10, 400), parcels=self.rng.randint(1, 15))

    def _trips(self, plan, fleet_id, count, crews: list[Crew], customers) -> list[uuid.UUID]:
        completed: list[uuid.UUID] = []
        first = [TripStatus.COMPLETED] + [state for state, _ in TRIP_MIX]  # every state (two paid), then the mix
        for n in range(count):
            status = first[n] if n < len(first) else self._pick(TRIP_MIX)
            idle = [c for c in crews if not c.busy]
            crew = self.rng.choice(idle) if idle else None
            if crew is None and status not in (TripStatus.REQUESTED, TripStatus.CANCELLED):
                status = TripStatus.REQUESTED  # everyone is busy: the trip waits
            kind = (
                crew.vehicle_type if crew is not None else self.rng.choice([c.vehicle_type for c in crews] or ["van"])
            )
            customer = self.rng.choice(customers)
            trip_id = self._trip(plan, fleet_id, status, crew, VehicleType(kind), customer)
            if status == TripStatus.COMPLETED:
                completed.append(trip_id)
            self.report.counts[f"trips {status}"] += 1
            self._tick()
        relay()  # billing settles the completed trips, dispatch shows the rest
        return completed

    def _trip(self, plan, fleet_id, status, crew: Crew | None, kind: VehicleType, customer) -> uuid.UUID:
        stops = self._stops(plan.city)
        service = "ride" if kind == VehicleType.CAR else "delivery"
        points = [GeoPoint(s.lat, s.lng) for s in stops]
        later = status == TripStatus.REQUESTED and self.rng.random() < 0.5
        wanted = self.now + dt.timedelta(minutes=self.rng.randint(30, 240)) if later else None
        facts = billing.estimate_facts(points=points, at=wanted or self.now, vehicle_type=kind)
        quote = billing.quote_create(
            fleet_id=fleet_id, vehicle_type=kind, service=service, facts=facts, customer_id=customer.id
        )
        booking = trips_booking.trip_book(
            fleet_id=fleet_id,
            booked_by_id=customer.id,
            customer_id=customer.id,
            vehicle_type=kind,
            service=service,
            stops=stops,
            load=self._load(kind),
            quote_id=quote.id,
            requested_for=wanted,
            role="customer",
        )
        trip_id = booking.trip.id
        if status == TripStatus.REQUESTED:
            return trip_id
        if status == TripStatus.CANCELLED:
            trips_lifecycle.trip_transition(
                trip_id=trip_id, action="cancel", actor_id=customer.id, role="customer", reason="plans changed"
            )
            return trip_id
        trips_assignment.trip_assign(trip_id=trip_id, shift_id=crew.shift_id, actor_id=None)
        steps = {
            TripStatus.ASSIGNED: (),
            TripStatus.EN_ROUTE: ("start",),
            TripStatus.AT_PICKUP: ("start", "arrive_pickup"),
            TripStatus.IN_PROGRESS: ("start", "arrive_pickup", "pick_up"),
            TripStatus.COMPLETED: ("start", "arrive_pickup", "pick_up"),
            TripStatus.FAILED: ("start",),
        }[status]
        for action in steps:
            at = stops[0] if action != "start" else None
            trips_lifecycle.trip_transition(
                trip_id=trip_id,
                action=action,
                actor_id=crew.user_id,
                role="driver",
                location=GeoPoint(at.lat, at.lng) if at else None,
            )
        if status == TripStatus.FAILED:
            trips_lifecycle.trip_transition(
                trip_id=trip_id, action="fail", actor_id=crew.user_id, role="driver", reason="flat tyre on the way"
            )
        elif status == TripStatus.COMPLETED:
            self._deliver(plan, trip_id, stops, crew)
        else:
            crew.busy = True  # one trip under way per driver (shifts do not pool)
        return trip_id

    def _deliver(self, plan: FleetPlan, trip_id: uuid.UUID, stops, crew: Crew) -> None:
        for sequence, stop in enumerate(stops[1:], start=2):
            signature = None
            if "signature" in plan.proof_of_delivery:
                signature = SimpleUploadedFile("signature.png", signature_png(), content_type="image/png")
            trips_stops.stop_done(
                trip_id=trip_id,
                sequence=sequence,
                actor_id=crew.user_id,
                expected_version=None,
                recipient_name=stop.contact_name,
                signature=signature,
            )
        last = stops[-1]
        trips_lifecycle.trip_transition(
            trip_id=trip_id,
            action="complete",
            actor_id=crew.user_id,
            role="driver",
            location=GeoPoint(last.lat, last.lng),
            waiting_s=self.rng.choice([0, 0, 120, 420]),
        )

    # ---- money ---------------------------------------------------------------------------------------------

    def _money(self, plan, fleet_id, manager_id, completed: list[uuid.UUID], customers) -> None:
        """Receipts for the settled trips, one refund with its credit note, top-ups, and payouts in each state."""
        for trip_id in completed:
            invoicing.receipt_issue(trip_id=trip_id)
        self.report.counts["receipts"] += len(completed)
        if len(completed) >= 2:  # refund one, and keep an earning in some wallet for the payouts
            refunded = completed[0]
            billing.trip_refund(trip_id=refunded, reason="parcel arrived damaged")
            invoicing.credit_note_issue(trip_id=refunded)
            self.report.counts["credit notes"] += 1
        self._tick()
        for customer in customers[:4]:  # asked for in the app, then the bank transfer recorded by the platform
            amount = Money(self.rng.choice([2000, 5000, 10000]), plan.currency)
            topup = billing.topup_request(
                customer_id=customer.id, amount=amount, idempotency_key=f"demo-topup-{plan.slug}-{customer.id}"
            )
            billing.topup_confirm(
                topup_id=topup.id, amount=amount, via=TopUp.STAFF, reference=f"DEMO-{plan.slug.upper()}-{topup.id}"
            )
        # and one still waiting for its payment
        billing.topup_request(
            customer_id=customers[-1].id,
            amount=Money(2500, plan.currency),
            idempotency_key=f"demo-topup-pending-{plan.slug}",
        )
        self._tick()
        earners = billing_selectors.wallets_with_balance(fleet_id=fleet_id)
        # one payout in each state, from the best-earning wallets (a quarter of a wallet each)
        for n, (driver_id, balance) in zip(range(3), itertools.cycle(earners[:3])):
            if balance < 4:
                break
            payout = billing.payout_request(
                driver_id=driver_id,
                fleet_id=fleet_id,
                amount=Money(balance // 4, plan.currency),
                idempotency_key=f"demo-payout-{driver_id}-{n}",
            )
            if n >= 1:
                billing.payout_decide(payout_id=payout.id, approve=True, actor_id=manager_id)
            if n >= 2:
                billing.payout_mark_paid(payout_id=payout.id, bank_reference=f"SEPA-{self.rng.randint(10**6, 10**7)}")
            self.report.counts["payouts"] += 1
        relay()
        self._tick()


def seed(*, seed: int = 1, drivers: int = 50, trips: int = 120, password: str = DEFAULT_PASSWORD, out=None) -> Report:
    return Builder(seed=seed, drivers=drivers, trips=trips, password=password, out=out).build()
