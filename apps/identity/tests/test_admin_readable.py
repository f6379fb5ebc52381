"""Identity's admin in names: fleets by the name fleet told identity, people by email, never an id on the page."""

from __future__ import annotations

import re

import pytest

from apps.identity import api
from apps.identity.models import Invitation, Membership

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)


def _text(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_memberships_and_invitations_name_the_fleet_and_show_no_id(two_fleets, client):
    api.fleet_name_record(fleet_id=two_fleets.a.fleet_id, name="Alpha Logistics")  # as fleet tells it
    manager = two_fleets.a.users["fleet_manager"]
    Invitation.objects.create(
        email="new.driver@example.test",
        fleet_id=two_fleets.a.fleet_id,
        role="driver",
        invited_by=manager,
        token_hash="x" * 64,
        expires_at="2030-01-01T00:00:00Z",
    )
    client.force_login(manager)
    membership = Membership.objects.filter(fleet_id=two_fleets.a.fleet_id, user=manager).first()
    invitation = Invitation.objects.get(email="new.driver@example.test")

    for path in (
        "/admin/identity/membership/",
        f"/admin/identity/membership/{membership.pk}/change/",
        "/admin/identity/invitation/",
        f"/admin/identity/invitation/{invitation.pk}/change/",
        f"/admin/identity/user/{manager.pk}/change/",
    ):
        page = client.get(path)
        assert page.status_code == 200, path
        text = _text(page)
        assert "Alpha Logistics" in text, path
        assert not UUID.search(text), f"{path}: {UUID.search(text).group()}"
    assert "new.driver@example.test" in _text(client.get("/admin/identity/invitation/"))


def test_a_fleet_identity_was_never_told_of_reads_unknown_not_its_id(two_fleets, client):
    client.force_login(two_fleets.a.users["fleet_manager"])
    text = _text(client.get("/admin/identity/membership/"))
    assert f"unknown ({str(two_fleets.a.fleet_id)[:8]})" in text
    assert str(two_fleets.a.fleet_id) not in text
