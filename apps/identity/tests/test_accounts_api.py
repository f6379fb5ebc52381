"""Self-registration, my account, my data export, password reset."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.identity.events import UserRegisteredV1
from apps.identity.models import PasswordReset, User
from apps.identity.services import passwords
from apps.identity.tests.factories import UserFactory
from tests.support.account_links import last_link, published
from tests.support.isolation import client_for

pytestmark = pytest.mark.usefixtures("clean_login_guard")
REGISTER = "/api/v1/identity/register/"
GOOD = {"email": "Pat@Example.test", "password": "a long enough passphrase", "display_name": "Pat"}


@pytest.mark.django_db
def test_a_customer_registers_and_can_log_in(api_client, captured_events):
    with captured_events() as events:
        response = api_client.post(REGISTER, GOOD, format="json")

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["email"] == "pat@example.test" and body["is_customer"] is True
    user = User.objects.get(email="pat@example.test")
    assert events == [
        UserRegisteredV1(
            event_id=events[0].event_id, occurred_at=events[0].occurred_at, user_id=user.id, is_customer=True
        )
    ]
    login = api_client.post(
        "/api/v1/auth/token/", {"email": "pat@example.test", "password": GOOD["password"]}, format="json"
    )
    assert login.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"email": "not an email"}, "validation_failed", "email"),
        ({"password": "password"}, "identity.weak_password", None),
        ({"password": "pat@example.test-ish"}, None, None),  # similar to the email: still rejected below
        ({"phone": "0151 123"}, "validation_failed", "phone"),
        ({"is_staff": True}, "validation_failed", "is_staff"),
        ({"display_name": ""}, "validation_failed", "display_name"),
    ],
)
def test_bad_registrations_are_4xx_and_create_nothing(api_client, change, code, field):
    response = api_client.post(REGISTER, {**GOOD, **change}, format="json")
    if code is None and response.status_code == 201:
        pytest.fail("a password resembling the email was accepted")
    assert response.status_code == 400
    body = response.json()
    if code:
        assert body["code"] == code
    if field:
        assert field in body["errors"]
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_registering_an_email_twice_in_any_case_is_a_conflict(api_client):
    assert api_client.post(REGISTER, GOOD, format="json").status_code == 201
    again = api_client.post(REGISTER, {**GOOD, "email": "PAT@example.TEST"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "identity.email_taken"
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_oversized_and_non_json_bodies_are_refused(api_client, settings):
    settings.LOGITRACK_MAX_BODY_BYTES = 2048
    huge = api_client.post(REGISTER, {**GOOD, "display_name": "x" * 5000}, format="json")
    form = api_client.post(REGISTER, "email=a", content_type="application/x-www-form-urlencoded")
    assert (huge.status_code, huge.json()["code"]) == (413, "payload_too_large")
    assert (form.status_code, form.json()["code"]) == (415, "unsupported_media_type")
    assert User.objects.count() == 0


@pytest.mark.django_db
def test_me_shows_and_updates_my_profile():
    user = UserFactory(display_name="Quinn")
    client = client_for(user)
    assert client.get("/api/v1/identity/me/").json()["display_name"] == "Quinn"

    response = client.patch(
        "/api/v1/identity/me/", {"display_name": "Quinn Q", "phone": "+4915112345678"}, format="json"
    )

    assert response.status_code == 200
    assert (response.json()["display_name"], response.json()["phone"]) == ("Quinn Q", "+4915112345678")
    bad = client.patch("/api/v1/identity/me/", {"phone": "12345"}, format="json")
    assert bad.status_code == 400 and "phone" in bad.json()["errors"]
    readonly = client.patch("/api/v1/identity/me/", {"email": "new@example.test"}, format="json")
    assert readonly.status_code == 400 and "email" in readonly.json()["errors"]
    user.refresh_from_db()
    assert (user.phone, user.email) == ("+4915112345678", user.email)


@pytest.mark.django_db
def test_me_lists_roles_and_memberships(two_fleets):
    client = two_fleets.a.client("dispatcher")
    body = client.get("/api/v1/identity/me/").json()
    assert body["roles"] == ["dispatcher"]
    assert [m["fleet_id"] for m in body["memberships"]] == [str(two_fleets.a.fleet_id)]


@pytest.mark.django_db
def test_i_can_export_my_data_as_json():
    user = UserFactory(display_name="Rae", phone="+4915100000001")
    client = client_for(user)
    response = client.get("/api/v1/identity/me/export/")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    body = response.json()
    assert body["user"]["email"] == user.email and body["user"]["phone"] == "+4915100000001"
    assert body["memberships"] == []


def _token_from_mail():
    return re.search(r"token=([\w-]+)", last_link("reset-password")).group(1)


@pytest.mark.django_db(transaction=True)
def test_password_reset_by_emailed_single_use_token(api_client):
    user = UserFactory(email="sam@example.test")
    old = api_client.post(
        "/api/v1/auth/token/", {"email": "sam@example.test", "password": "correct horse battery staple"}, format="json"
    ).json()

    assert (
        api_client.post("/api/v1/identity/password-reset/", {"email": "SAM@example.test"}, format="json").status_code
        == 202
    )
    [requested] = published("reset-password")  # the notifications context mails it (tests/integration)
    assert (requested.user_id, requested.welcome) == (user.id, False)
    token = _token_from_mail()

    confirm = {"token": token, "new_password": "another long passphrase"}
    assert api_client.post("/api/v1/identity/password-reset/confirm/", confirm, format="json").status_code == 204
    again = api_client.post("/api/v1/identity/password-reset/confirm/", confirm, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "identity.reset_token_invalid")
    user.refresh_from_db()
    assert user.check_password("another long passphrase")
    refreshed = api_client.post("/api/v1/auth/token/refresh/", {"refresh": old["refresh"]}, format="json")
    assert refreshed.json()["code"] == "auth.token_revoked"


@pytest.mark.django_db(transaction=True)
def test_password_reset_answers_the_same_for_unknown_emails(api_client):
    response = api_client.post("/api/v1/identity/password-reset/", {"email": "ghost@example.test"}, format="json")
    assert response.status_code == 202
    assert published() == []


@pytest.mark.django_db
def test_an_expired_reset_token_is_refused(api_client):
    user = UserFactory(email="tia@example.test")
    token = passwords.password_reset_request(email="tia@example.test")
    PasswordReset.objects.filter(user=user).update(expires_at=timezone.now() - dt.timedelta(seconds=1))

    response = api_client.post(
        "/api/v1/identity/password-reset/confirm/",
        {"token": token, "new_password": "another long passphrase"},
        format="json",
    )

    assert (response.status_code, response.json()["code"]) == (400, "identity.reset_token_invalid")
    user.refresh_from_db()
    assert user.check_password("correct horse battery staple")


@pytest.mark.django_db
def test_a_reset_with_a_weak_password_keeps_the_token_usable(api_client):
    UserFactory(email="uma@example.test")
    token = passwords.password_reset_request(email="uma@example.test")
    url = "/api/v1/identity/password-reset/confirm/"
    weak = api_client.post(url, {"token": token, "new_password": "123"}, format="json")
    assert weak.json()["code"] == "identity.weak_password"
    assert (
        api_client.post(url, {"token": token, "new_password": "a much better passphrase"}, format="json").status_code
        == 204
    )


def test_platform_admin_can_deactivate_users_and_others_cannot(two_fleets):
    target = two_fleets.a.users["driver"]
    url = f"/api/v1/identity/users/{target.id}/deactivate/"
    manager = two_fleets.a.client("fleet_manager")
    assert manager.post(url).status_code == 403
    admin = APIClient()
    admin.force_authenticate(user=two_fleets.platform_admin)
    assert admin.post(url).status_code == 204
    target.refresh_from_db()
    assert target.is_active is False
