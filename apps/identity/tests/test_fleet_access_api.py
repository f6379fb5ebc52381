"""Invitations and memberships: fleet managers manage their own fleets only (isolation kit)."""

import datetime as dt
import re
import uuid

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from apps.identity.events import MembershipGrantedV1, MembershipRevokedV1
from apps.identity.models import Invitation, Membership, User
from apps.identity.services import invitations, memberships
from tests.support.account_links import last_link
from tests.support.isolation import assert_hidden, assert_never_lists, client_for, listed_ids

pytestmark = pytest.mark.usefixtures("clean_login_guard")
INVITES = "/api/v1/identity/invitations/"
MEMBERS = "/api/v1/identity/memberships/"


def invite(client, fleet_id, email="new.driver@example.test", role="driver"):
    return client.post(INVITES, {"email": email, "fleet_id": str(fleet_id), "role": role}, format="json")


@pytest.mark.django_db(transaction=True)
def test_a_manager_invites_and_the_invitee_accepts_by_setting_a_password(two_fleets, captured_events):
    manager = two_fleets.a.client("fleet_manager")
    created = invite(manager, two_fleets.a.fleet_id, email="Vic@Example.test")
    assert created.status_code == 201, created.json()
    assert created.json()["email"] == "vic@example.test"
    token = re.search(r"token=([\w-]+)", last_link("invitation")).group(1)

    with captured_events() as events:
        accepted = APIClient().post(
            f"{INVITES}accept/",
            {"token": token, "password": "vic's own passphrase", "display_name": "Vic"},
            format="json",
        )

    assert accepted.status_code == 201, accepted.json()
    vic = User.objects.get(email="vic@example.test")
    assert accepted.json()["role"] == "driver" and accepted.json()["fleet_id"] == str(two_fleets.a.fleet_id)
    assert [type(e) for e in events][-1] is MembershipGrantedV1
    login = APIClient().post(
        "/api/v1/auth/token/", {"email": "vic@example.test", "password": "vic's own passphrase"}, format="json"
    )
    assert login.status_code == 200
    again = APIClient().post(f"{INVITES}accept/", {"token": token, "password": "vic's own passphrase"}, format="json")
    assert (again.status_code, again.json()["code"]) == (400, "identity.invitation_invalid")
    assert vic.memberships.count() == 1


@pytest.mark.django_db
def test_an_existing_account_accepts_with_its_own_password_only(two_fleets):
    driver_b = two_fleets.b.users["driver"]
    principal = two_fleets.a.principal("fleet_manager")
    _, token = invitations.invitation_create(
        principal=principal, email=driver_b.email, fleet_id=two_fleets.a.fleet_id, role="driver"
    )

    wrong = APIClient().post(f"{INVITES}accept/", {"token": token, "password": "attacker's choice 123"}, format="json")
    assert wrong.status_code == 401
    driver_b.refresh_from_db()
    assert driver_b.check_password("correct horse battery staple")

    right = APIClient().post(
        f"{INVITES}accept/", {"token": token, "password": "correct horse battery staple"}, format="json"
    )
    assert right.status_code == 201
    assert set(Membership.objects.filter(user=driver_b).values_list("fleet_id", flat=True)) == {
        two_fleets.a.fleet_id,
        two_fleets.b.fleet_id,
    }


@pytest.mark.django_db
def test_expired_and_revoked_invitations_cannot_be_accepted(two_fleets):
    principal = two_fleets.a.principal("fleet_manager")
    expired, t1 = invitations.invitation_create(
        principal=principal, email="x@example.test", fleet_id=two_fleets.a.fleet_id, role="driver"
    )
    revoked, t2 = invitations.invitation_create(
        principal=principal, email="y@example.test", fleet_id=two_fleets.a.fleet_id, role="driver"
    )
    Invitation.objects.filter(id=expired.id).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
    assert two_fleets.a.client("fleet_manager").delete(f"{INVITES}{revoked.id}/").status_code == 204

    for token in (t1, t2, "made-up-token"):
        response = APIClient().post(
            f"{INVITES}accept/", {"token": token, "password": "a fine passphrase"}, format="json"
        )
        assert (response.status_code, response.json()["code"]) == (400, "identity.invitation_invalid")
    assert not User.objects.filter(email__in=["x@example.test", "y@example.test"]).exists()


@pytest.mark.django_db
def test_only_managers_of_the_fleet_may_invite(two_fleets):
    assert invite(two_fleets.a.client("dispatcher"), two_fleets.a.fleet_id).status_code == 403
    assert invite(two_fleets.a.client("driver"), two_fleets.a.fleet_id).status_code == 403
    other = invite(two_fleets.a.client("fleet_manager"), two_fleets.b.fleet_id)
    assert (other.status_code, other.json()["code"]) == (404, "fleet.not_found")  # another fleet: as if none
    assert invite(client_for(two_fleets.customer), two_fleets.a.fleet_id).status_code == 403
    nowhere = invite(client_for(two_fleets.platform_admin), uuid.uuid4())  # a platform admin may invite anywhere...
    assert (nowhere.status_code, nowhere.json()["code"]) == (404, "fleet.not_found")  # ...that is a fleet
    assert Invitation.objects.count() == 0
    assert invite(client_for(two_fleets.platform_admin), two_fleets.b.fleet_id).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    "payload",
    [
        {"email": "a@example.test", "fleet_id": "not-a-uuid", "role": "driver"},
        {"email": "a@example.test", "role": "driver"},
        {"email": "a@example.test", "fleet_id": str(uuid.uuid4()), "role": "captain"},
        {"email": "@@", "fleet_id": str(uuid.uuid4()), "role": "driver"},
    ],
)
def test_bad_invitations_are_400(two_fleets, payload):
    response = two_fleets.a.client("fleet_manager").post(INVITES, payload, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "validation_failed"
    assert Invitation.objects.count() == 0


@pytest.mark.django_db
def test_managers_list_and_revoke_only_their_fleets_members(two_fleets, captured_events):
    manager_a = two_fleets.a.client("fleet_manager")
    b_memberships = Membership.objects.filter(fleet_id=two_fleets.b.fleet_id)

    seen = assert_never_lists(manager_a, MEMBERS, b_memberships.values_list("id", flat=True))
    assert seen == {
        str(i) for i in Membership.objects.filter(fleet_id=two_fleets.a.fleet_id).values_list("id", flat=True)
    }
    assert listed_ids(manager_a, MEMBERS, params={"fleet_id": str(two_fleets.b.fleet_id)}) == set()
    for membership in b_memberships:
        assert_hidden(manager_a, "DELETE", f"{MEMBERS}{membership.id}/")
    assert b_memberships.filter(revoked_at__isnull=True).count() == 3

    driver_a = Membership.objects.get(fleet_id=two_fleets.a.fleet_id, role="driver")
    with captured_events() as events:
        assert manager_a.delete(f"{MEMBERS}{driver_a.id}/").status_code == 204
    assert [type(e) for e in events] == [MembershipRevokedV1]
    assert str(driver_a.id) not in listed_ids(manager_a, MEMBERS)


@pytest.mark.django_db
def test_invitations_of_other_fleets_are_invisible(two_fleets):
    manager_b = two_fleets.b.principal("fleet_manager")
    b_invite, _ = invitations.invitation_create(
        principal=manager_b, email="z@example.test", fleet_id=two_fleets.b.fleet_id, role="driver"
    )
    manager_a = two_fleets.a.client("fleet_manager")
    invite(manager_a, two_fleets.a.fleet_id)

    assert_never_lists(manager_a, INVITES, [b_invite.id])
    assert_hidden(manager_a, "DELETE", f"{INVITES}{b_invite.id}/")
    assert Invitation.objects.get(id=b_invite.id).revoked_at is None


@pytest.mark.django_db
def test_roles_without_management_rights_cannot_list_members(two_fleets):
    for role in ("dispatcher", "driver"):
        assert two_fleets.a.client(role).get(MEMBERS).status_code == 403
    assert client_for(two_fleets.customer).get(MEMBERS).status_code == 403


@pytest.mark.django_db
def test_list_filters_are_validated(two_fleets):
    manager = two_fleets.a.client("fleet_manager")
    assert manager.get(MEMBERS, {"fleet_id": "nope"}).status_code == 400
    assert manager.get(MEMBERS, {"role": "captain"}).status_code == 400
    drivers = listed_ids(manager, MEMBERS, params={"role": "driver"})
    assert drivers == {str(Membership.objects.get(fleet_id=two_fleets.a.fleet_id, role="driver").id)}


@pytest.mark.django_db
def test_platform_admin_sees_every_fleet(two_fleets):
    admin = client_for(two_fleets.platform_admin)
    assert len(listed_ids(admin, MEMBERS)) == 6


@pytest.mark.django_db
def test_granting_fleet_manager_makes_an_admin_staff_member_and_revoking_undoes_it(two_fleets):
    manager = two_fleets.a.users["fleet_manager"]
    manager.refresh_from_db()
    assert manager.is_staff and manager.groups.filter(name="Fleet managers").exists()
    membership = Membership.objects.get(user=manager)
    memberships.membership_revoke(membership_id=membership.id, principal=None)
    manager.refresh_from_db()
    assert not manager.is_staff and not manager.groups.exists()


@pytest.mark.django_db
def test_list_filters_answer_the_problem_body_naming_each_bad_parameter(two_fleets):
    manager = two_fleets.a.client("fleet_manager")
    for url, params, errors in [
        (MEMBERS, {"fleet_id": ""}, {"fleet_id": ["Must be a valid UUID."]}),
        (MEMBERS, {"role": "captain"}, {"role": ["must be one of dispatcher, driver, fleet_manager"]}),
        (INVITES, {"fleet_id": "nope"}, {"fleet_id": ["Must be a valid UUID."]}),
    ]:
        response = manager.get(url, params)
        assert (response.status_code, response.json()["code"]) == (400, "validation_failed")
        assert response.json()["errors"] == errors


@pytest.mark.django_db
def test_the_schema_documents_the_list_filters(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()

    def params(path):
        return {p["name"]: p["schema"] for p in schema["paths"][path]["get"]["parameters"]}

    members = params("/api/v1/identity/memberships/")
    assert members["fleet_id"] == {"type": "string", "format": "uuid"}
    assert members["role"]["enum"] == ["dispatcher", "driver", "fleet_manager"]
    assert params("/api/v1/identity/invitations/")["fleet_id"] == {"type": "string", "format": "uuid"}
