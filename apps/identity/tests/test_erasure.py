"""GDPR erasure: personal data gone from identity's tables, login disabled, other contexts told."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from apps.identity.events import MembershipRevokedV1, UserErasedV1
from apps.identity.models import Invitation, Membership
from apps.identity.services import erasure, invitations, passwords
from apps.identity.tests.factories import MembershipFactory, UserFactory

PII = ("wyn.erase@example.test", "Wyn Erasmus", "+4915199998888")


def identity_rows_containing(*needles):
    """Search every text column of every identity table, as raw SQL sees it."""
    found = []
    with connection.cursor() as cursor:
        tables = [t for t in connection.introspection.table_names(cursor) if t.startswith("identity_")]
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                text = " ".join(str(v) for v in row)
                found += [(table, n) for n in needles if n.lower() in text.lower()]
    return found


@pytest.fixture
def wyn(two_fleets):
    user = UserFactory(email=PII[0], password="wyn's passphrase 1", display_name=PII[1], phone=PII[2])
    MembershipFactory(user=user, fleet_id=two_fleets.a.fleet_id, role="driver")
    invitations.invitation_create(
        principal=two_fleets.b.principal("fleet_manager"), email=PII[0], fleet_id=two_fleets.b.fleet_id, role="driver"
    )
    passwords.password_reset_request(email=PII[0])
    return user


@pytest.mark.django_db
def test_erasure_leaves_no_personal_data_and_publishes_the_event(wyn, api_client, captured_events):
    api_client.post("/api/v1/auth/token/", {"email": PII[0], "password": "wyn's passphrase 1"}, format="json")
    assert identity_rows_containing(*PII)  # the search really finds them before

    with captured_events() as events:
        erasure.user_erase(user_id=wyn.id)

    assert identity_rows_containing(*PII) == []
    assert [type(e) for e in events] == [MembershipRevokedV1, UserErasedV1]
    assert events[-1].user_id == wyn.id
    wyn.refresh_from_db()
    assert not wyn.is_active and not wyn.has_usable_password() and wyn.erased_at is not None
    assert Membership.objects.get(user=wyn).revoked_at is not None
    assert Invitation.objects.filter(email__startswith="erased-").count() == 1
    login = api_client.post("/api/v1/auth/token/", {"email": PII[0], "password": "wyn's passphrase 1"}, format="json")
    assert login.status_code == 401


@pytest.mark.django_db
def test_erasing_twice_is_harmless(wyn, captured_events):
    erasure.user_erase(user_id=wyn.id)
    with captured_events() as events:
        erasure.user_erase(user_id=wyn.id)
    assert events == []


@pytest.mark.django_db
def test_the_management_command_erases_by_email(wyn, capsys):
    call_command("identity_erase_user", "--email", PII[0].upper(), "--yes")
    assert f"erased user {wyn.id}" in capsys.readouterr().out
    assert identity_rows_containing(*PII) == []
    with pytest.raises(CommandError, match="no such user"):
        call_command("identity_erase_user", "--email", "nobody@example.test", "--yes")


@pytest.mark.django_db
def test_the_admin_action_erases(wyn, two_fleets, client):
    client.force_login(two_fleets.platform_admin)
    response = client.post("/admin/identity/user/", {"action": "erase", "_selected_action": [str(wyn.id)]}, follow=True)
    assert response.status_code == 200
    assert identity_rows_containing(*PII) == []
