"""A tenant worth fuzzing: fleet A (Berlin) with a manager, a dispatcher and a compliant driver on duty with a
van and a shift, a customer's quoted and booked trips (one offered to the driver, one assigned), an
invitation; fleet B beside it. Built through the services and the REST API as the product does, so every id
the fuzzer may put in a path, query or body belongs to a real row."""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict

from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet, vehicle
from apps.identity.contracts import ApiScope
from apps.identity.models import Membership, User
from apps.identity.services import api_keys
from apps.partner.models import DriverProfile, KycDocument
from apps.partner.services import duty as partner_duty
from apps.partner.tests.factories import make_compliant
from apps.trips.tests.factories import shift_under_way
from logitrack.testing.events import relay_and_deliver
from tests.support.isolation import build_two_fleets, client_for

PASSWORD = "correct horse battery staple"  # the isolation kit's
ROLES = ("fleet_manager", "dispatcher", "driver", "customer", "platform_admin")
PICKUP = {"kind": "pickup", "address": "Invalidenstraße 1, Berlin", "lat": 52.5310, "lng": 13.3847}
DROPOFF = {"kind": "dropoff", "address": "Oranienstraße 25, Berlin", "lat": 52.5016, "lng": 13.4190}


@dataclasses.dataclass
class FuzzWorld:
    users: dict[str, User]
    known: dict[str, list[str]]  # parameter name -> ids of real rows (as strings)
    api_key: str = ""  # fleet A's integration's key, with every scope


def _created(response) -> dict:
    assert response.status_code in (200, 201), f"{response.status_code}: {response.content[:500]!r}"
    return response.json()


def build() -> FuzzWorld:
    fleets = build_two_fleets()
    fleet = active_fleet(
        fleet_id=fleets.a.fleet_id,
        service_center_lat=52.52,
        service_center_lng=13.405,
        service_radius_m=25_000,
    )
    active_fleet(fleet_id=fleets.b.fleet_id, name="Bravo")
    tariff(fleet_id=fleet.id)
    van = vehicle(fleet, registration="B-FZ 1", capacity_kg=800)
    relay_and_deliver()  # driver profiles from the memberships
    driver = make_compliant(DriverProfile.objects.get(user_id=fleets.a.users["driver"].id, fleet_id=fleet.id))
    partner_duty.duty_set(driver_id=driver.id, on_duty=True)
    shift = shift_under_way(fleet_id=fleet.id, driver_id=driver.id, vehicle_id=van.id)
    relay_and_deliver()

    customer = client_for(fleets.customer)
    dispatcher = fleets.a.client("dispatcher")
    quote = _created(
        customer.post(
            "/api/v1/billing/quotes/",
            {
                "fleet_id": str(fleet.id),
                "vehicle_type": "van",
                "stops": [[PICKUP["lat"], PICKUP["lng"]], [DROPOFF["lat"], DROPOFF["lng"]]],
            },
            format="json",
        )
    )
    trips = []
    for _ in range(2):
        booked = _created(
            customer.post(
                "/api/v1/trips/trips/",
                {"fleet_id": str(fleet.id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 50},
                format="json",
            )
        )
        trips.append(booked)
    offered, assigned = trips
    offer = _created(
        dispatcher.post(f"/api/v1/trips/trips/{offered['id']}/offers/", {"shift_id": str(shift.id)}, format="json")
    )
    _created(
        dispatcher.post(
            f"/api/v1/trips/trips/{assigned['id']}/assign/",
            {"shift_id": str(shift.id)},
            format="json",
            HTTP_IF_MATCH=f'W/"{assigned["version"]}"',
        )
    )
    invitation = _created(
        fleets.a.client("fleet_manager").post(
            "/api/v1/identity/invitations/",
            {"email": f"invitee.{uuid.uuid4().hex[:6]}@example.test", "fleet_id": str(fleet.id), "role": "driver"},
            format="json",
        )
    )
    relay_and_deliver()

    users = {role: fleets.a.users[role] for role in ("fleet_manager", "dispatcher", "driver")}
    users |= {"customer": fleets.customer, "platform_admin": fleets.platform_admin}
    known: dict[str, list[str]] = defaultdict(list)
    known["fleet_id"] = [str(fleet.id)]
    known["vehicle_id"] = [str(van.id)]
    known["driver_id"] = [str(driver.id)]
    known["shift_id"] = [str(shift.id)]
    known["trip_id"] = [offered["id"], assigned["id"]]
    known["quote_id"] = [quote["id"]]
    known["offer_id"] = [offer["id"]]
    known["invitation_id"] = [invitation["id"]]
    known["token"] = [offered["tracking_url"].rstrip("/").rsplit("/", 1)[-1]]
    known["sequence"] = ["1", "2"]
    known["document_id"] = [str(d.id) for d in KycDocument.objects.filter(driver=driver)]
    known["document_id"] += [str(d.id) for d in van.documents.all()]
    known["membership_id"] = [str(m.id) for m in Membership.objects.filter(fleet_id=fleet.id)]
    known["user_id"] = [str(u.id) for u in users.values()]
    manager = fleets.a.principal("fleet_manager")
    account = api_keys.service_account_create(principal=manager, fleet_id=fleet.id, name="Fuzzing connector")
    issued = api_keys.api_key_create(
        principal=manager, service_account_id=account.id, scopes=list(ApiScope), expires_at=None
    )
    known["service_account_id"] = [str(account.id)]
    known["key_id"] = [str(issued.id)]
    return FuzzWorld(users=users, known=dict(known), api_key=issued.secret)
