"""GDPR erasure of a user: personal data anonymised, login disabled, fleet roles revoked, and every other context
told (UserErasedV1) to anonymise what it holds for this user id."""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from apps.identity import login_guard, selectors, tokens
from apps.identity.events import UserErasedV1
from apps.identity.models import Invitation, Membership, PasswordReset, User
from apps.identity.services import memberships
from logitrack.outbox.api import publish


@transaction.atomic
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
