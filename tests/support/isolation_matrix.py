"""Machinery of the tenant-isolation matrix (tests/integration/test_tenant_isolation_matrix.py): the route
walker, a two-fleet world with a row of every kind on each side, and the probes a route's case is made of.

Every probe runs as each *actor* of fleet A — its fleet manager, dispatcher and driver — and as a customer who
booked nothing: fleet B's rows must look absent (404 problem+json, never 403 or 200) and stay unchanged, lists
never show them (also when filtered by fleet B's id). An actor whose role may not use the route at all gets the
403 it gets for any id (the probe names those roles in `deny`), which says nothing about B's rows.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import QuerySet
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import timezone
from rest_framework.test import APIClient

from apps.billing.models import Invoice, Payout, Quote, TopUp
from apps.billing.services import fares, invoices, payouts, quotes, topups
from apps.billing.tests.factories import prepaid_topup, tariff
from apps.dispatch.models import RoutePlan, RoutingJob
from apps.dispatch.services import positions, routing_jobs
from apps.fleet.contracts import VehicleDocumentKind, VehicleStatus
from apps.fleet.events import VehicleStatusChangedV1
from apps.fleet.models import Fleet, MaintenanceWindow, Vehicle, VehicleDocument
from apps.fleet.services import maintenance as fleet_maintenance
from apps.fleet.services import vehicle_documents as fleet_vehicle_documents
from apps.fleet.tests.factories import active_fleet, vehicle
from apps.identity.contracts import ApiScope, FleetRole
from apps.identity.models import ApiKey, Invitation, Membership, ServiceAccount, User
from apps.identity.services import api_keys as identity_api_keys
from apps.identity.services import invitations as identity_invitations
from apps.notifications.contracts import DeliveryStatus
from apps.notifications.models import WebhookDelivery, WebhookEndpoint
from apps.notifications.webhooks import services as webhook_services
from apps.partner.models import AvailabilityException, DriverProfile, KycDocument
from apps.partner.services import availability as partner_availability
from apps.partner.services import drivers as partner_drivers
from apps.partner.services import duty as partner_duty
from apps.partner.tests.factories import JPEG, make_compliant, pdf
from apps.trips.contracts import StopKind
from apps.trips.models import Offer, Shift, Trip
from apps.trips.services import assignment as trips_assignment
from apps.trips.services import booking as trips_booking
from apps.trips.services import lifecycle as trips_lifecycle
from apps.trips.services import offers as trips_offers
from apps.trips.services import stops as trips_stops
from apps.trips.tests.factories import shift_under_way
from logitrack.events import to_envelope
from logitrack.testing import images as testing_images
from logitrack.testing.events import relay_and_deliver
from logitrack.types import GeoPoint, Money
from tests.support.isolation import FLEET_ROLES, Tenant, TwoFleets, build_two_fleets, client_for

BERLIN = (52.52, 13.405)
PICKUP = (52.5310, 13.3847)
DROPOFF = (52.5016, 13.4190)
PNG = testing_images.png()
ACTORS = (
    "fleet_manager",
    "dispatcher",
    "driver",
    "customer",
)  # the first three: fleet A's; the customer booked nothing
KEY = "api_key"  # fleet A's integration, holding a key with every scope (probed on its own: see key_probe)
HTTP_METHODS = ("get", "post", "put", "patch", "delete")


# ---- the routes -------------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Route:
    key: str  # "namespace:name" of a REST route, the route string of a websocket one
    pattern: str
    methods: tuple[str, ...]  # what its view answers; empty when the view does not say (plain functions)


def _methods(callback) -> tuple[str, ...]:
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        return ()
    return tuple(m for m in HTTP_METHODS if hasattr(view_class, m))


def _walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[Route]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            inner = ":".join(n for n in (namespace, entry.namespace) if n)
            yield from _walk(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            pattern = prefix + str(entry.pattern)
            name = ":".join(n for n in (namespace, entry.name or pattern) if n)
            yield Route(key=name, pattern=pattern, methods=_methods(entry.callback))


def rest_routes() -> list[Route]:
    """Every route of the URL conf, through every include (the admin's too)."""
    return list(_walk(get_resolver(), "", ""))


def websocket_routes() -> list[Route]:
    from config.routing import websocket_urlpatterns

    def walk(patterns, prefix: str) -> Iterator[Route]:
        for entry in patterns:
            inner = getattr(entry, "url_patterns", None)  # a nested URLRouter
            if isinstance(entry, URLResolver) or inner is not None:
                yield from walk(inner, prefix + str(entry.pattern))
            else:
                yield Route(key=prefix + str(entry.pattern), pattern=prefix + str(entry.pattern), methods=())

    return list(walk(websocket_urlpatterns, ""))


def route_name(path: str) -> str:
    """The route a request path resolves to (so a probe cannot test a mistyped URL that 404s anyway)."""
    match = resolve(path.split("?", 1)[0])
    return match.view_name


# ---- the world --------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Side:
    """One fleet's rows of every kind the API serves."""

    tenant: Tenant
    fleet: Fleet
    customer: User  # books this fleet's trips
    van: Vehicle
    vehicle_document: VehicleDocument  # with a stored file
    maintenance: MaintenanceWindow
    driver: DriverProfile
    kyc_document: KycDocument
    availability_exception: AvailabilityException
    shift: Shift
    job: RoutingJob
    plan: RoutePlan
    trip_open: Trip  # requested
    trip_offered: Trip  # requested, with a pending offer
    offer: Offer
    trip_done: Trip  # completed with proof (signature and photo) at stop 2, settled
    tracking_token: str
    quote: Quote
    payout: Payout
    invoice: Invoice
    topup: TopUp  # the customer's, confirmed
    pending_topup: TopUp  # the customer's, awaiting payment
    invitation: Invitation
    service_account: ServiceAccount  # an integration of the fleet, with one key
    api_key: ApiKey
    memberships: list[Membership]
    bike: Vehicle  # one vehicle of every other type, for the admin's page of each type
    car: Vehicle
    truck: Vehicle
    webhook_endpoint: WebhookEndpoint | None = None  # on a closed local port: a ping fails at once
    webhook_delivery: WebhookDelivery | None = None  # dead, with its endpoint

    @property
    def fleet_id(self) -> uuid.UUID:
        return self.fleet.id

    @property
    def trip_ids(self) -> list[uuid.UUID]:
        return [self.trip_open.id, self.trip_offered.id, self.trip_done.id]

    def user(self, role: str) -> User:
        return self.tenant.users[role]

    def ids(self) -> set[str]:
        """Every id of this side's rows (and its users) that a request could name."""
        rows = [getattr(self, f.name) for f in dataclasses.fields(self) if f.name not in ("tenant", "tracking_token")]
        found = {str(r.id) for r in rows if hasattr(r, "id")}
        found |= {str(m.id) for m in self.memberships} | {str(u.id) for u in self.tenant.users.values()}
        return found | {str(self.fleet_id)}


@dataclasses.dataclass
class World:
    fleets: TwoFleets
    a: Side
    b: Side
    clients: dict[str, APIClient]
    # fleet A's API keys lacking exactly one scope each, by that scope (the 403 `auth.scope_missing` probes)
    keys_without: dict[str, APIClient] = dataclasses.field(default_factory=dict)
    _ghosts: dict[str, str] = dataclasses.field(default_factory=dict)

    def ghost(self, value: Any) -> Any:
        """`value` (a path, or a request body) with each of fleet B's ids swapped for one that exists nowhere."""
        if isinstance(value, str):
            for known in self.b.ids():
                value = value.replace(known, self._ghosts.setdefault(known, str(uuid.uuid4())))
            return value
        if isinstance(value, dict):
            return {k: self.ghost(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.ghost(v) for v in value]
        return value

    @property
    def stranger(self) -> User:
        """A customer with no trips, quotes or invoices anywhere."""
        return self.fleets.customer


def _stop(kind: StopKind, at: tuple[float, float]) -> trips_booking.StopInput:
    return trips_booking.StopInput(kind=kind, address=f"{kind} point", lat=at[0], lng=at[1], service_minutes=2)


def _book(tenant_fleet: Fleet, customer: User) -> trips_booking.Booking:
    return trips_booking.trip_book(
        fleet_id=tenant_fleet.id,
        booked_by_id=customer.id,
        customer_id=customer.id,
        vehicle_type="van",
        service="delivery",
        stops=[_stop(StopKind.PICKUP, PICKUP), _stop(StopKind.DROPOFF, DROPOFF)],
        load=trips_booking.Load(weight_kg=50),
        quote_id=None,
        requested_for=None,
        role="customer",
    )


def _side(tenant: Tenant, *, name: str) -> Side:
    """Everything through the services the apps' own tests use; the driver's profile exists already."""
    fleet = active_fleet(
        fleet_id=tenant.fleet_id,
        name=name,
        service_center_lat=BERLIN[0],
        service_center_lng=BERLIN[1],
        service_radius_m=25_000,
    )
    tariff(fleet_id=fleet.id)
    customer = User.objects.create_user(
        email=f"customer.{name.lower()}.{uuid.uuid4().hex[:6]}@example.test",
        password="correct horse battery staple",
        display_name=f"Customer of {name}",
        is_customer=True,
    )
    now = timezone.now()
    van = vehicle(fleet, registration=f"{name[:2].upper()}-ISO 1", capacity_kg=800)
    document = fleet_vehicle_documents.vehicle_document_add(
        vehicle_id=van.id,
        kind=VehicleDocumentKind.INSPECTION,
        expires_on=timezone.localdate() + dt.timedelta(days=200),
        upload=pdf(),
    )
    maintenance = fleet_maintenance.maintenance_schedule(
        vehicle_id=van.id, starts_at=now + dt.timedelta(days=3), ends_at=now + dt.timedelta(days=3, hours=2)
    )

    driver_user = tenant.users[FleetRole.DRIVER]
    driver = make_compliant(DriverProfile.objects.get(user_id=driver_user.id, fleet_id=fleet.id))
    partner_duty.duty_set(driver_id=driver.id, on_duty=True)
    partner_drivers.driver_photo_set(driver_id=driver.id, upload=SimpleUploadedFile("me.jpg", JPEG))
    exception = partner_availability.availability_exception_add(
        driver_id=driver.id, date=timezone.localdate() + dt.timedelta(days=9), available=False, starts=None, ends=None
    )
    shift = shift_under_way(fleet_id=fleet.id, driver_id=driver.id, vehicle_id=van.id)
    # optimised while no trip is open: a real job and plan, without a solver run
    job = routing_jobs.routing_job_create(fleet_id=fleet.id, seconds=1, actor_id=None)
    job = routing_jobs.routing_job_run(job_id=job.id)
    plan = RoutePlan.objects.get(job=job)
    positions.positions_upload(
        user_id=driver_user.id,
        fleet_id=fleet.id,
        raw_pings=[
            {
                "ping_id": str(uuid.uuid4()),
                "lat": PICKUP[0],
                "lng": PICKUP[1],
                "recorded_at": (now - dt.timedelta(minutes=m)).isoformat(),
            }
            for m in (3, 2)
        ],
    )

    done = _book(fleet, customer)
    trips_assignment.trip_assign(trip_id=done.trip.id, shift_id=shift.id, actor_id=None)
    for action in ("start", "arrive_pickup", "pick_up"):
        trips_lifecycle.trip_transition(trip_id=done.trip.id, action=action, actor_id=driver_user.id, role="driver")
    trips_stops.stop_done(
        trip_id=done.trip.id,
        sequence=2,
        actor_id=driver_user.id,
        expected_version=None,
        recipient_name="Mo",
        signature=SimpleUploadedFile("s.png", PNG),
        photo=SimpleUploadedFile("p.jpg", JPEG),
    )
    trips_lifecycle.trip_transition(
        trip_id=done.trip.id,
        action="complete",
        actor_id=driver_user.id,
        role="driver",
        distance_m=4200,
        location=GeoPoint(*DROPOFF),
    )
    relay_and_deliver()  # billing settles the completed trip
    relay_and_deliver()
    offered = _book(fleet, customer)
    offer = trips_offers.offer_make(trip_id=offered.trip.id, shift_id=shift.id, actor_id=None)
    opened = _book(fleet, customer)

    quote = quotes.quote_create(
        fleet_id=fleet.id,
        vehicle_type="van",
        service="delivery",
        facts=fares.estimate_facts(points=[GeoPoint(*PICKUP), GeoPoint(*DROPOFF)], at=now, vehicle_type="van"),
        customer_id=customer.id,
    )
    payout = payouts.payout_request(
        driver_id=driver.id, fleet_id=fleet.id, amount=Money(100, fleet.currency), idempotency_key=str(uuid.uuid4())
    )
    topup = prepaid_topup(customer_id=customer.id, amount=Money(5000, fleet.currency))
    invoice = invoices.receipt_issue(trip_id=done.trip.id)
    invitation, _ = identity_invitations.invitation_create(
        principal=tenant.principal(FleetRole.FLEET_MANAGER),
        email=f"invitee.{name.lower()}@example.test",
        fleet_id=fleet.id,
        role=FleetRole.DRIVER,
    )
    account = identity_api_keys.service_account_create(
        principal=tenant.principal(FleetRole.FLEET_MANAGER), fleet_id=fleet.id, name=f"{name} shop connector"
    )
    issued = identity_api_keys.api_key_create(
        principal=tenant.principal(FleetRole.FLEET_MANAGER),
        service_account_id=account.id,
        scopes=[ApiScope.TRIPS_READ],
        expires_at=None,
    )
    relay_and_deliver()
    return Side(
        tenant=tenant,
        fleet=fleet,
        customer=customer,
        van=van,
        vehicle_document=document,
        maintenance=maintenance,
        driver=driver,
        kyc_document=driver.documents.order_by("submitted_at").first(),
        availability_exception=exception,
        shift=shift,
        job=job,
        plan=plan,
        trip_open=opened.trip,
        trip_offered=offered.trip,
        offer=offer,
        trip_done=done.trip,
        tracking_token=done.tracking_token,
        quote=quote,
        payout=payout,
        invoice=invoice,
        topup=topup,
        pending_topup=topups.topup_request(
            customer_id=customer.id, amount=Money(2500, fleet.currency), idempotency_key=str(uuid.uuid4())
        ),
        invitation=invitation,
        service_account=account,
        api_key=ApiKey.objects.get(id=issued.id),
        memberships=list(Membership.objects.filter(fleet_id=fleet.id)),
        **{
            kind: vehicle(fleet, vehicle_type=kind, registration=f"{name[:2].upper()}-ISO {n}")
            for n, kind in enumerate(("bike", "car", "truck"), start=2)
        },
    )


def _webhooks(side: Side, name: str) -> None:
    """An integrator's endpoint and one delivery of the side's vehicle event, given up on (dead)."""
    side.webhook_endpoint = webhook_services.endpoint_create(
        fleet_id=side.fleet_id,
        url=f"http://127.0.0.1:9/hooks/{name.lower()}",
        event_types=["vehicle.status_changed"],
        description=f"{name} ERP",
    ).endpoint
    event = VehicleStatusChangedV1(
        vehicle_id=side.van.id, fleet_id=side.fleet_id, old_status=VehicleStatus.ACTIVE,
        new_status=VehicleStatus.IN_MAINTENANCE,
    )  # fmt: skip
    (delivery_id,) = webhook_services.deliveries_create(event_envelope=to_envelope(event))
    WebhookDelivery.objects.filter(id=delivery_id).update(status=DeliveryStatus.DEAD, claim=None, claimed_until=None)
    side.webhook_delivery = WebhookDelivery.objects.get(id=delivery_id)


def build_world() -> World:
    fleets = build_two_fleets()
    relay_and_deliver()  # partner creates the drivers' profiles from their memberships
    a, b = _side(fleets.a, name="Alpha"), _side(fleets.b, name="Bravo")
    _webhooks(a, "Alpha")
    _webhooks(b, "Bravo")
    clients = {role: fleets.a.client(role) for role in FLEET_ROLES}
    clients["customer"] = client_for(fleets.customer)
    clients[KEY] = key_client(a, scopes=list(ApiScope))
    keys_without = {scope.value: key_client(a, scopes=[s for s in ApiScope if s != scope]) for scope in ApiScope}
    return World(fleets=fleets, a=a, b=b, clients=clients, keys_without=keys_without)


def key_client(side: Side, *, scopes: list[ApiScope]) -> APIClient:
    """A client holding a new key of `side`'s integration with these scopes (sent as X-Api-Key)."""
    issued = identity_api_keys.api_key_create(
        principal=side.tenant.principal(FleetRole.FLEET_MANAGER),
        service_account_id=side.service_account.id,
        scopes=scopes,
        expires_at=None,
    )
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.secret)
    return client


# ---- probes -----------------------------------------------------------------------------------------------------

Value = Callable[[World], Any]


def _call(value: Any, world: World) -> Any:
    return value(world) if callable(value) else value


def snapshot(querysets: Iterable[QuerySet]) -> list[list[dict]]:
    return [sorted((dict(row) for row in qs.values()), key=lambda row: str(row.get("id"))) for qs in querysets]


def request(client: APIClient, method: str, path: str, data: Any = None, *, multipart=False, headers=None):
    kwargs: dict[str, Any] = dict(headers or {})
    if data is not None:
        kwargs["data"] = data
    kwargs["format"] = "multipart" if multipart else "json"
    return getattr(client, method)(path, **kwargs)


def expect_problem(response, status: int, what: str) -> dict:
    assert response.status_code == status, (
        f"{what} -> {response.status_code}, expected {status}: {response.content[:300]!r}"
    )
    assert response["Content-Type"].startswith("application/problem+json"), f"{what}: {response['Content-Type']}"
    body = response.json()
    assert body["status"] == status and body["code"], body
    return body


@dataclasses.dataclass(frozen=True)
class Probe:
    """One request with fleet B's ids; `deny`: actors whose role may not use the route at all (403 for any id)."""

    method: str
    path: Value
    data: Any = None
    deny: frozenset[str] = frozenset()
    actors: tuple[str, ...] = ACTORS
    unchanged: Callable[[World], list[QuerySet]] | None = None  # fleet B's rows the request must not touch
    multipart: bool = False
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    own: Value | None = None  # the same request on fleet A's row, which the first allowed actor may make (200)

    def run(self, world: World) -> None:
        path = _call(self.path, world)
        before = snapshot(self.unchanged(world)) if self.unchanged else None
        for actor in self.actors:
            client, what = world.clients[actor], f"{self.method.upper()} {path} as fleet A's {actor}"
            data = _call(self.data, world)
            response = request(client, self.method, path, data, multipart=self.multipart, headers=self.headers)
            body = expect_problem(response, 403 if actor in self.deny else 404, what)
            # and exactly what ids that exist nowhere get: nothing tells B's rows from no rows
            ghost = request(
                client,
                self.method,
                world.ghost(path),
                world.ghost(_call(self.data, world)),
                multipart=self.multipart,
                headers=self.headers,
            )
            assert (ghost.status_code, ghost.json().get("code")) == (response.status_code, body["code"]), (
                f"{what} -> {body['code']}, but made-up ids -> {ghost.status_code} {ghost.content[:200]!r}"
            )
        if before is not None:
            assert snapshot(self.unchanged(world)) == before, f"{self.method.upper()} {path} changed fleet B's rows"
        if self.own is not None:
            allowed = next(a for a in self.actors if a not in self.deny)
            own_path = _call(self.own, world)
            response = request(world.clients[allowed], self.method, own_path)
            assert response.status_code == 200, f"{own_path} as {allowed} (own fleet) -> {response.status_code}"

    def paths(self, world: World) -> list[str]:
        return [_call(self.path, world)] + ([_call(self.own, world)] if self.own is not None else [])


def hidden(method: str, path: Value, **kwargs) -> Probe:
    kwargs["deny"] = frozenset(kwargs.get("deny", ()))
    return Probe(method=method, path=path, **kwargs)


@dataclasses.dataclass(frozen=True)
class Listing:
    """A list that must never show fleet B's rows, plain and filtered by fleet B's id (where a filtered list
    answers 404, e.g. "you drive for no such fleet", that is as good)."""

    path: Value
    foreign: Callable[[World], Iterable[Any]]
    deny: frozenset[str] = frozenset()
    actors: tuple[str, ...] = ACTORS
    params: Callable[[World], list[dict]] = lambda w: [{}, {"fleet_id": str(w.b.fleet_id)}]
    own: Callable[[World], tuple[str, Iterable[Any]]] | None = None  # (actor, fleet A ids it sees, first params)
    id_field: str = "id"
    method: str = "get"

    def run(self, world: World) -> None:
        path = _call(self.path, world)
        foreign = {str(i) for i in self.foreign(world)}
        assert foreign, f"{path}: the case names no fleet B rows to look for"
        for actor in self.actors:
            client = world.clients[actor]
            for params in self.params(world):
                what = f"GET {path} {params or ''} as fleet A's {actor}"
                response = client.get(path, params, format="json")
                if actor in self.deny:
                    expect_problem(response, 403, what)
                    continue
                if params and response.status_code == 404:
                    expect_problem(response, 404, what)
                    continue
                seen = _all_ids(client, response, self.id_field, what)
                assert not seen & foreign, f"{what} leaks fleet B's rows: {sorted(seen & foreign)}"
        if self.own is not None:
            actor, ids = self.own(world)
            client, params = world.clients[actor], self.params(world)[0]
            seen = _all_ids(client, client.get(path, params, format="json"), self.id_field, path)
            missing = {str(i) for i in ids} - seen
            assert not missing, f"GET {path} as {actor} misses fleet A's own rows {sorted(missing)}"

    def paths(self, world: World) -> list[str]:
        return [_call(self.path, world)]


def _all_ids(client: APIClient, response, id_field: str, what: str) -> set[str]:
    seen: set[str] = set()
    while True:
        assert response.status_code == 200, f"{what} -> {response.status_code}: {response.content[:300]!r}"
        body = response.json()
        seen.update(str(row[id_field]) for row in body["results"])
        if not body.get("next"):
            return seen
        response = client.get(body["next"], format="json")


def listing(path: Value, foreign, **kwargs) -> Listing:
    kwargs["deny"] = frozenset(kwargs.get("deny", ()))
    return Listing(path=path, foreign=foreign, **kwargs)


def key_probe(probe: Any, scope: str | None) -> Any:
    """A route's probe as fleet A's API key: where the method has a key scope, fleet B's rows are as absent to the
    key as to fleet A's staff (and its own rows, where the probe checks them, present); where it has none, the key
    gets 403 for any id. Checks (`refused`, pages) name their own actor: None."""
    if isinstance(probe, Probe):
        if scope is None:
            return dataclasses.replace(probe, actors=(KEY,), deny=frozenset({KEY}), own=None)
        return dataclasses.replace(probe, actors=(KEY,), deny=frozenset())
    if isinstance(probe, Listing):
        if scope is None:
            return dataclasses.replace(probe, actors=(KEY,), deny=frozenset({KEY}), own=None)
        own = probe.own
        return dataclasses.replace(
            probe, actors=(KEY,), deny=frozenset(), own=None if own is None else (lambda w: (KEY, own(w)[1]))
        )
    return None


@dataclasses.dataclass(frozen=True)
class Check:
    """Anything else a route needs (an exemption's fitting check, a page): a function of the world that asserts."""

    method: str
    check: Callable[[World], None]
    paths: Callable[[World], list[str]]

    def run(self, world: World) -> None:
        self.check(world)


def refused(method: str, path: Value, data: Value, *, actor: str, status: int, unchanged=None, headers=None) -> Check:
    """Fleet A's own route with one of fleet B's ids in the body (a B shift on an A trip): refused with `status`,
    and B's rows untouched."""

    def check(world: World) -> None:
        url = _call(path, world)
        before = snapshot(unchanged(world)) if unchanged else None
        response = request(world.clients[actor], method, url, _call(data, world), headers=headers)
        expect_problem(response, status, f"{method.upper()} {url} naming fleet B's row, as fleet A's {actor}")
        if before is not None:
            assert snapshot(unchanged(world)) == before, f"{method.upper()} {url} changed fleet B's rows"

    return Check(method=method, check=check, paths=lambda w: [_call(path, w)])


@dataclasses.dataclass(frozen=True)
class Case:
    probes: tuple[Any, ...]
    exempt_methods: dict[str, str] = dataclasses.field(default_factory=dict)  # method -> why no probe

    def methods(self) -> set[str]:
        return {p.method for p in self.probes} | set(self.exempt_methods)


def case(*probes, exempt_methods: dict[str, str] | None = None) -> Case:
    return Case(probes=probes, exempt_methods=exempt_methods or {})


@dataclasses.dataclass(frozen=True)
class Exempt:
    """A route that is not tenant-scoped: why, where it is tested, and a check that fits it."""

    reason: str
    check: Callable[[World], None] | None = None
    tested_in: str = ""


def rows(model, **lookup) -> Callable[[World], list[QuerySet]]:
    """`rows(Trip, id=lambda w: w.b.trip_open.id)`: fleet B's rows a probe must leave as they were."""

    def querysets(world: World) -> list[QuerySet]:
        return [model.objects.filter(**{k: _call(v, world) for k, v in lookup.items()})]

    return querysets


def both(*makers) -> Callable[[World], list[QuerySet]]:
    return lambda world: [qs for make in makers for qs in make(world)]
