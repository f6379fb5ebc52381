"""Test factories of the identity context, written with factory-boy. They make things as the product does: users
through the user manager (email normalised, password hashed), memberships through the service (the fleet-manager
group and staff flag kept in step, MembershipGrantedV1 published)."""

from __future__ import annotations

import uuid

import factory

from apps.identity.contracts import FleetRole
from apps.identity.models import Membership, User
from apps.identity.services import memberships

PASSWORD = "correct horse battery staple"  # every factory user's password unless a test says otherwise


class UserFactory(factory.django.DjangoModelFactory):
    """An active account that logs in with PASSWORD; any User field may be given (`password=` too)."""

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.test")
    password = PASSWORD

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._get_manager(model_class).create_user(*args, **kwargs)


class CustomerFactory(UserFactory):
    """A customer of the apps (self-registered as one)."""

    email = factory.Sequence(lambda n: f"customer{n}@example.test")
    is_customer = True


class PlatformAdminFactory(UserFactory):
    """A platform admin (superuser)."""

    email = factory.Sequence(lambda n: f"admin{n}@example.test")

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return cls._get_manager(model_class).create_superuser(*args, **kwargs)


class MembershipFactory(factory.django.DjangoModelFactory):
    """A fleet role granted through the service (a fresh user and fleet id unless given)."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    fleet_id = factory.LazyFunction(uuid.uuid4)
    role = FleetRole.DRIVER
    granted_by_id = None

    @classmethod
    def _create(cls, model_class, *, user, fleet_id, role, granted_by_id=None):
        return memberships.membership_grant(
            user_id=user.id, fleet_id=fleet_id, role=FleetRole(role), granted_by_id=granted_by_id
        )
