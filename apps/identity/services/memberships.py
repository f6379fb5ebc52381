"""Fleet memberships: fleet roles granted and revoked, fleet managers kept in the admin's fleet-manager group (and
staff) while they hold the role, and the fleet names the fleet context tells identity."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import Group
from django.utils import timezone

from apps.identity import principals, selectors
from apps.identity.contracts import FleetRole, MembershipExists, UserNotFound
from apps.identity.events import MembershipGrantedV1, MembershipRevokedV1
from apps.identity.models import FleetName, Membership, User
from logitrack.db import contexts
from logitrack.exceptions import NotFound
from logitrack.outbox.api import publish
from logitrack.principal import Principal

FLEET_MANAGERS_GROUP = "Fleet managers"


def fleet_name_record(*, fleet_id: uuid.UUID, name: str) -> None:
    """Remember a fleet's display name (the fleet context pushes it down: identity may not ask fleet)."""
    FleetName.objects.update_or_create(fleet_id=fleet_id, defaults={"name": name})


def _sync_staff(user: User) -> None:
    """Fleet managers work in the admin through the fleet-manager group; nobody else is staff by role."""
    manages = Membership.objects.filter(user=user, role=FleetRole.FLEET_MANAGER, revoked_at__isnull=True).exists()
    group, _ = Group.objects.get_or_create(name=FLEET_MANAGERS_GROUP)
    if manages:
        user.groups.add(group)
    else:
        user.groups.remove(group)
    staff = manages or user.is_superuser
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff", "updated_at"])
    principals.forget(user.id)  # the user's fleets changed: their next request sees it


@contexts.atomic("identity")
def membership_grant(
    *, user_id: uuid.UUID, fleet_id: uuid.UUID, role: FleetRole, granted_by_id: uuid.UUID | None
) -> Membership:
    user = selectors.user_get(user_id=user_id, for_update=True)
    if not user.is_active:
        raise UserNotFound(f"user {user_id} is not active")
    if Membership.objects.filter(user=user, fleet_id=fleet_id, role=role, revoked_at__isnull=True).exists():
        raise MembershipExists(f"the user is already {role} of this fleet")
    membership = Membership.objects.create(user=user, fleet_id=fleet_id, role=role, granted_by_id=granted_by_id)
    _sync_staff(user)
    publish(MembershipGrantedV1(membership_id=membership.id, user_id=user.id, fleet_id=fleet_id, role=FleetRole(role)))
    return membership


@contexts.atomic("identity")
def membership_revoke(*, membership_id: uuid.UUID, principal: Principal | None) -> Membership:
    """Revoke a membership. `principal` None means a trusted internal caller (another context's api)."""
    rows = Membership.objects if principal is None else selectors.memberships_visible(principal=principal)
    membership = rows.select_for_update().select_related("user").filter(id=membership_id).first()
    if membership is None:  # another fleet's looks like none at all
        raise NotFound("no such membership", code="identity.membership_not_found")
    if membership.revoked_at is None:
        membership.revoked_at = timezone.now()
        membership.save(update_fields=["revoked_at"])
        _sync_staff(membership.user)
        publish(
            MembershipRevokedV1(
                membership_id=membership.id,
                user_id=membership.user_id,
                fleet_id=membership.fleet_id,
                role=FleetRole(membership.role),
            )
        )
    return membership
