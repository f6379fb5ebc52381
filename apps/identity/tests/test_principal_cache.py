"""Identity's principal cache (principals.py): once a request has warmed it, every change to who a caller is takes
effect on the very next request — each test warms the cache first, so it fails if that change does not forget."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from rest_framework.test import APIClient

from apps.identity import principals, tokens
from apps.identity.contracts import FleetRole
from apps.identity.models import Membership
from apps.identity.services import accounts, api_keys, erasure, memberships, passwords
from apps.identity.tests.factories import UserFactory
from logitrack.principal import Role
from logitrack.testing.queries import CaptureEveryDatabase

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_login_guard")]
PASSWORD = "correct horse battery staple"
ME = "/api/v1/identity/me/"
TRIPS = "/api/v1/trips/trips/"  # a key with trips:read lists its fleet's trips


@pytest.fixture(autouse=True)
def _cached(settings):
    assert settings.IDENTITY_PRINCIPAL_CACHE_SECONDS > 0, "these tests need the shared cache (REDIS_URL)"


def login(user) -> tuple[APIClient, tokens.TokenPair]:
    pair = tokens.token_pair_issue(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.access}")
    return client, pair


def warm(client: APIClient, url: str = ME) -> dict:
    """One request: the caller's principal (or key) is in the cache from here on."""
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def refused(response) -> None:
    assert response.status_code == 401, response.content[:300]


def test_a_warm_jwt_request_reads_neither_users_nor_memberships():
    client, _ = login(UserFactory(is_customer=True))
    assert client.get("/api/v1/trips/trips/").status_code == 200  # warms
    with CaptureEveryDatabase() as queries:
        assert client.get("/api/v1/trips/trips/").status_code == 200
    assert queries.captured_queries and not [q["sql"] for q in queries.captured_queries if '"identity_' in q["sql"]]


def test_logout_stops_the_access_token_at_once():
    user = UserFactory()
    client, pair = login(user)
    other, _ = login(user)  # another device, another login
    warm(client)
    warm(other)
    tokens.token_family_revoke(raw_refresh=pair.refresh)
    refused(client.get(ME))
    assert other.get(ME).status_code == 200


def test_reusing_a_refresh_token_stops_the_family_access_tokens():
    client, pair = login(UserFactory())
    warm(client)
    tokens.token_pair_rotate(raw_refresh=pair.refresh)
    with pytest.raises(tokens.TokenRejected):
        tokens.token_pair_rotate(raw_refresh=pair.refresh)  # reused: the family is ended
    refused(client.get(ME))


def test_a_password_change_stops_old_access_tokens_at_once():
    user = UserFactory()
    client, _ = login(user)
    warm(client)
    passwords.user_password_change(user_id=user.id, old_password=PASSWORD, new_password="another fine passphrase")
    refused(client.get(ME))
    fresh, _ = login(type(user).objects.get(id=user.id))
    assert fresh.get(ME).status_code == 200


def test_a_password_reset_stops_old_access_tokens_at_once():
    user = UserFactory()
    client, _ = login(user)
    warm(client)
    token = passwords.password_reset_request(email=user.email)
    passwords.password_reset_confirm(token=token, new_password="another fine passphrase")
    refused(client.get(ME))


@pytest.mark.parametrize("how", ["deactivate", "erase"])
def test_deactivation_and_erasure_stop_access_at_once(how):
    user = UserFactory()
    client, _ = login(user)
    warm(client)
    if how == "deactivate":
        accounts.user_deactivate(user_id=user.id)
    else:
        erasure.user_erase(user_id=user.id)
    refused(client.get(ME))
    assert principals.resolve(user_id=user.id).principal is None


def test_a_granted_and_a_revoked_membership_show_at_once():
    user, fleet_id = UserFactory(), uuid.uuid4()
    client, _ = login(user)
    assert warm(client)["roles"] == []
    granted = memberships.membership_grant(
        user_id=user.id, fleet_id=fleet_id, role=FleetRole.DISPATCHER, granted_by_id=None
    )
    assert client.get(ME).json()["roles"] == [Role.DISPATCHER]
    warm(client)
    memberships.membership_revoke(membership_id=granted.id, principal=None)
    assert client.get(ME).json()["roles"] == []
    assert not Membership.objects.filter(user=user, revoked_at__isnull=True).exists()


def test_a_session_user_principal_is_forgotten_too():
    """The dispatch screen's and admin's callers (session, not JWT) read the same cache through principal_get."""
    user, fleet_id = UserFactory(), uuid.uuid4()
    granted = memberships.membership_grant(
        user_id=user.id, fleet_id=fleet_id, role=FleetRole.DISPATCHER, granted_by_id=None
    )
    from apps.identity import api

    assert api.principal_get(user_id=user.id).fleets(Role.DISPATCHER) == {fleet_id}
    memberships.membership_revoke(membership_id=granted.id, principal=None)
    assert api.principal_get(user_id=user.id).fleets() == frozenset()


def test_the_admin_password_page_forgets(two_fleets):
    from django.test import Client

    user = UserFactory()
    client, _ = login(user)
    warm(client)
    site = Client()
    site.force_login(two_fleets.platform_admin)
    changed = site.post(
        f"/admin/identity/user/{user.id}/password/",
        {"password1": "another fine passphrase", "password2": "another fine passphrase", "usable_password": "true"},
    )
    assert changed.status_code == 302, changed.content[:500]
    refused(client.get(ME))


# ---- API keys ---------------------------------------------------------------------------------------------------


@pytest.fixture
def key(two_fleets):
    account = api_keys.service_account_create(principal=api_keys.OPERATOR, fleet_id=two_fleets.a.fleet_id, name="Shop")
    issued = api_keys.api_key_create(
        principal=api_keys.OPERATOR, service_account_id=account.id, scopes=["trips:read"], expires_at=None
    )
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=issued.secret)
    warm(client, TRIPS)
    return account, issued, client


def test_a_warm_key_request_reads_no_key(key):
    _, _, client = key
    with CaptureEveryDatabase() as queries:
        assert client.get(TRIPS).status_code == 200
    assert not [q["sql"] for q in queries.captured_queries if '"identity_' in q["sql"]]


def test_a_revoked_key_stops_at_once(key):
    account, issued, client = key
    api_keys.api_key_revoke(principal=api_keys.OPERATOR, service_account_id=account.id, key_id=issued.id)
    assert client.get(TRIPS).json()["code"] == "auth.key_revoked"


def test_a_revoked_service_account_stops_its_keys_at_once(key):
    account, _, client = key
    api_keys.service_account_revoke(principal=api_keys.OPERATOR, service_account_id=account.id)
    assert client.get(TRIPS).json()["code"] == "auth.key_revoked"


def test_a_rotated_key_gets_its_shorter_life_at_once(key, settings, clock):
    clock.set(dt.datetime.now(dt.UTC))
    settings.API_KEY_ROTATION_GRACE_HOURS = 1
    account, issued, client = key
    api_keys.api_key_rotate(principal=api_keys.OPERATOR, service_account_id=account.id, key_id=issued.id)
    assert client.get(TRIPS).status_code == 200  # the grace hour
    clock.advance(hours=1, seconds=1)  # the cached copy knows the new expiry
    assert client.get(TRIPS).json()["code"] == "auth.key_rotated"


def test_a_cached_key_still_expires(key, clock):
    _, issued, client = key
    clock.set(issued.expires_at + dt.timedelta(seconds=1))
    assert client.get(TRIPS).json()["code"] == "auth.key_expired"


def test_what_a_request_read_before_a_change_committed_is_not_cached_after_it(django_capture_on_commit_callbacks):
    user, fleet_id = UserFactory(), uuid.uuid4()
    stale = principals.load(user.id)  # a concurrent request read the rows before the grant committed...
    with django_capture_on_commit_callbacks(execute=True):
        memberships.membership_grant(user_id=user.id, fleet_id=fleet_id, role=FleetRole.DRIVER, granted_by_id=None)
    principals._store(user.id, stale)  # ...and stores them after the commit: refused by the tombstone
    found = principals.resolve(user_id=user.id)
    assert found is not None and found.principal is not None
    assert found.principal.fleets(Role.DRIVER) == {fleet_id}


def test_an_unreachable_cache_is_read_around(monkeypatch):
    import redis
    from django.core.cache import cache

    client, _ = login(UserFactory())

    def down(*args, **kwargs):
        raise redis.exceptions.ConnectionError("Redis is restarting")

    for name in ("get", "get_many", "add", "set", "set_many", "delete_many"):
        monkeypatch.setattr(cache, name, down)
    assert client.get(ME).status_code == 200  # the database answers; nobody is refused
