"""The links identity hands out for account mails: made from the row when asked, never stored, found again after
a key rotation, and nothing once the row is used, revoked or expired, or for a bad kind or id."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.identity import api
from apps.identity.models import PasswordReset
from apps.identity.services import invitations, passwords
from apps.identity.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def reset_link(user_email: str):
    token = passwords.password_reset_request(email=user_email)
    reset = PasswordReset.objects.get(user__email=user_email)
    return token, api.account_link(kind="password_reset", link_id=str(reset.id))


def test_a_reset_link_carries_the_token_whose_digest_alone_is_stored(settings):
    user = UserFactory(email="ria@example.test", display_name="Ria Stone")
    token, link = reset_link(user.email)
    assert link.url == f"{settings.LOGITRACK_APP_URL}/reset-password?token={token}"
    assert (link.email, link.user_id, link.display_name) == (user.email, user.id, "Ria Stone")
    assert token not in PasswordReset.objects.get().token_hash


def test_a_link_made_before_a_key_rotation_is_still_found(settings):
    UserFactory(email="rot@example.test")
    settings.SECRET_KEY = "the old key " * 5
    token, _ = reset_link("rot@example.test")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the new key " * 5, ["the old key " * 5]
    reset = PasswordReset.objects.get()
    assert api.account_link(kind="password_reset", link_id=str(reset.id)).url.endswith(token)
    settings.SECRET_KEY_FALLBACKS = []  # the old key dropped: the link can no longer be made
    assert api.account_link(kind="password_reset", link_id=str(reset.id)) is None


def test_a_used_or_expired_reset_opens_nothing():
    UserFactory(email="old@example.test")
    token, link = reset_link("old@example.test")
    assert link is not None
    reset = PasswordReset.objects.get()
    PasswordReset.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert api.account_link(kind="password_reset", link_id=str(reset.id)) is None
    PasswordReset.objects.update(expires_at=timezone.now() + dt.timedelta(hours=1))
    passwords.password_reset_confirm(token=token, new_password="a brand new passphrase 7")
    assert api.account_link(kind="password_reset", link_id=str(reset.id)) is None


def test_an_invitation_link_names_fleet_role_and_inviter_until_it_is_revoked(two_fleets):
    manager = two_fleets.a.users["fleet_manager"]
    manager.display_name = "Mia Manager"
    manager.save()
    principal = api.principal_get(user_id=manager.id)
    invitation, token = invitations.invitation_create(
        principal=principal, email="New@Example.test", fleet_id=two_fleets.a.fleet_id, role="dispatcher"
    )
    link = api.account_link(kind="invitation", link_id=str(invitation.id))
    assert link.url.endswith(f"/invitation?token={token}")
    assert (link.email, link.fleet_id, link.role, link.invited_by) == (
        "new@example.test",
        two_fleets.a.fleet_id,
        "dispatcher",
        "Mia Manager",
    )
    invitations.invitation_revoke(principal=principal, invitation_id=invitation.id)
    assert api.account_link(kind="invitation", link_id=str(invitation.id)) is None


UNKNOWN_UUID = "00000000-0000-4000-8000-00000000dead"  # fixed: every pytest-xdist worker collects the same ids


@pytest.mark.parametrize(
    ("kind", "link_id"),
    [("password_reset", "not-a-number"), ("invitation", "not-a-uuid"), ("invitation", UNKNOWN_UUID), ("x", "1")],
)
def test_bad_kinds_and_ids_open_nothing(kind, link_id):
    assert api.account_link(kind=kind, link_id=link_id) is None
