"""GDPR erasure of a user: personal data anonymised, login disabled, fleet roles revoked, and every other context
told (UserErasedV1) to anonymise what it holds for this user id."""

from __future__ import annotations

import uuid

from django.utils import timezone

from apps.identity import login_guard, selectors, tokens
from apps.identity.events import UserErasedV1
from apps.identity.models import Invitation, Membership, PasswordReset, User
from apps.identity.services import memberships
from logitrack.db import contexts
from logitrack.exceptions import Conflict, PermissionDenied
from logitrack.outbox.api import publish
from logitrack.principal import Principal


@contexts.atomic("identity")
def user_erase(*, user_id: uuid.UUID) -> User:
    """GDPR erasure: personal data anonymised, login disabled, other contexts told to anonymise theirs.

    The row stays (ids referenced by ledgers and audit trails keep resolving), pseudonymous.
    """
    user = selectors.user_get(user_id=user_id, for_update=True)
    if user.erased_at is not None:
        return user
    old_email = user.email
    user.email = f"erased-{user.id.hex}@erased.invalid"
    user.display_name = ""
    user.phone = ""
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = False
    user.erased_at = timezone.now()
    user.save()
    user.groups.clear()
    tokens.user_tokens_revoke(user_id=user.id, reason="erased")
    PasswordReset.objects.filter(user=user).delete()
    login_guard.account_failures_forget(old_email)
    Invitation.objects.filter(email=old_email).update(email=user.email)
    for membership in Membership.objects.filter(user=user, revoked_at__isnull=True):
        memberships.membership_revoke(membership_id=membership.id, principal=None)
    publish(UserErasedV1(user_id=user.id))
    return user


def user_erase_as(*, principal: Principal, user_id: uuid.UUID, password: str | None = None) -> User:
    """Erasure asked for over the API, with its rules: a platform admin erases anyone but a platform admin (an admin's
    rights are taken away first, so the platform never loses its last admin by accident); anyone else only
    themselves, confirming with their password. Each refusal is its own 4xx (404 unknown, 403 not allowed or wrong
    password, 409 a platform admin or already erased)."""
    user = selectors.user_get(user_id=user_id)
    if user.id != principal.user_id and not principal.is_platform_admin:
        raise PermissionDenied("only platform admins erase other accounts", code="identity.erase_not_allowed")
    if user.is_superuser:
        raise Conflict(
            "a platform admin's account is erased once its admin rights are removed", code="identity.erase_admin"
        )
    if user.id == principal.user_id and (password is None or not user.check_password(password)):
        raise PermissionDenied("confirm the erasure with your current password", code="identity.wrong_password")
    if user.erased_at is not None:
        raise Conflict("this account was erased already", code="identity.already_erased")
    return user_erase(user_id=user.id)
