"""GDPR erasure over REST: a platform admin erases a user by id, a user their own account with their password; each
refusal its own 4xx problem (never a 500), nothing erased by a refused request."""

import uuid

import pytest

from apps.identity.events import UserErasedV1
from apps.identity.models import User
from apps.identity.tests.factories import PlatformAdminFactory, UserFactory
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db
PASSWORD = "wyn's passphrase 1"


def problem(response, status: int, code: str) -> None:
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == code


def erased(user) -> bool:
    user.refresh_from_db()
    return user.erased_at is not None


@pytest.fixture
def wyn():
    return UserFactory(email="wyn.erase@example.test", password=PASSWORD, display_name="Wyn Erasmus")


def test_a_platform_admin_erases_a_user_and_the_event_goes_out(two_fleets, wyn, captured_events):
    admin = client_for(two_fleets.platform_admin)
    with captured_events() as events:
        response = admin.post(f"/api/v1/identity/users/{wyn.id}/erase/")
    assert response.status_code == 200 and response.json()["id"] == str(wyn.id)
    assert erased(wyn) and wyn.display_name == "" and not wyn.is_active
    assert [type(e) for e in events][-1] is UserErasedV1
    problem(admin.post(f"/api/v1/identity/users/{wyn.id}/erase/"), 409, "identity.already_erased")
    problem(admin.post(f"/api/v1/identity/users/{uuid.uuid4()}/erase/"), 404, "identity.user_not_found")


def test_nobody_else_erases_another_account_and_admins_are_not_erased(two_fleets, wyn):
    for role, user in two_fleets.a.users.items():
        response = client_for(user).post(f"/api/v1/identity/users/{wyn.id}/erase/")
        assert response.status_code == 403, role
    assert client_for(two_fleets.customer).post(f"/api/v1/identity/users/{wyn.id}/erase/").status_code == 403
    # an id nobody has gets the same answer: the endpoint tells a non-admin nothing about which accounts exist
    manager = client_for(two_fleets.a.users["fleet_manager"])
    known, unknown = (manager.post(f"/api/v1/identity/users/{i}/erase/") for i in (wyn.id, uuid.uuid4()))
    assert (unknown.status_code, unknown.json()["code"]) == (known.status_code, known.json()["code"])
    assert known.status_code == 403
    assert not erased(wyn)
    other_admin = PlatformAdminFactory()
    admin = client_for(two_fleets.platform_admin)
    problem(admin.post(f"/api/v1/identity/users/{other_admin.id}/erase/"), 409, "identity.erase_admin")
    problem(admin.post(f"/api/v1/identity/users/{two_fleets.platform_admin.id}/erase/"), 409, "identity.erase_admin")
    assert not erased(other_admin) and not erased(two_fleets.platform_admin)


def test_a_user_erases_their_own_account_with_their_password(wyn):
    me = client_for(wyn)
    problem(me.post("/api/v1/identity/me/erase/", {"password": "guess"}, format="json"), 403, "identity.wrong_password")
    for bad in ({}, {"password": 12}, {"password": "x", "also": 1}, []):
        response = me.post("/api/v1/identity/me/erase/", bad, format="json")
        assert response.status_code == 400 and response["Content-Type"].startswith("application/problem+json")
    assert not erased(wyn)
    done = me.post("/api/v1/identity/me/erase/", {"password": PASSWORD}, format="json")
    assert done.status_code == 200 and erased(wyn)
    assert not User.objects.get(id=wyn.id).is_active
    login = client_for(wyn).post(
        "/api/v1/auth/token/", {"email": "wyn.erase@example.test", "password": PASSWORD}, format="json"
    )
    assert login.status_code == 401  # no more sign-ins


def test_a_platform_admin_cannot_erase_themselves_over_the_api(two_fleets):
    admin = two_fleets.platform_admin
    response = client_for(admin).post("/api/v1/identity/me/erase/", {"password": "any"}, format="json")
    problem(response, 409, "identity.erase_admin")
    assert not erased(admin)
