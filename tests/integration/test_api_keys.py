"""API keys for integrators (identity's keys on fleet, trips and billing endpoints): issued once and hashed at
rest, both header styles, every way a key stops working (401), scopes denied by default (403), last-used written at
most once a minute, one query per authentication, the management endpoints' problems, the admin and the command."""

from __future__ import annotations

import datetime as dt
import io
import re
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from apps.fleet.tests.factories import active_fleet, vehicle
from apps.identity import principals
from apps.identity.events import ApiKeyIssuedV1, ApiKeyRevokedV1
from apps.identity.models import ApiKey, ServiceAccount
from apps.identity.services import accounts, api_keys
from logitrack.testing.queries import CaptureEveryDatabase
from tests.support.isolation import client_for

pytestmark = pytest.mark.usefixtures("clean_login_guard")
ACCOUNTS = "/api/v1/identity/service-accounts/"
VEHICLES = "/api/v1/fleet/vehicles/"
TRIPS = "/api/v1/trips/trips/"
KEY_SHAPE = re.compile(r"^lt_[0-9a-f]{12}_[A-Za-z0-9]{43}$")


def _account(manager: APIClient, fleet_id, name="Shopify connector") -> dict:
    created = manager.post(ACCOUNTS, {"fleet_id": str(fleet_id), "name": name}, format="json")
    assert created.status_code == 201, created.json()
    return created.json()


def _key(manager: APIClient, account_id, scopes=("fleet:read", "trips:read"), **extra) -> dict:
    created = manager.post(f"{ACCOUNTS}{account_id}/keys/", {"scopes": list(scopes), **extra}, format="json")
    assert created.status_code == 201, created.json()
    return created.json()


def with_key(secret: str, *, header: str = "bearer") -> APIClient:
    client = APIClient()
    if header == "bearer":
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    else:
        client.credentials(HTTP_X_API_KEY=secret)
    return client


@pytest.fixture
def fleet_a(two_fleets):
    """Fleet A as the fleet context has it, with a van; fleet B with one too."""
    a = active_fleet(fleet_id=two_fleets.a.fleet_id, name="Alpha")
    b = active_fleet(fleet_id=two_fleets.b.fleet_id, name="Bravo")
    return {"a": vehicle(a, registration="AL 1"), "b": vehicle(b, registration="BR 1")}


@pytest.fixture
def issued(two_fleets):
    manager = two_fleets.a.client("fleet_manager")
    account = _account(manager, two_fleets.a.fleet_id)
    return {"manager": manager, "account": account, "key": _key(manager, account["id"])}


def _problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code, body
    return body


# ---- issuing --------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_secret_is_shown_once_and_stored_nowhere(two_fleets, issued, captured_events):
    key = issued["key"]
    assert KEY_SHAPE.match(key["secret"]), key["secret"]
    assert key["prefix"] == key["secret"][:15] and key["scopes"] == ["fleet:read", "trips:read"]
    listed = issued["manager"].get(f"{ACCOUNTS}{issued['account']['id']}/keys/").json()["results"]
    assert [k["prefix"] for k in listed] == [key["prefix"]]
    assert "secret" not in listed[0] and key["secret"] not in str(listed)
    # nothing in the database holds the secret, nor its random part (every table, outbox included)
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    secret_part = key["secret"].rsplit("_", 1)[1]
    assert secret_part not in dump.getvalue()
    row = ApiKey.objects.get(id=key["id"])
    assert row.secret_hash == api_keys.secret_hash(secret_part) and secret_part not in row.secret_hash


@pytest.mark.django_db
def test_no_replay_store_keeps_a_secret(two_fleets, issued):
    """An Idempotency-Key on issuing or rotating is not honoured: replaying needs the answer stored, secret and all.
    A retried request makes another key (the list shows it; revoke the spare)."""
    manager, account = issued["manager"], issued["account"]
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    created = manager.post(
        f"{ACCOUNTS}{account['id']}/keys/", {"scopes": ["trips:read"]}, format="json", headers=headers
    )
    rotated = manager.post(f"{ACCOUNTS}{account['id']}/keys/{issued['key']['id']}/rotate/", headers=headers)
    assert created.status_code == rotated.status_code == 201
    dump = io.StringIO()
    call_command("dumpdata", stdout=dump)
    for secret in (created.json()["secret"], rotated.json()["secret"]):
        assert secret.rsplit("_", 1)[1] not in dump.getvalue()


@pytest.mark.django_db
def test_issuing_and_revoking_publish_audit_events_without_the_secret(two_fleets, captured_events):
    manager = two_fleets.a.client("fleet_manager")
    account = _account(manager, two_fleets.a.fleet_id)
    with captured_events() as events:
        key = _key(manager, account["id"])
        assert manager.delete(f"{ACCOUNTS}{account['id']}/keys/{key['id']}/").status_code == 204
    assert [type(e) for e in events] == [ApiKeyIssuedV1, ApiKeyRevokedV1]
    assert events[0].fleet_id == two_fleets.a.fleet_id and str(events[0].api_key_id) == key["id"]
    assert key["secret"][3:] not in repr(events)


# ---- authenticating -------------------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["bearer", "x-api-key"])
def test_a_key_works_as_bearer_and_as_x_api_key_and_sees_only_its_fleet(two_fleets, fleet_a, issued, header):
    response = with_key(issued["key"]["secret"], header=header).get(VEHICLES)
    assert response.status_code == 200, response.content[:300]
    ids = {row["id"] for row in response.json()["results"]}
    assert ids == {str(fleet_a["a"].id)}
    hidden = with_key(issued["key"]["secret"], header=header).get(f"{VEHICLES}{fleet_a['b'].id}/")
    _problem(hidden, 404, hidden.json()["code"])


@pytest.mark.django_db
def test_a_jwt_still_works_beside_keys(two_fleets, fleet_a):
    login = APIClient().post(
        "/api/v1/auth/token/",
        {"email": two_fleets.a.users["dispatcher"].email, "password": "correct horse battery staple"},
        format="json",
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login.json()['access']}")
    assert client.get(VEHICLES).status_code == 200


@pytest.mark.django_db
def test_unknown_and_malformed_keys_are_401(issued):
    secret = issued["key"]["secret"]
    wrong_secret = secret[:-4] + ("AAAA" if not secret.endswith("AAAA") else "BBBB")
    unknown_prefix = "lt_" + "0" * 12 + secret[15:]
    for presented, header in [
        (wrong_secret, "bearer"),
        (unknown_prefix, "x-api-key"),
        ("lt_short", "bearer"),
        ("not-a-key", "x-api-key"),
    ]:
        response = with_key(presented, header=header).get(VEHICLES)
        body = _problem(response, 401, "auth.key_invalid")
        assert response["WWW-Authenticate"].startswith("Bearer"), presented
        assert secret not in str(body)


@pytest.mark.django_db
def test_expired_revoked_and_account_revoked_keys_are_401(two_fleets, fleet_a, issued):
    manager, account = issued["manager"], issued["account"]
    expired = _key(manager, account["id"])
    ApiKey.objects.filter(id=expired["id"]).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    _problem(with_key(expired["secret"]).get(VEHICLES), 401, "auth.key_expired")

    revoked = _key(manager, account["id"])
    assert manager.delete(f"{ACCOUNTS}{account['id']}/keys/{revoked['id']}/").status_code == 204
    _problem(with_key(revoked["secret"]).get(VEHICLES), 401, "auth.key_revoked")

    assert with_key(issued["key"]["secret"]).get(VEHICLES).status_code == 200
    assert manager.delete(f"{ACCOUNTS}{account['id']}/").status_code == 204
    _problem(with_key(issued["key"]["secret"]).get(VEHICLES), 401, "auth.key_revoked")
    assert not ApiKey.objects.filter(service_account_id=account["id"], revoked_at__isnull=True).exists()


@pytest.mark.django_db
def test_a_rotated_key_works_through_the_grace_period_then_stops(two_fleets, fleet_a, issued, settings, clock):
    clock.set(dt.datetime.now(dt.UTC))  # time passes below, as identity's cache of the key sees it too
    settings.API_KEY_ROTATION_GRACE_HOURS = 24
    manager, account, old = issued["manager"], issued["account"], issued["key"]
    rotated = manager.post(f"{ACCOUNTS}{account['id']}/keys/{old['id']}/rotate/", format="json")
    assert rotated.status_code == 201, rotated.json()
    new = rotated.json()
    assert new["secret"] != old["secret"] and new["scopes"] == old["scopes"]
    row = ApiKey.objects.get(id=old["id"])
    assert row.replaced_by_id == uuid.UUID(new["id"])
    assert abs(row.expires_at - (timezone.now() + dt.timedelta(hours=24))) < dt.timedelta(minutes=1)
    assert with_key(old["secret"]).get(VEHICLES).status_code == 200  # within the grace period
    assert with_key(new["secret"]).get(VEHICLES).status_code == 200
    clock.advance(hours=24, seconds=1)
    _problem(with_key(old["secret"]).get(VEHICLES), 401, "auth.key_rotated")
    assert with_key(new["secret"]).get(VEHICLES).status_code == 200
    again = manager.post(f"{ACCOUNTS}{account['id']}/keys/{old['id']}/rotate/", format="json")
    _problem(again, 409, "identity.api_key_revoked")


@pytest.mark.django_db
def test_the_creator_leaving_does_not_break_the_integration(two_fleets, fleet_a, issued):
    creator = two_fleets.a.users["fleet_manager"]
    accounts.user_deactivate(user_id=creator.id)
    assert with_key(issued["key"]["secret"]).get(VEHICLES).status_code == 200
    assert ServiceAccount.objects.get(id=issued["account"]["id"]).created_by_id == creator.id


@pytest.mark.django_db
def test_a_websocket_refuses_a_key(issued):
    from channels.testing import WebsocketCommunicator

    from config.asgi import application
    from logitrack.realtime import CLOSE_UNAUTHENTICATED
    from logitrack.testing.realtime import admitted_or_closed

    async def connect():
        socket = WebsocketCommunicator(application, f"/ws/driver/?token={issued['key']['secret']}")
        return await admitted_or_closed(socket)

    from asgiref.sync import async_to_sync

    assert async_to_sync(connect)()[:2] == (False, CLOSE_UNAUTHENTICATED)


# ---- scopes ---------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_scopes_deny_by_default(two_fleets, fleet_a):
    manager = two_fleets.a.client("fleet_manager")
    account = _account(manager, two_fleets.a.fleet_id)
    key = with_key(_key(manager, account["id"], scopes=["fleet:read"])["secret"])
    assert key.get(VEHICLES).status_code == 200
    lacking = _problem(key.get(TRIPS), 403, "auth.scope_missing")
    assert lacking["scope"] == "trips:read" and "trips:read" in lacking["detail"]
    # a method the view gives no scope to, and endpoints that declare none at all: keys never manage anything
    assert _problem(key.post(VEHICLES, {}, format="json"), 403, "auth.scope_missing").get("scope") is None
    _problem(key.get("/api/v1/identity/me/"), 403, "auth.scope_missing")
    _problem(key.get(ACCOUNTS), 403, "auth.scope_missing")
    _problem(key.post(f"{ACCOUNTS}{account['id']}/keys/", {"scopes": ["trips:read"]}), 403, "auth.scope_missing")
    assert ApiKey.objects.filter(service_account_id=account["id"]).count() == 1


@pytest.mark.django_db
def test_the_principal_of_a_key_is_its_service_account_in_one_fleet(issued, two_fleets):
    key = ApiKey.objects.select_related("service_account").get(id=issued["key"]["id"])
    principal = api_keys.key_principal(key)
    assert principal.user_id == key.service_account_id and principal.is_api_key
    assert principal.fleets() == {two_fleets.a.fleet_id} and not principal.is_platform_admin
    assert principal.scopes == {"fleet:read", "trips:read"}
    assert principal.has_scope("trips:read") and not principal.has_scope("trips:book")
    person = two_fleets.a.principal("dispatcher")
    assert person.scopes is None and person.has_scope("anything")


# ---- last used, queries -----------------------------------------------------------------------------------------


def _updates(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith("UPDATE") and "identity_apikey" in q["sql"]]


@pytest.mark.django_db
def test_last_used_is_written_at_most_once_a_minute(fleet_a, issued, clock):
    clock.set(dt.datetime.now(dt.UTC))
    client = with_key(issued["key"]["secret"])
    with CaptureEveryDatabase() as queries:
        for _ in range(3):
            assert client.get(VEHICLES).status_code == 200
    assert len(_updates(queries.captured_queries)) == 1
    first = ApiKey.objects.get(id=issued["key"]["id"]).last_used_at
    assert first is not None and timezone.now() - first < dt.timedelta(seconds=30)

    clock.advance(seconds=61)
    with CaptureEveryDatabase() as queries:
        client.get(VEHICLES)
        client.get(VEHICLES)
    assert len(_updates(queries.captured_queries)) == 1
    assert ApiKey.objects.get(id=issued["key"]["id"]).last_used_at > first


@pytest.mark.django_db
def test_authenticating_a_key_is_one_query_and_none_once_cached(issued):
    secret = issued["key"]["secret"]
    api_keys.api_key_authenticate(raw=secret)  # records the use
    principals.api_keys_forget(secret.split("_")[1])
    with CaptureEveryDatabase() as cold:
        api_keys.api_key_authenticate(raw=secret)
    with CaptureEveryDatabase() as warm:
        key, principal = api_keys.api_key_authenticate(raw=secret)
    assert len(cold) == 1, [q["sql"] for q in cold.captured_queries]
    assert len(warm) == 0, [q["sql"] for q in warm.captured_queries]
    assert principal.fleets() and key.service_account.name == "Shopify connector"


@pytest.mark.django_db
def test_a_key_request_costs_no_more_queries_than_a_login(two_fleets, fleet_a, issued):
    with_key(issued["key"]["secret"]).get(VEHICLES)  # last-used written
    person = client_for(two_fleets.a.users["fleet_manager"])
    with CaptureEveryDatabase() as by_person:
        assert person.get(VEHICLES).status_code == 200
    with CaptureEveryDatabase() as by_key:
        assert with_key(issued["key"]["secret"]).get(VEHICLES).status_code == 200
    assert len(by_key) <= len(by_person), [q["sql"] for q in by_key.captured_queries]


# ---- management over REST -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_management_problems(two_fleets, issued):
    manager, account = issued["manager"], issued["account"]
    keys = f"{ACCOUNTS}{account['id']}/keys/"
    _problem(manager.post(ACCOUNTS, {"fleet_id": str(two_fleets.b.fleet_id), "name": "x"}), 404, "fleet.not_found")
    _problem(manager.post(ACCOUNTS, {"fleet_id": str(uuid.uuid4()), "name": "x"}), 404, "fleet.not_found")
    dup = {"fleet_id": str(two_fleets.a.fleet_id), "name": "SHOPIFY connector"}
    _problem(manager.post(ACCOUNTS, dup), 409, "identity.service_account_exists")
    _problem(manager.post(ACCOUNTS, {"fleet_id": "nope", "name": ""}), 400, "validation_failed")
    _problem(manager.post(ACCOUNTS, {"fleet_id": str(two_fleets.a.fleet_id), "name": "   "}), 400, "validation_failed")
    _problem(manager.post(keys, {"scopes": ["trips:everything"]}), 400, "validation_failed")
    _problem(manager.post(keys, {"scopes": []}), 400, "validation_failed")
    _problem(manager.post(keys, {"scopes": "trips:read"}), 400, "validation_failed")
    past = (timezone.now() - dt.timedelta(days=1)).isoformat()
    _problem(manager.post(keys, {"scopes": ["trips:read"], "expires_at": past}), 400, "identity.api_key_invalid")
    far = (timezone.now() + dt.timedelta(days=2000)).isoformat()
    _problem(manager.post(keys, {"scopes": ["trips:read"], "expires_at": far}), 400, "identity.api_key_invalid")
    _problem(manager.post(keys, {"scopes": ["trips:read"], "secret": "mine"}), 400, "validation_failed")
    _problem(manager.get(f"{ACCOUNTS}{uuid.uuid4()}/keys/"), 404, "identity.service_account_not_found")
    _problem(manager.delete(f"{keys}{uuid.uuid4()}/"), 404, "identity.api_key_not_found")
    key_url = f"{keys}{issued['key']['id']}/"
    assert manager.delete(key_url).status_code == 204
    _problem(manager.delete(key_url), 409, "identity.api_key_revoked")
    _problem(manager.post(f"{key_url}rotate/"), 409, "identity.api_key_revoked")
    assert manager.delete(f"{ACCOUNTS}{account['id']}/").status_code == 204
    _problem(manager.delete(f"{ACCOUNTS}{account['id']}/"), 409, "identity.service_account_revoked")
    _problem(manager.post(keys, {"scopes": ["trips:read"]}), 409, "identity.service_account_revoked")
    # dispatchers and drivers do not manage integrations
    for role in ("dispatcher", "driver"):
        _problem(two_fleets.a.client(role).get(ACCOUNTS), 403, "permission_denied")


@pytest.mark.django_db
def test_a_key_gets_the_default_expiry_and_the_catalogue_is_published(two_fleets, issued, settings):
    expires = dt.datetime.fromisoformat(issued["key"]["expires_at"])
    assert abs(expires - (timezone.now() + dt.timedelta(days=settings.API_KEY_DEFAULT_DAYS))) < dt.timedelta(minutes=1)
    catalogue = issued["manager"].get("/api/v1/identity/api-scopes/").json()
    assert {"trips:read", "trips:book", "webhooks:read", "webhooks:manage"} <= {s["scope"] for s in catalogue}
    assert all(s["description"] for s in catalogue)


@pytest.mark.django_db
def test_the_schema_documents_the_key_and_each_operations_scope(two_fleets):
    schema = client_for(two_fleets.platform_admin).get("/api/schema/?format=json").json()
    scheme = schema["components"]["securitySchemes"]["apiKey"]
    assert scheme["type"] == "apiKey" and scheme["name"] == "X-Api-Key" and "trips:book" in scheme["description"]
    trips_list = schema["paths"]["/api/v1/trips/trips/"]["get"]
    assert {"apiKey": []} in trips_list["security"] and trips_list["x-api-key-scope"] == "trips:read"
    me = schema["paths"]["/api/v1/identity/me/"]["get"]
    assert {"apiKey": []} not in me["security"] and "x-api-key-scope" not in me


# ---- admin and command ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_makes_a_key_and_shows_its_secret_once(two_fleets, issued):
    from django.test import Client

    from apps.identity.services import memberships

    memberships.fleet_name_record(fleet_id=two_fleets.a.fleet_id, name="Alpha Logistics")
    browser = Client()
    browser.force_login(two_fleets.a.users["fleet_manager"])
    for page in (
        "/admin/identity/serviceaccount/",
        f"/admin/identity/serviceaccount/{issued['account']['id']}/change/",
        "/admin/identity/serviceaccount/add/",
        "/admin/identity/apikey/",
        f"/admin/identity/apikey/{issued['key']['id']}/change/",
        "/admin/identity/apikey/add/",
    ):
        response = browser.get(page)
        assert response.status_code == 200, page
        shown = re.sub(r"<[^>]*>", " ", response.content.decode())  # what a person reads (option values aside)
        assert str(two_fleets.a.fleet_id) not in shown, page
    assert "Alpha Logistics" in browser.get("/admin/identity/serviceaccount/").content.decode()
    assert issued["key"]["prefix"] in browser.get("/admin/identity/apikey/").content.decode()

    added = browser.post(
        "/admin/identity/apikey/add/",
        {
            "service_account": issued["account"]["id"],
            "scopes": ["billing:read"],
            "expires_at_0": "",
            "expires_at_1": "",
        },
        follow=True,
    )
    assert added.status_code == 200
    secret = re.search(r"lt_[0-9a-f]{12}_[A-Za-z0-9]{43}", added.content.decode()).group(0)
    assert with_key(secret).get("/api/v1/billing/invoices/").status_code == 200
    assert secret not in browser.get("/admin/identity/apikey/").content.decode()  # shown once

    # another fleet's manager sees none of it
    other = Client()
    other.force_login(two_fleets.b.users["fleet_manager"])
    assert other.get(f"/admin/identity/serviceaccount/{issued['account']['id']}/change/").status_code in (302, 404)
    assert issued["key"]["prefix"] not in other.get("/admin/identity/apikey/").content.decode()


@pytest.mark.django_db
def test_the_operators_command_creates_lists_and_revokes(two_fleets, fleet_a):
    out = io.StringIO()
    call_command(
        "identity_api_keys",
        "create",
        "--fleet",
        str(two_fleets.a.fleet_id),
        "--name",
        "ERP",
        "--scopes",
        "fleet:read",
        stdout=out,
        stderr=io.StringIO(),
    )
    secret = out.getvalue().strip()
    assert KEY_SHAPE.match(secret)
    assert with_key(secret).get(VEHICLES).status_code == 200
    listing = io.StringIO()
    call_command("identity_api_keys", "list", stdout=listing)
    assert secret[:15] in listing.getvalue() and "ERP" in listing.getvalue() and secret[15:] not in listing.getvalue()
    call_command("identity_api_keys", "revoke", "--key", secret[:15], stdout=io.StringIO())
    _problem(with_key(secret).get(VEHICLES), 401, "auth.key_revoked")


# ---- an integration's day: quote, book, follow ---------------------------------------------------------------------


@pytest.mark.django_db
def test_an_integration_quotes_books_and_follows_a_trip_with_its_key(two_fleets):
    from apps.billing.tests.factories import tariff
    from apps.trips.models import Trip

    fleet = active_fleet(
        fleet_id=two_fleets.a.fleet_id,
        name="Alpha",
        service_center_lat=52.52,
        service_center_lng=13.405,
        service_radius_m=25_000,
    )
    tariff(fleet_id=fleet.id)
    manager = two_fleets.a.client("fleet_manager")
    account = _account(manager, fleet.id)
    key = with_key(_key(manager, account["id"], scopes=["trips:book", "trips:read"])["secret"], header="x-api-key")

    quote = key.post(
        "/api/v1/billing/quotes/",
        {"fleet_id": str(fleet.id), "vehicle_type": "van", "stops": [[52.531, 13.3847], [52.5016, 13.419]]},
        format="json",
    )
    assert quote.status_code == 201, quote.json()
    assert key.get(f"/api/v1/billing/quotes/{quote.json()['id']}/").status_code == 200
    stops = [
        {"kind": "pickup", "address": "Shop, Invalidenstr. 1", "lat": 52.531, "lng": 13.3847},
        {"kind": "dropoff", "address": "Customer, Oranienstr. 5", "lat": 52.5016, "lng": 13.419},
    ]
    booked = key.post(
        TRIPS,
        {"fleet_id": str(fleet.id), "vehicle_type": "van", "stops": stops, "quote_id": quote.json()["id"]},
        format="json",
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert booked.status_code == 201, booked.json()
    trip = Trip.objects.get(id=booked.json()["id"])
    assert trip.fleet_id == fleet.id and trip.booked_by_id == uuid.UUID(account["id"]) and trip.customer_id is None
    assert booked.json()["tracking_url"]

    assert key.get(f"{TRIPS}{trip.id}/").status_code == 200
    assert key.get(f"{TRIPS}{trip.id}/timeline/").status_code == 200
    assert str(trip.id) in {row["id"] for row in key.get(TRIPS).json()["results"]}
    # booking in another fleet: as absent as for the fleet's own staff
    elsewhere = key.post(TRIPS, {"fleet_id": str(two_fleets.b.fleet_id), "vehicle_type": "van", "stops": stops})
    assert elsewhere.status_code == 404

    # the order is called off in the shop: a key with trips:cancel cancels, and may take no other step
    transition = f"{TRIPS}{trip.id}/transitions/"
    _problem(
        key.post(transition, {"action": "cancel", "reason": "order withdrawn"}, format="json"),
        403,
        "auth.scope_missing",
    )
    canceller = with_key(_key(manager, account["id"], scopes=["trips:cancel"])["secret"])
    _problem(canceller.post(transition, {"action": "start"}, format="json"), 403, "auth.scope_missing")
    trip.refresh_from_db()
    cancelled = canceller.post(
        transition,
        {"action": "cancel", "reason": "order withdrawn"},
        format="json",
        HTTP_IF_MATCH=f'W/"{trip.version}"',
    )
    assert cancelled.status_code == 200, cancelled.json()
    trip.refresh_from_db()
    assert trip.status == "cancelled"


@pytest.mark.django_db
def test_other_contexts_name_an_integration_that_acted(two_fleets, issued):
    from apps.identity import api as identity_api

    account_id = uuid.UUID(issued["account"]["id"])
    person = two_fleets.a.users["dispatcher"]
    refs = {r.id: r for r in identity_api.users_get(user_ids=[account_id, person.id, uuid.uuid4()])}
    assert set(refs) == {account_id, person.id}
    assert refs[account_id].display_name == "Shopify connector (integration)" and refs[account_id].is_active
    with CaptureEveryDatabase() as queries:
        identity_api.users_get(user_ids=[person.id])
    assert len(queries) == 1  # people only: no look-up of integrations
    issued["manager"].delete(f"{ACCOUNTS}{account_id}/")
    assert not identity_api.user_get(user_id=account_id).is_active


@pytest.mark.django_db
def test_erasing_the_creator_does_not_break_the_integration(two_fleets, fleet_a, issued):
    from apps.identity.services import erasure

    creator = two_fleets.a.users["fleet_manager"]
    erasure.user_erase(user_id=creator.id)
    assert with_key(issued["key"]["secret"]).get(VEHICLES).status_code == 200


@pytest.mark.django_db
def test_the_admin_rotates_and_revokes_keys_with_actions(two_fleets, fleet_a, issued):
    from django.test import Client

    browser = Client()
    browser.force_login(two_fleets.a.users["fleet_manager"])
    old = issued["key"]
    rotated = browser.post(
        "/admin/identity/apikey/", {"action": "rotate", "_selected_action": [old["id"]]}, follow=True
    ).content.decode()
    new_secret = KEY_SHAPE.pattern.strip("^$")
    found = re.findall(new_secret, rotated)
    assert len(found) == 1 and found[0] != old["secret"]
    assert with_key(found[0]).get(VEHICLES).status_code == 200
    assert with_key(old["secret"]).get(VEHICLES).status_code == 200  # grace period
    browser.post("/admin/identity/apikey/", {"action": "revoke", "_selected_action": [old["id"]]}, follow=True)
    _problem(with_key(old["secret"]).get(VEHICLES), 401, "auth.key_revoked")
    assert with_key(found[0]).get(VEHICLES).status_code == 200


def test_logs_never_carry_a_keys_secret():
    from logitrack.logs import redact_query_tokens

    secret = "lt_3f9a0c1b2d4e_" + "Ab1" * 14 + "Z"
    line = f'"GET /ws/driver/?token={secret} HTTP/1.1" 403 and X-Api-Key {secret}'
    redacted = redact_query_tokens(line)
    assert "Ab1Ab1" not in redacted and "lt_3f9a0c1b2d4e_[redacted]" in redacted
