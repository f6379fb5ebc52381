"""The whole stack as separate processes, as deployed: its own Redis, the ASGI server, a Celery worker, the routing
worker, beat and the outbox relay, on the pytest-django test database. Tests talk to it over HTTP and websockets
only; the operator they start from (fleet, tariff, vans, compliant drivers with shifts, a dispatcher) is built with
the apps' services, as the "given"."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator

import pytest
from django.db import connection

from logitrack.testing.processes import Processes, RedisServer, wait_for_worker, wait_until
from tests.e2e.billing_apart import BillingApart
from tests.e2e.clients import PASSWORD, Api
from tests.e2e.underneath import Underneath

BERLIN = (52.52, 13.405)
# How the e2e processes differ from production, and why: a routing job whose worker died is taken back after
# 2 s instead of 3 minutes, and beat looks every 2 s instead of every minute, so the suite does not wait minutes.
# Likewise a webhook delivery whose worker died is claimed again after 6 s instead of a minute (beat sweeps every 1 s).
STACK_ENV = {
    "DISPATCH_JOB_GRACE_SECONDS": "2",
    "DISPATCH_JOB_REAP_SECONDS": "2",
    "NOTIFICATIONS_WEBHOOK_LEASE_SECONDS": "6",
    "NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS": "1",
}


@dataclasses.dataclass
class Stack:
    base: str
    procs: Processes
    redis: RedisServer
    underneath: Underneath = dataclasses.field(default_factory=Underneath)

    def api(self) -> Api:
        return Api(self.base)

    def start_routing_worker(self) -> None:
        self.procs.worker("routing", queues="routing", concurrency=1)
        wait_for_worker(broker_url=self.redis.url, names=("routing",))


@pytest.fixture
def stack_env() -> dict[str, str]:
    """What one test's processes take on top of STACK_ENV: a test parametrizes it (`parametrize("stack_env", ...)`)."""
    return {}


@pytest.fixture
def stack(transactional_db, tmp_path, settings, stack_env):
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.fail("the e2e suite needs PostgreSQL and Redis (run scripts/test.sh)")
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media  # the given (KYC scans) and the processes keep files under the test's own folder
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    procs = Processes(tmp_path, redis_url=redis.url, env={"LOGITRACK_MEDIA_ROOT": str(media), **STACK_ENV, **stack_env})
    died = ""
    try:
        procs.worker("worker", queues="default,events,notifications", concurrency=2)
        procs.worker("routing", queues="routing", concurrency=1)
        procs.relay()
        procs.beat()
        base = procs.web()
        wait_for_worker(broker_url=redis.url, names=("worker", "routing"))
        yield Stack(base, procs, redis)
        died = procs.died()
    finally:
        procs.stop_all()
        redis.stop()
    assert not died, f"a process of the stack died during the test:\n{died}"


@dataclasses.dataclass
class DriverLogin:
    email: str
    driver_id: uuid.UUID
    shift_id: uuid.UUID
    vehicle_id: uuid.UUID


@dataclasses.dataclass
class Operator:
    fleet_id: uuid.UUID
    manager_email: str
    dispatcher_email: str
    drivers: list[DriverLogin]
    commission_bps: int


def _user(email: str):
    from apps.identity.models import User

    return User.objects.create_user(email=email, password=PASSWORD, display_name=email.split("@")[0].title())


def build_operator(*, drivers: int = 2, auto_dispatch: bool = True, capacity_kg: int = 800) -> Operator:
    """A Berlin fleet taking bookings: tariff, vans with papers, compliant drivers (off duty: they go on duty from
    their app) each with a van and a shift now, a dispatcher and a manager. Driver profiles come from the
    membership events, so this waits for the running relay and worker to deliver them."""
    from apps.billing.tests.factories import tariff
    from apps.fleet.tests.factories import active_fleet, vehicle
    from apps.identity.contracts import FleetRole
    from apps.identity.services import memberships as identity_memberships
    from apps.partner.models import DriverProfile
    from apps.partner.tests.factories import make_compliant
    from apps.trips.tests.factories import shift_under_way

    fleet_id, tag = uuid.uuid4(), uuid.uuid4().hex[:6]
    manager = _user(f"manager.{tag}@example.test")
    dispatcher = _user(f"dispatcher.{tag}@example.test")
    crew = [_user(f"driver{n}.{tag}@example.test") for n in range(1, drivers + 1)]
    for user, role in [(manager, FleetRole.FLEET_MANAGER), (dispatcher, FleetRole.DISPATCHER)] + [
        (u, FleetRole.DRIVER) for u in crew
    ]:
        identity_memberships.membership_grant(user_id=user.id, fleet_id=fleet_id, role=role, granted_by_id=None)
    fleet = active_fleet(
        fleet_id=fleet_id,
        applicant_id=manager.id,
        service_center_lat=BERLIN[0],
        service_center_lng=BERLIN[1],
        service_radius_m=25_000,
        auto_dispatch=auto_dispatch,
        commission_bps=1500,
        proof_of_delivery=["recipient", "signature", "pin"],
    )
    tariff(fleet_id=fleet.id)
    profiles = wait_until(
        lambda: (found := list(DriverProfile.objects.filter(fleet_id=fleet_id))) and len(found) == len(crew) and found,
        timeout=60,
        what="driver profiles from the membership events (relay and worker)",
    )
    logins = []
    for n, user in enumerate(crew, start=1):
        driver = make_compliant(next(p for p in profiles if p.user_id == user.id))
        van = vehicle(fleet, registration=f"B-E2E {n}{tag[:2]}", capacity_kg=capacity_kg)
        shift = shift_under_way(fleet_id=fleet_id, driver_id=driver.id, vehicle_id=van.id)
        logins.append(DriverLogin(user.email, driver.id, shift.id, van.id))
    return Operator(fleet_id, manager.email, dispatcher.email, logins, fleet.commission_bps)


@pytest.fixture
def operator(stack) -> Operator:
    return build_operator()


@pytest.fixture
def billing_apart(transactional_db, tmp_path, settings) -> Iterator[tuple[Stack, Operator, BillingApart]]:
    """Billing cut out as docs/extraction.md does it (tests/e2e/billing_apart.py): the platform without billing
    starts, the operator is built on it (billing's tariff in the shared database, as before the cut), billing's
    rows are copied to its own database, and billing's own processes start on it."""
    if not settings.REDIS_URL or connection.vendor != "postgresql":
        pytest.fail("the e2e suite needs PostgreSQL and Redis (run scripts/test.sh)")
    media = tmp_path / "media"
    settings.MEDIA_ROOT = media
    redis = RedisServer(tmp_path / "redis")
    redis.start()
    apart = BillingApart(tmp_path, platform_redis=redis, env={"LOGITRACK_MEDIA_ROOT": str(media), **STACK_ENV})
    apart.nats.start()
    apart.redis.start()
    died = ""
    try:
        apart.create_database()
        apart.setup_streams()
        base = apart.start_platform()
        operator = build_operator()
        apart.copy_data()
        apart.start_billing()
        yield Stack(base, apart.platform, redis, underneath=apart), operator, apart
        died = apart.platform.died() + apart.billing.died()
    finally:
        apart.platform.stop_all()
        apart.billing.stop_all()
        apart.nats.stop()
        apart.redis.stop()
        redis.stop()
        apart.drop_database()
    assert not died, f"a process died during the test:\n{died}"
