"""What an authenticated request costs before its view's own work: SQL queries and Redis round trips of the hot
calls with real credentials (a JWT, an API key), once the principal cache is warm."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

import pytest
import redis.connection
from rest_framework.test import APIClient

from apps.identity import api as identity_api
from apps.identity import tokens
from apps.identity.models import ApiKey
from apps.identity.rest_api.authentication import ServiceAccountCaller, TokenCaller
from apps.identity.services import api_keys
from apps.trips.tests.rest import DROPOFF, PICKUP
from logitrack.testing.queries import CaptureEveryDatabase
from tests.support.trip_world import book_as_customer

pytestmark = pytest.mark.django_db
TRIPS = "/api/v1/trips/trips/"


@contextlib.contextmanager
def redis_round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """Every command batch sent to Redis (one per round trip: a pipeline or a script is one)."""
    sent: list[bytes] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(command if isinstance(command, bytes) else b"".join(command))
        return original(self, command, check_health)

    with monkeypatch.context() as patch:
        patch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
        yield sent


def bearer(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens.token_pair_issue(user=user).access}")
    return client


def cost(monkeypatch, call) -> tuple[int, int, object]:
    """(SQL queries, Redis round trips, response) of one call."""
    with CaptureEveryDatabase() as queries, redis_round_trips(monkeypatch) as trips:
        response = call()
    return len(queries), len(trips), response


def _shapes(queries) -> list[str]:
    """The queries without their literals (times differ between two runs of one request)."""
    return [q["sql"].split(" WHERE ")[0] for q in queries.captured_queries]


def _auth_queries(queries) -> list[str]:
    """Queries of identity's tables (users, memberships, keys): what resolving the caller costs."""
    return [q["sql"] for q in queries.captured_queries if '"identity_' in q["sql"]]


@pytest.fixture
def callers(dispatch_world):
    customer = dispatch_world.fleets.customer
    trip = book_as_customer(dispatch_world.fleet_id, customer.id, ("A", 52.53, 13.38), ("B", 52.50, 13.41))
    manager = dispatch_world.fleets.a.client("fleet_manager")
    account = manager.post(
        "/api/v1/identity/service-accounts/", {"fleet_id": str(dispatch_world.fleet_id), "name": "Shop"}
    ).json()
    secret = manager.post(
        f"/api/v1/identity/service-accounts/{account['id']}/keys/", {"scopes": ["trips:read"]}, format="json"
    ).json()["secret"]
    keyed = APIClient()
    keyed.credentials(HTTP_X_API_KEY=secret)
    key = ApiKey.objects.select_related("service_account").get(service_account_id=account["id"])
    bare = {  # the same callers handed over with their principals: what the views alone cost
        "jwt": TokenCaller(user_id=customer.id, principal=identity_api.principal_get(user_id=customer.id)),
        "key": ServiceAccountCaller(
            service_account_id=key.service_account_id, name="Shop", principal=api_keys.key_principal(key)
        ),
    }
    return dispatch_world, trip, bearer(customer), keyed, bare


@pytest.mark.parametrize("who", ["jwt", "key"])
@pytest.mark.parametrize("what", ["list", "detail"])
def test_a_warm_read_resolves_its_caller_without_a_query_and_in_one_cache_round_trip(callers, monkeypatch, who, what):
    """Before: a JWT read the user twice and the memberships once (3 queries), a key its row (1); the throttle made
    two round trips (GET, SET). Now: no query of identity's tables, one round trip for the caller, one for the
    throttle."""
    _, trip, customer, keyed, bare = callers
    client = customer if who == "jwt" else keyed
    url = TRIPS if what == "list" else f"{TRIPS}{trip.id}/"
    view_only = APIClient()
    view_only.force_authenticate(user=bare[who])
    assert client.get(url).status_code == 200  # warms
    with CaptureEveryDatabase() as alone:
        assert view_only.get(url).status_code == 200
    with CaptureEveryDatabase() as queries, redis_round_trips(monkeypatch) as trips:
        assert client.get(url).status_code == 200
    assert _shapes(queries) == _shapes(alone)  # authenticating added no query
    assert len(trips) == 2, trips  # the caller (user and login, or key) and the throttle's window


def test_a_booking_with_an_idempotency_key_takes_the_key_in_one_statement(callers, monkeypatch):
    world, _, customer, _, _ = callers

    def book():
        return customer.post(
            TRIPS,
            {"fleet_id": str(world.fleet_id), "vehicle_type": "van", "stops": [PICKUP, DROPOFF], "weight_kg": 10},
            format="json",
            HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        )

    assert book().status_code == 201
    with CaptureEveryDatabase() as queries, redis_round_trips(monkeypatch) as trips:
        assert book().status_code == 201
    keyed = [q["sql"] for q in queries.captured_queries if "idempotency_idempotencykey" in q["sql"]]
    assert len(keyed) == 2, keyed  # taken (INSERT … ON CONFLICT DO NOTHING), then its outcome stored (UPDATE)
    assert keyed[0].startswith("INSERT") and "ON CONFLICT" in keyed[0]
    stops = [q for q in queries.captured_queries if q["sql"].startswith('SELECT "trips_stop"')]
    assert stops == []  # the booked stops are not read back for the event or the answer
    assert _auth_queries(queries) == []
    assert len(trips) == 2, trips


def test_the_throttle_is_one_round_trip_and_still_counts(monkeypatch, settings):
    """DRF's window, now a script: one round trip per check, refusing the request over the rate."""
    from django.core.cache import cache
    from rest_framework.test import APIRequestFactory

    from logitrack.http.throttling import UserRateThrottle

    monkeypatch.setitem(UserRateThrottle.THROTTLE_RATES, "user", "2/min")
    user_id = uuid.uuid4()
    cache.delete(f"throttle_user_{user_id}")

    class Caller:
        pk, is_authenticated = user_id, True

    request = APIRequestFactory().get("/")
    request.user = Caller()
    answers = []
    with redis_round_trips(monkeypatch) as trips:
        for _ in range(3):
            throttle = UserRateThrottle()
            answers.append(throttle.allow_request(request, None))
    assert answers == [True, True, False]
    assert len(trips) == 3, trips
    assert 0 < throttle.wait() <= 60
    cache.delete(f"throttle_user_{user_id}")
