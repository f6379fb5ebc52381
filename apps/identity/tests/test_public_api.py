import uuid

import pytest

from apps.identity import api
from apps.identity.contracts import FleetRole, MembershipExists, MembershipRef, UserNotFound, UserRef
from apps.identity.tests.factories import UserFactory
from logitrack.principal import Role

pytestmark = pytest.mark.django_db


def test_principal_reflects_roles_and_fleets(two_fleets):
    manager = api.principal_get(user_id=two_fleets.a.users["fleet_manager"].id)
    assert manager.roles == {Role.FLEET_MANAGER}
    assert manager.may_act_on_fleet(two_fleets.a.fleet_id, Role.FLEET_MANAGER)
    assert not manager.may_act_on_fleet(two_fleets.b.fleet_id)
    admin = api.principal_get(user_id=two_fleets.platform_admin.id)
    assert admin.is_platform_admin and admin.may_act_on_fleet(two_fleets.b.fleet_id)
    assert api.principal_get(user_id=two_fleets.customer.id).roles == {Role.CUSTOMER}
    assert api.principal_get(user_id=uuid.uuid4()) is None


def test_users_come_back_as_contracts_without_contact_details(two_fleets):
    driver = two_fleets.a.users["driver"]
    refs = api.users_get(user_ids=[driver.id, uuid.uuid4()])
    assert refs == [UserRef(id=driver.id, display_name=driver.display_name, is_active=True)]
    with pytest.raises(UserNotFound):
        api.user_get(user_id=uuid.uuid4())


def test_membership_grant_and_fleet_members():
    fleet_id = uuid.uuid4()
    user = UserFactory()
    ref = api.membership_grant(user_id=user.id, fleet_id=fleet_id, role=FleetRole.FLEET_MANAGER)
    assert isinstance(ref, MembershipRef) and ref.role is FleetRole.FLEET_MANAGER
    assert api.fleet_members(fleet_id=fleet_id) == [ref]
    assert api.fleet_members(fleet_id=fleet_id, role=FleetRole.DRIVER) == []
    with pytest.raises(MembershipExists):
        api.membership_grant(user_id=user.id, fleet_id=fleet_id, role=FleetRole.FLEET_MANAGER)


@pytest.mark.django_db
def test_contacts_of_many_users_come_in_one_query_in_order_without_the_inactive(django_assert_num_queries):
    a, b, gone = UserFactory(display_name="A"), UserFactory(display_name="B"), UserFactory(is_active=False)
    with django_assert_num_queries(1):
        found = api.user_contacts_get(user_ids=[b.id, gone.id, a.id, b.id, uuid.uuid4()])
    assert [(c.id, c.email) for c in found] == [(b.id, b.email), (a.id, a.email)]
