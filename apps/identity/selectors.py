"""Read use cases of the identity context: the principal, who may see which users, memberships and invitations
(`users_visible`, `memberships_visible`, `invitations_visible`: every view, service and admin of identity asks
these), the lists, the fleets identity knows, the data export, and what an emailed link's token still opens."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.identity import principals
from apps.identity.contracts import ServiceAccountNotFound, UserNotFound
from apps.identity.models import (
    ApiKey,
    FleetName,
    Invitation,
    Membership,
    PasswordReset,
    ServiceAccount,
    User,
    token_digest,
)
from logitrack.principal import Principal, Role


def principal_build(*, user_id: uuid.UUID) -> Principal | None:
    """The principal of an active user, None otherwise: from identity's principal cache when warm."""
    found = principals.resolve(user_id=user_id)
    return None if found is None else found.principal


def user_get(*, user_id: uuid.UUID, for_update: bool = False) -> User:
    """The user (locked for the caller's transaction if `for_update`); raises UserNotFound."""
    qs = User.objects.select_for_update() if for_update else User.objects
    try:
        return qs.get(id=user_id)
    except User.DoesNotExist:
        raise UserNotFound(f"user {user_id} does not exist") from None


def manages(principal: Principal, fleet_id: uuid.UUID) -> bool:
    """Whether the principal manages this fleet (platform admins manage every fleet)."""
    return principal.may_act_on_fleet(fleet_id, Role.FLEET_MANAGER)


def managed_fleets(principal: Principal) -> frozenset[uuid.UUID] | None:
    """Fleets the principal manages; None means every fleet (platform admin)."""
    return None if principal.is_platform_admin else principal.fleets(Role.FLEET_MANAGER)


def fleet_known(*, fleet_id: uuid.UUID) -> bool:
    """Identity knows a fleet by its managers: activating a fleet makes its applicant the first one. A fleet id
    that never had a manager is a typo or another system's id."""
    return Membership.objects.filter(fleet_id=fleet_id, role=Role.FLEET_MANAGER).exists()


def fleets_known() -> set[uuid.UUID]:
    """Every fleet identity knows (see fleet_known)."""
    return set(Membership.objects.filter(role=Role.FLEET_MANAGER).values_list("fleet_id", flat=True).distinct())


def fleet_names(*, fleet_ids) -> dict[uuid.UUID, str]:
    """{fleet id: name} as the fleet context last told identity; a fleet it never named shows its id."""
    ids = list(fleet_ids)
    names = dict(FleetName.objects.filter(fleet_id__in=ids).values_list("fleet_id", "name")) if ids else {}
    return {fleet_id: names.get(fleet_id, str(fleet_id)) for fleet_id in ids}


# ---- who may see what: every view and admin of identity asks these --------------------------------------------


def users_visible(*, principal: Principal) -> QuerySet:
    """Users a principal may see: everyone for platform admins, else the current members of the fleets they
    manage (nobody for a principal who manages none)."""
    fleets = managed_fleets(principal)
    if fleets is None:
        return User.objects.all()
    return User.objects.filter(memberships__fleet_id__in=fleets, memberships__revoked_at__isnull=True).distinct()


def memberships_visible(*, principal: Principal) -> QuerySet:
    """Memberships (current and revoked) a principal may see and manage: every one for platform admins, else those
    of the fleets they manage."""
    fleets = managed_fleets(principal)
    qs = Membership.objects.all()
    return qs if fleets is None else qs.filter(fleet_id__in=fleets)


def invitations_visible(*, principal: Principal) -> QuerySet:
    """Invitations a principal may see and revoke: every one for platform admins, else those to the fleets they
    manage."""
    fleets = managed_fleets(principal)
    qs = Invitation.objects.all()
    return qs if fleets is None else qs.filter(fleet_id__in=fleets)


def service_accounts_visible(*, principal: Principal) -> QuerySet:
    """Integrations' service accounts (current and revoked) a principal may see and manage: every one for platform
    admins, else those of the fleets they manage. An API key's own principal manages none: keys never manage keys."""
    if principal.is_api_key:
        return ServiceAccount.objects.none()
    fleets = managed_fleets(principal)
    qs = ServiceAccount.objects.all()
    return qs if fleets is None else qs.filter(fleet_id__in=fleets)


def service_account_list(*, principal: Principal) -> QuerySet:
    """The service accounts a principal may see, by name, with how many of their keys still work."""
    now = timezone.now()
    working = Count("keys", filter=Q(keys__revoked_at__isnull=True, keys__expires_at__gt=now))
    return service_accounts_visible(principal=principal).annotate(working_keys=working).order_by("name", "id")


def api_key_list(*, principal: Principal, service_account_id: uuid.UUID) -> QuerySet:
    """The keys of one visible service account (newest first); raises ServiceAccountNotFound."""
    if not service_accounts_visible(principal=principal).filter(id=service_account_id).exists():
        raise ServiceAccountNotFound("no such service account")
    return ApiKey.objects.filter(service_account_id=service_account_id).order_by("-created_at", "id")


def membership_list(*, principal: Principal) -> QuerySet:
    """The current memberships a principal may see, newest first, with their users (the members list)."""
    qs = memberships_visible(principal=principal).filter(revoked_at__isnull=True)
    return qs.select_related("user").order_by("-created_at")


def memberships_of(*, user_id: uuid.UUID) -> QuerySet:
    return Membership.objects.filter(user_id=user_id, revoked_at__isnull=True).order_by("created_at")


def invitation_list(*, principal: Principal, pending: bool = True) -> QuerySet:
    """The invitations a principal may see, newest first; only those still pending unless `pending` is False."""
    qs = invitations_visible(principal=principal).order_by("-created_at")
    if pending:
        qs = qs.filter(accepted_at__isnull=True, revoked_at__isnull=True)
    return qs


def user_export(*, user_id: uuid.UUID) -> dict[str, Any]:
    """Everything identity holds about a user, for a data-subject access request."""
    user = User.objects.get(id=user_id)
    return {
        "user": {
            "id": str(user.id),
            "email": user.email,
            "display_name": user.display_name,
            "phone": user.phone,
            "is_customer": user.is_customer,
            "date_joined": user.date_joined.isoformat(),
            "last_login": user.last_login.isoformat() if user.last_login else None,
        },
        "memberships": [
            {
                "id": str(m.id),
                "fleet_id": str(m.fleet_id),
                "role": m.role,
                "since": m.created_at.isoformat(),
                "revoked_at": m.revoked_at.isoformat() if m.revoked_at else None,
            }
            for m in Membership.objects.filter(user=user).order_by("created_at")
        ],
        "invitations_received": [
            {
                "fleet_id": str(i.fleet_id),
                "role": i.role,
                "sent": i.created_at.isoformat(),
                "accepted_at": i.accepted_at.isoformat() if i.accepted_at else None,
            }
            for i in Invitation.objects.filter(email=user.email).order_by("created_at")
        ],
    }


# ---- emailed links (the invitation and password-reset pages) --------------------------------------------------


@dataclasses.dataclass(frozen=True)
class InvitationLookup:
    """What the invitation page shows for a token. `state`: open, expired, accepted, revoked or unknown."""

    state: str
    email: str = ""
    role: str = ""
    has_account: bool = False  # the invitee then proves their password instead of choosing one


def link_digest(*, token: str | None = None, token_hash: str | None = None) -> str:
    """The sha256 an emailed link's token is stored as ("" for none). The pages keep only this digest in the
    session, so the raw token is persisted nowhere; the API passes the token itself."""
    if token_hash is not None:
        return token_hash
    return token_digest(token) if token else ""


def invitation_lookup(*, token: str | None = None, token_hash: str | None = None) -> InvitationLookup:
    digest = link_digest(token=token, token_hash=token_hash)
    invitation = Invitation.objects.filter(token_hash=digest).first() if digest else None
    if invitation is None:
        return InvitationLookup(state="unknown")
    if invitation.accepted_at is not None:
        state = "accepted"
    elif invitation.revoked_at is not None:
        state = "revoked"
    elif invitation.expires_at <= timezone.now():
        state = "expired"
    else:
        state = "open"
    return InvitationLookup(
        state=state,
        email=invitation.email,
        role=invitation.role,
        has_account=User.objects.filter(email=invitation.email).exists(),
    )


def password_reset_usable(*, token: str | None = None, token_hash: str | None = None) -> bool:
    """Whether a password-reset token (or its digest) would still be accepted (unused, unexpired, account active)."""
    digest = link_digest(token=token, token_hash=token_hash)
    return (
        bool(digest)
        and PasswordReset.objects.filter(
            token_hash=digest, used_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True
        ).exists()
    )
