"""The token lifecycle: obtain, rotate, detect reuse, log out, revoke on password change and deactivation."""

import threading

import pytest
from django.db import connection
from rest_framework.test import APIClient

from apps.identity.models import RefreshToken
from apps.identity.services import accounts
from apps.identity.tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
pytestmark = pytest.mark.usefixtures("clean_login_guard")


def obtain(client, email, password=PASSWORD, **extra):
    return client.post("/api/v1/auth/token/", {"email": email, "password": password}, format="json", **extra)


def refresh(client, token):
    return client.post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def me(access):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get("/api/v1/identity/me/")


@pytest.mark.django_db
def test_obtain_gives_a_working_access_token_and_a_refresh_token(api_client):
    user = UserFactory(email="dora@example.test")
    response = obtain(api_client, "DORA@example.test")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert me(body["access"]).json()["id"] == str(user.id)
    assert RefreshToken.objects.filter(user=user).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"email": "dora@example.test", "password": "wrong password"}, 401, "auth.invalid_credentials"),
        ({"email": "nobody@example.test", "password": PASSWORD}, 401, "auth.invalid_credentials"),
        ({"email": "not-an-email", "password": PASSWORD}, 400, "validation_failed"),
        ({"email": "dora@example.test"}, 400, "validation_failed"),
        ({"email": "dora@example.test", "password": PASSWORD, "admin": True}, 400, "validation_failed"),
    ],
)
def test_obtain_rejects_bad_credentials_and_bad_input(api_client, payload, status, code):
    UserFactory(email="dora@example.test")
    response = api_client.post("/api/v1/auth/token/", payload, format="json")
    assert response.status_code == status
    assert response.json()["code"] == code
    assert RefreshToken.objects.count() == 0


@pytest.mark.django_db
def test_obtain_refuses_form_bodies(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", "email=a&password=b", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"


@pytest.mark.django_db
def test_refresh_rotates_and_the_new_pair_works(api_client):
    UserFactory(email="eve@example.test")
    first = obtain(api_client, "eve@example.test").json()

    rotated = refresh(api_client, first["refresh"])

    assert rotated.status_code == 200
    pair = rotated.json()
    assert pair["refresh"] != first["refresh"]
    assert me(pair["access"]).status_code == 200
    assert refresh(api_client, pair["refresh"]).status_code == 200


@pytest.mark.django_db
def test_reusing_a_rotated_refresh_token_revokes_the_whole_family(api_client):
    UserFactory(email="finn@example.test")
    stolen = obtain(api_client, "finn@example.test").json()["refresh"]
    legit = refresh(api_client, stolen).json()["refresh"]  # the app rotated; the thief still holds `stolen`
    other_login = obtain(api_client, "finn@example.test").json()["refresh"]  # another device: another family

    reuse = refresh(api_client, stolen)

    assert reuse.status_code == 401
    assert reuse.json()["code"] == "auth.token_reused"
    assert refresh(api_client, legit).json()["code"] == "auth.token_revoked"
    assert refresh(api_client, other_login).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("token", ["", "garbage", "a.b.c"])
def test_refresh_rejects_malformed_tokens(api_client, token):
    response = refresh(api_client, token)
    assert response.status_code in (400, 401)
    assert response.json()["code"] in ("validation_failed", "auth.token_invalid")


@pytest.mark.django_db
def test_refresh_rejects_an_access_token(api_client):
    UserFactory(email="gus@example.test")
    access = obtain(api_client, "gus@example.test").json()["access"]
    response = refresh(api_client, access)
    assert response.status_code == 401
    assert response.json()["code"] == "auth.token_invalid"


@pytest.mark.django_db
def test_logout_ends_the_family(api_client):
    UserFactory(email="hal@example.test")
    token = obtain(api_client, "hal@example.test").json()["refresh"]

    response = api_client.post("/api/v1/auth/logout/", {"refresh": token}, format="json")

    assert response.status_code == 204
    assert refresh(api_client, token).json()["code"] == "auth.token_revoked"
    assert api_client.post("/api/v1/auth/logout/", {"refresh": token}, format="json").status_code == 204  # again: fine


@pytest.mark.django_db
def test_changing_the_password_revokes_refresh_and_access_tokens(api_client):
    user = UserFactory(email="ida@example.test")
    pair = obtain(api_client, "ida@example.test").json()
    client = APIClient()
    client.force_authenticate(user=user)

    response = client.post(
        "/api/v1/identity/me/password/",
        {"old_password": PASSWORD, "new_password": "a brand new passphrase"},
        format="json",
    )

    assert response.status_code == 204
    assert refresh(api_client, pair["refresh"]).json()["code"] == "auth.token_revoked"
    assert me(pair["access"]).status_code == 401
    assert obtain(api_client, "ida@example.test", "a brand new passphrase").status_code == 200


@pytest.mark.django_db
def test_password_change_needs_the_current_password_and_a_strong_new_one():
    user = UserFactory(email="jo@example.test")
    client = APIClient()
    client.force_authenticate(user=user)
    url = "/api/v1/identity/me/password/"

    wrong = client.post(url, {"old_password": "nope", "new_password": "a brand new passphrase"}, format="json")
    weak = client.post(url, {"old_password": PASSWORD, "new_password": "12345678"}, format="json")

    assert (wrong.status_code, wrong.json()["code"]) == (401, "identity.wrong_password")
    assert (weak.status_code, weak.json()["code"]) == (400, "identity.weak_password")
    assert weak.json()["errors"]["password"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
def test_deactivation_revokes_sessions_and_blocks_access(api_client):
    user = UserFactory(email="kim@example.test")
    pair = obtain(api_client, "kim@example.test").json()

    accounts.user_deactivate(user_id=user.id)

    assert refresh(api_client, pair["refresh"]).json()["code"] == "auth.token_revoked"
    assert me(pair["access"]).status_code == 401
    assert obtain(api_client, "kim@example.test").status_code == 401


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_refreshes_with_one_token_let_at_most_one_through():
    UserFactory(email="lee@example.test")
    for _ in range(5):
        token = obtain(APIClient(), "lee@example.test").json()["refresh"]
        barrier = threading.Barrier(2)
        statuses: list[int] = []

        def go(token=token, barrier=barrier, statuses=statuses):
            try:
                barrier.wait()
                statuses.append(refresh(APIClient(), token).status_code)
            finally:
                connection.close()

        threads = [threading.Thread(target=go) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(statuses) == [200, 401]


@pytest.mark.django_db
def test_repeated_failures_lock_the_account_out_even_for_the_right_password(api_client, settings):
    settings.LOGIN_FAILURES_PER_ACCOUNT = 3
    UserFactory(email="max@example.test")
    for _ in range(3):
        assert obtain(api_client, "max@example.test", "wrong").status_code == 401

    locked = obtain(api_client, "max@example.test")

    assert locked.status_code == 429
    assert locked.json()["code"] == "auth.locked_out"
    assert int(locked["Retry-After"]) > 0
    other = obtain(api_client, "someone.else@example.test", "wrong", REMOTE_ADDR="10.9.9.9")
    assert other.status_code == 401  # the lock is per account, not global


@pytest.mark.django_db
def test_many_failures_from_one_address_lock_that_address_out(api_client, settings):
    settings.LOGIN_FAILURES_PER_IP = 4
    UserFactory(email="ned@example.test")
    for i in range(4):
        obtain(api_client, f"guess{i}@example.test", "wrong", REMOTE_ADDR="10.1.2.3")

    from_there = obtain(api_client, "ned@example.test", REMOTE_ADDR="10.1.2.3")
    from_elsewhere = obtain(api_client, "ned@example.test", REMOTE_ADDR="10.1.2.4")

    assert from_there.status_code == 429
    assert from_elsewhere.status_code == 200


@pytest.mark.django_db
def test_token_endpoint_is_rate_limited_per_client(api_client, monkeypatch):
    from django.core.cache import cache
    from rest_framework.throttling import ScopedRateThrottle

    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "auth", "2/min")
    cache.delete("throttle_auth_10.7.7.7")
    UserFactory(email="ola@example.test")
    codes = [obtain(api_client, "ola@example.test", REMOTE_ADDR="10.7.7.7").status_code for _ in range(3)]
    cache.delete("throttle_auth_10.7.7.7")

    assert codes == [200, 200, 429]


@pytest.mark.django_db
def test_api_is_deny_by_default(api_client):
    response = api_client.get("/api/v1/identity/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
