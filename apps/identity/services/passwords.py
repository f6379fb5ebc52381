"""Passwords: the strength check every new password passes, changing one's password, and the emailed reset.
Setting a password ends every session (refresh tokens revoked, unused reset links spent)."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils import timezone

from apps.identity import links, login_guard, selectors, tokens
from apps.identity.contracts import ResetTokenInvalid, WeakPassword
from apps.identity.events import PasswordResetRequestedV1
from apps.identity.models import PasswordReset, User, UserManager, token_digest
from apps.identity.services.logins import InvalidCredentials
from logitrack.db import contexts
from logitrack.outbox.api import publish


def password_check(password: str, user: User) -> None:
    """Refuse a weak password (the configured validators) with the validators' messages."""
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        raise WeakPassword("the password is too weak", extra={"errors": {"password": list(exc.messages)}}) from exc


def password_set(user: User, new_password: str) -> None:
    """Set a checked new password and end every session of the account."""
    password_check(new_password, user)
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    tokens.user_tokens_revoke(user_id=user.id, reason="password_changed")
    PasswordReset.objects.filter(user=user, used_at__isnull=True).update(used_at=timezone.now())


@contexts.atomic("identity")
def user_password_change(*, user_id: uuid.UUID, old_password: str, new_password: str) -> None:
    user = selectors.user_get(user_id=user_id, for_update=True)
    if not user.check_password(old_password):
        raise InvalidCredentials("the current password is wrong", code="identity.wrong_password")
    password_set(user, new_password)


@contexts.atomic("identity")
def password_reset_request(*, email: str, welcome: bool = False, fleet_id: uuid.UUID | None = None) -> str | None:
    """Have a single-use reset link mailed if an active account exists. Returns the token (for tests and tools).

    The API answers the same whether or not the account exists, so it cannot be used to probe emails. The mail is
    the notifications context's (`PasswordResetRequestedV1`): retried, logged, replayable. `welcome`: the link of
    an account just made for someone, who chooses their first password with it."""
    user = User.objects.filter(email=UserManager.normalize(email), is_active=True).first()
    if user is None:
        return None
    reset = PasswordReset.objects.create(
        user=user,
        token_hash=secrets.token_hex(32),  # stands in until the row has the id the token is derived from
        expires_at=timezone.now() + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT),
    )
    token = links.link_token("password_reset", reset.id)
    reset.token_hash = token_digest(token)
    reset.save(update_fields=["token_hash"])
    publish(PasswordResetRequestedV1(reset_id=reset.id, user_id=user.id, welcome=welcome, fleet_id=fleet_id))
    return token


@contexts.atomic("identity")
def password_reset_confirm(*, new_password: str, token: str | None = None, token_hash: str | None = None) -> None:
    """Set a new password with a reset token (or its digest). The account's failed logins are forgotten: the
    lockout page sends people here, and the new password must then let them in."""
    digest = selectors.link_digest(token=token, token_hash=token_hash)
    reset = PasswordReset.objects.select_for_update().select_related("user").filter(token_hash=digest).first()
    if reset is None or reset.used_at is not None or reset.expires_at <= timezone.now() or not reset.user.is_active:
        raise ResetTokenInvalid("this reset link is invalid or has expired; ask for a new one")
    password_set(reset.user, new_password)
    reset.used_at = timezone.now()
    reset.save(update_fields=["used_at"])
    login_guard.account_failures_forget(reset.user.email)
