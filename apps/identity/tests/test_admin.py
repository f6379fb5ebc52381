"""Admin as a real logged-in fleet manager: only their own fleets' people, and changes through services."""

import uuid

import pytest

from apps.identity import api
from apps.identity.models import Invitation, Membership
from tests.support.account_links import last_link, published

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_a(two_fleets, client):
    client.force_login(two_fleets.a.users["fleet_manager"])
    return client


def test_a_fleet_manager_reaches_the_admin_through_the_group(manager_a):
    assert manager_a.get("/admin/").status_code == 200


def test_user_list_shows_only_members_of_managed_fleets(manager_a, two_fleets):
    page = manager_a.get("/admin/identity/user/").content.decode()
    for user in two_fleets.a.users.values():
        assert user.email in page
    for user in [*two_fleets.b.users.values(), two_fleets.customer, two_fleets.platform_admin]:
        assert user.email not in page


def test_another_fleets_user_and_membership_pages_are_not_found(manager_a, two_fleets):
    b_driver = two_fleets.b.users["driver"]
    b_membership = Membership.objects.get(user=b_driver)
    assert manager_a.get(f"/admin/identity/user/{b_driver.id}/change/", follow=True).redirect_chain[-1][0] == "/admin/"
    assert (
        manager_a.get(f"/admin/identity/membership/{b_membership.id}/change/", follow=True).redirect_chain[-1][0]
        == "/admin/"
    )


def test_fleet_managers_cannot_edit_users_or_grant_themselves_powers(manager_a, two_fleets):
    me = two_fleets.a.users["fleet_manager"]
    response = manager_a.post(f"/admin/identity/user/{me.id}/change/", {"email": me.email, "is_superuser": "on"})
    assert response.status_code == 403
    me.refresh_from_db()
    assert not me.is_superuser


def test_membership_list_and_revoke_action_are_scoped(manager_a, two_fleets):
    api.fleet_name_record(fleet_id=two_fleets.a.fleet_id, name="Alpha Logistics")
    api.fleet_name_record(fleet_id=two_fleets.b.fleet_id, name="Bravo Freight")
    page = manager_a.get("/admin/identity/membership/").content.decode()
    assert "Alpha Logistics" in page and "Bravo Freight" not in page  # fleets by name, never by id
    assert str(two_fleets.a.fleet_id) not in page

    b_membership = Membership.objects.get(user=two_fleets.b.users["driver"])
    a_membership = Membership.objects.get(user=two_fleets.a.users["driver"])
    manager_a.post(
        "/admin/identity/membership/",
        {"action": "revoke", "_selected_action": [str(a_membership.id), str(b_membership.id)]},
    )
    a_membership.refresh_from_db()
    b_membership.refresh_from_db()
    assert a_membership.revoked_at is not None
    assert b_membership.revoked_at is None  # not in the manager's queryset, so never touched


def test_inviting_from_the_admin_goes_through_the_service_and_has_the_email_sent(manager_a, two_fleets):
    response = manager_a.post(
        "/admin/identity/invitation/add/",
        {"email": "from.admin@example.test", "fleet_id": str(two_fleets.a.fleet_id), "role": "dispatcher"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    invitation = Invitation.objects.get(email="from.admin@example.test")
    assert invitation.invited_by_id == two_fleets.a.users["fleet_manager"].id
    [event] = published("invitation")  # the notifications context mails it
    assert event.invitation_id == invitation.id and "/invitation?token=" in last_link("invitation")


def test_inviting_into_another_fleet_from_the_admin_is_refused(manager_a, two_fleets):
    response = manager_a.post(
        "/admin/identity/invitation/add/",
        {"email": "sneaky@example.test", "fleet_id": str(two_fleets.b.fleet_id), "role": "driver"},
    )
    assert response.status_code == 200  # the form comes back with an error
    assert "Select a valid choice" in response.content.decode()
    assert not Invitation.objects.filter(email="sneaky@example.test").exists()


def test_a_platform_admin_cannot_invite_into_a_fleet_id_that_is_no_fleet(two_fleets, client):
    client.force_login(two_fleets.platform_admin)
    form = {"email": "lost@example.test", "role": "driver"}
    response = client.post("/admin/identity/invitation/add/", {**form, "fleet_id": str(uuid.uuid4())})
    assert response.status_code == 200 and "No fleet with this id" in response.content.decode()
    assert not Invitation.objects.filter(email="lost@example.test").exists()
    added = client.post("/admin/identity/invitation/add/", {**form, "fleet_id": str(two_fleets.a.fleet_id)})
    assert added.status_code == 302 and Invitation.objects.filter(email="lost@example.test").exists()


def test_platform_admin_sees_everyone(two_fleets, client):
    client.force_login(two_fleets.platform_admin)
    page = client.get("/admin/identity/user/").content.decode()
    assert two_fleets.b.users["driver"].email in page and two_fleets.customer.email in page
