"""Public in-process API of the identity context: keyword-only functions, contracts in and out.

Only other apps' `integrations.py` (and `config`) may import this module.
"""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from apps.identity import links as _links
from apps.identity import selectors as _selectors
from apps.identity.contracts import (
    AccountLink,
    CustomerRef,
    FleetRole,
    MembershipRef,
    UserContact,
    UserNotFound,
    UserRef,
)
from apps.identity.models import Membership as _Membership
from apps.identity.models import ServiceAccount as _ServiceAccount
from apps.identity.models import User as _User
from apps.identity.services import accounts as _accounts
from apps.identity.services import memberships as _memberships
from logitrack.principal import Principal


def principal_get(*, user_id: uuid.UUID) -> Principal | None:
    """The principal of an active user (roles and fleets), or None. Settings wire it as the loader."""
    return _selectors.principal_build(user_id=user_id)


def users_get(*, user_ids: list[uuid.UUID]) -> list[UserRef]:
    """Batch lookup; unknown ids are left out. An integration's service account acts with its id (a trip booked
    with an API key), so its id is named too: "Shopify connector (integration)", active until revoked."""
    found = [_user_ref(u) for u in _User.objects.filter(id__in=user_ids)]
    rest = set(user_ids) - {ref.id for ref in found}
    if rest:  # only then: one more query for ids that are not people
        found += [
            UserRef(id=a.id, display_name=f"{a.name} (integration)", is_active=a.revoked_at is None)
            for a in _ServiceAccount.objects.filter(id__in=rest)
        ]
    return found


def user_get(*, user_id: uuid.UUID) -> UserRef:
    found = users_get(user_ids=[user_id])
    if not found:
        raise UserNotFound(f"user {user_id} does not exist")
    return found[0]


def customer_ids_matching(*, text: str, limit: int) -> list[uuid.UUID]:
    """Ids of up to `limit` customer accounts (active or not) with `text` in their name or email (case-insensitive):
    the first step of a search the caller then narrows to the customers it already knows of (cheaper than sending
    all of those here)."""
    matches = Q(display_name__icontains=text) | Q(email__icontains=text)
    found = _User.objects.filter(matches, is_customer=True).order_by("id")
    return list(found.values_list("id", flat=True)[:limit])


def customers_get(*, user_ids: list[uuid.UUID]) -> list[CustomerRef]:
    """The active customer accounts among `user_ids` (anyone else is left out)."""
    return [_customer_ref(u) for u in _customers().filter(id__in=user_ids)]


def customers_find(*, text: str, known_ids: list[uuid.UUID], limit: int) -> list[CustomerRef]:
    """Active customer accounts whose name or email contains `text` among `known_ids`, or (anyone's) whose email is
    exactly `text`; by name, at most `limit`. One found only by exact email comes back masked: its id and the email
    as typed, name "" (a caller who knows the email learns only that the account exists, not who it is)."""
    text = text.strip()
    known = set(known_ids)
    matches = Q(id__in=known) & (Q(display_name__icontains=text) | Q(email__icontains=text))
    found = _customers().filter(matches | Q(email__iexact=text)).order_by("display_name", "email")
    return [
        _customer_ref(u) if u.id in known else CustomerRef(id=u.id, display_name="", email=text) for u in found[:limit]
    ]


def _customers() -> QuerySet[_User]:
    return _User.objects.filter(is_customer=True, is_active=True)


def _customer_ref(user: _User) -> CustomerRef:
    return CustomerRef(id=user.id, display_name=user.display_name, email=user.email)


def user_contact_get(*, user_id: uuid.UUID) -> UserContact:
    """Email and phone of an active user, to send them a notification. Erased users have none."""
    user = _User.objects.filter(id=user_id, is_active=True).first()
    if user is None:
        raise UserNotFound(f"user {user_id} does not exist or is inactive")
    return UserContact(id=user.id, email=user.email, display_name=user.display_name, phone=user.phone)


def user_contacts_get(*, user_ids: list[uuid.UUID]) -> list[UserContact]:
    """`user_contact_get` for many users in one query, in the order asked; inactive and unknown ones left out."""
    found = {u.id: u for u in _User.objects.filter(id__in=user_ids, is_active=True)}
    return [
        UserContact(id=u.id, email=u.email, display_name=u.display_name, phone=u.phone)
        for u in (found.get(user_id) for user_id in dict.fromkeys(user_ids))
        if u is not None
    ]


def user_provision(*, email: str, display_name: str, phone: str = "", fleet_id: uuid.UUID | None = None) -> UserRef:
    """The account for `email`, created if needed without a password (its owner is mailed a link to set one, in
    the name of `fleet_id` when given). Used by bulk imports that onboard people the operator already knows."""
    return _user_ref(_accounts.user_provision(email=email, display_name=display_name, phone=phone, fleet_id=fleet_id))


def account_link(*, kind: str, link_id: str) -> AccountLink | None:
    """The link an account mail carries (`kind` "password_reset" with the reset's id, or "invitation" with the
    invitation's), made now: None once it was used, revoked or has expired, or for an unknown kind or id."""
    if kind not in ("password_reset", "invitation"):
        return None
    return _links.account_link(kind=kind, link_id=link_id)  # type: ignore[arg-type]


def fleet_members(*, fleet_id: uuid.UUID, role: FleetRole | None = None) -> list[MembershipRef]:
    qs = _Membership.objects.filter(fleet_id=fleet_id, revoked_at__isnull=True).order_by("created_at")
    if role is not None:
        qs = qs.filter(role=role)
    return [_membership_ref(m) for m in qs]


def membership_grant(
    *, user_id: uuid.UUID, fleet_id: uuid.UUID, role: FleetRole, granted_by_id: uuid.UUID | None = None
) -> MembershipRef:
    """Grant a fleet role (the fleet context calls this when onboarding a fleet's first manager)."""
    return _membership_ref(
        _memberships.membership_grant(user_id=user_id, fleet_id=fleet_id, role=role, granted_by_id=granted_by_id)
    )


def fleet_name_record(*, fleet_id: uuid.UUID, name: str) -> None:
    """The fleet context tells identity a fleet's display name when the fleet is activated and whenever it is
    renamed; identity's admin offers fleets by this name (identity sits below fleet and may not ask for it)."""
    _memberships.fleet_name_record(fleet_id=fleet_id, name=name)


def _user_ref(user: _User) -> UserRef:
    return UserRef(id=user.id, display_name=user.display_name, is_active=user.is_active)


def _membership_ref(m: _Membership) -> MembershipRef:
    return MembershipRef(
        id=m.id, user_id=m.user_id, fleet_id=m.fleet_id, role=FleetRole(m.role), created_at=m.created_at
    )
