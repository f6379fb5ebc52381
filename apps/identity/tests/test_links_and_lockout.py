"""Emailed links and the login guard: a reset lifts the account's lockout, accepting an invitation with an existing
account is a guarded login, and the pages keep only a link token's digest in the session."""

import re

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.test import Client
from rest_framework.test import APIClient

from apps.identity.models import Membership, token_digest
from apps.identity.services import invitations, passwords
from apps.identity.tests.factories import UserFactory
from tests.support.account_links import last_link

PASSWORD = "correct horse battery staple"
NEW_PASSWORD = "a brand new passphrase 42"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_login_guard")]


def token_login(email, password):
    return APIClient().post("/api/v1/auth/token/", {"email": email, "password": password}, format="json")


def lock_out(email):
    for n in range(5):
        assert token_login(email, f"guess {n}").status_code == 401
    assert token_login(email, PASSWORD).status_code == 429


def emailed_token(kind: str) -> str:
    """The token of the last `kind` link ("reset-password", "invitation") identity handed out to be mailed."""
    found = re.search(rf"/{kind}\?token=(\S+)", last_link(kind))
    assert found
    return found.group(1)


@pytest.fixture
def mailed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def test_a_password_reset_on_the_page_lifts_the_lockout(mailed):
    user = UserFactory(email="locked@example.test")
    lock_out(user.email)
    locked_page = Client().post("/login/", {"email": user.email, "password": PASSWORD})
    assert locked_page.status_code == 429
    with mailed():
        passwords.password_reset_request(email=user.email)

    phone = Client()
    phone.get(f"/reset-password?token={emailed_token('reset-password')}")
    done = phone.post("/reset-password", {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})

    assert done.status_code == 200 and b"Password changed" in done.content
    assert token_login(user.email, NEW_PASSWORD).status_code == 200  # the locked-out page promised this
    assert not AccessAttempt.objects.filter(username=user.email).exists()


def test_a_password_reset_through_the_api_lifts_the_lockout(mailed):
    user = UserFactory(email="locked.api@example.test")
    lock_out(user.email)
    with mailed():
        passwords.password_reset_request(email=user.email)

    confirm = {"token": emailed_token("reset-password"), "new_password": NEW_PASSWORD}
    assert APIClient().post("/api/v1/identity/password-reset/confirm/", confirm, format="json").status_code == 204
    assert token_login(user.email, NEW_PASSWORD).status_code == 200


@pytest.fixture
def invite_existing(two_fleets, mailed):
    existing = two_fleets.b.users["driver"]
    with mailed():
        invitations.invitation_create(
            principal=two_fleets.a.principal("fleet_manager"),
            email=existing.email,
            fleet_id=two_fleets.a.fleet_id,
            role="dispatcher",
        )
    return existing, emailed_token("invitation")


def test_guessing_an_existing_accounts_password_through_the_invitation_api_is_counted_and_locked(
    two_fleets, invite_existing
):
    existing, token = invite_existing
    accept = "/api/v1/identity/invitations/accept/"
    for n in range(5):
        wrong = APIClient().post(accept, {"token": token, "password": f"guess {n}"}, format="json")
        assert (wrong.status_code, wrong.json()["code"]) == (401, "auth.invalid_credentials")

    right = APIClient().post(accept, {"token": token, "password": PASSWORD}, format="json")
    assert (right.status_code, right.json()["code"]) == (429, "auth.locked_out")
    assert int(right["Retry-After"]) > 0
    assert token_login(existing.email, PASSWORD).status_code == 429  # one counter with every login form
    assert not Membership.objects.filter(user=existing, fleet_id=two_fleets.a.fleet_id).exists()


def test_the_invitation_page_refuses_a_locked_account_even_with_its_password(two_fleets, invite_existing):
    existing, token = invite_existing
    lock_out(existing.email)
    phone = Client()
    phone.get(f"/invitation?token={token}")

    answer = phone.post("/invitation", {"password": PASSWORD})

    assert answer.status_code == 429 and b"Too many attempts" in answer.content
    assert not Membership.objects.filter(user=existing, fleet_id=two_fleets.a.fleet_id).exists()


def test_accepting_with_the_right_password_clears_the_accounts_failures(two_fleets, invite_existing):
    existing, token = invite_existing
    token_login(existing.email, "one wrong guess")
    accepted = APIClient().post("/api/v1/identity/invitations/accept/", {"token": token, "password": PASSWORD})
    assert accepted.status_code == 201
    assert not AccessAttempt.objects.filter(username=existing.email).exists()


def session_data() -> str:
    return repr([session.get_decoded() for session in Session.objects.all()])


def test_the_pages_keep_only_the_link_tokens_digest_in_the_session(two_fleets, mailed):
    with mailed():
        invitations.invitation_create(
            principal=two_fleets.a.principal("fleet_manager"),
            email="new.person@example.test",
            fleet_id=two_fleets.a.fleet_id,
            role="driver",
        )
    invitation_token = emailed_token("invitation")
    user = UserFactory(email="forgetful@example.test")
    with mailed():
        passwords.password_reset_request(email=user.email)
    reset_token = emailed_token("reset-password")
    phone = Client()

    assert phone.get(f"/invitation?token={invitation_token}")["Location"] == "/invitation"
    assert phone.get("/invitation").status_code == 200
    assert phone.get(f"/reset-password?token={reset_token}")["Location"] == "/reset-password"
    assert phone.get("/reset-password").status_code == 200

    stored = session_data()
    assert invitation_token not in stored and reset_token not in stored
    assert token_digest(invitation_token) in stored and token_digest(reset_token) in stored
    done = phone.post("/reset-password", {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD})
    assert done.status_code == 200 and token_login(user.email, NEW_PASSWORD).status_code == 200
