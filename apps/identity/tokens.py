"""JWT issue, rotation and revocation for the mobile apps (simplejwt encodes; we keep the families).

Every refresh token is recorded. Rotating marks the old one used; presenting a used one again means
the family leaked, so every token of the family is revoked. Rotation locks the token's row, so two
concurrent refreshes with one token serialise: one rotates, the other finds it used.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid

from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken as JWTRefresh

from apps.identity import principals
from apps.identity.models import RefreshToken, User
from logitrack.db import contexts
from logitrack.exceptions import Unauthenticated

FAMILY_CLAIM = principals.FAMILY_CLAIM


class TokenRejected(Unauthenticated):
    """401: the refresh token is invalid, expired, revoked or reused."""

    code = "auth.token_invalid"
    title = "Token rejected"


@dataclasses.dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    access_expires_at: dt.datetime
    refresh_expires_at: dt.datetime


def _issue(user: User, family: uuid.UUID) -> TokenPair:
    refresh = JWTRefresh.for_user(user)
    refresh[FAMILY_CLAIM] = str(family)
    access = refresh.access_token
    # the caller's roles as they are now: what a service verifying with the public keys alone knows of them
    # (the platform itself asks the principal cache on every request, so a change counts there at once)
    found = principals.resolve(user_id=user.id)
    if found is not None and found.principal is not None:
        for claim, value in found.principal.to_claims().items():
            access[claim] = value
    RefreshToken.objects.create(
        jti=refresh["jti"],
        family=family,
        user=user,
        issued_at=dt.datetime.fromtimestamp(refresh["iat"], tz=dt.UTC),
        expires_at=dt.datetime.fromtimestamp(refresh["exp"], tz=dt.UTC),
    )
    return TokenPair(
        access=str(access),
        refresh=str(refresh),
        access_expires_at=dt.datetime.fromtimestamp(access["exp"], tz=dt.UTC),
        refresh_expires_at=dt.datetime.fromtimestamp(refresh["exp"], tz=dt.UTC),
    )


@contexts.atomic("identity")
def token_pair_issue(*, user: User) -> TokenPair:
    """A new login: a new token family."""
    return _issue(user, uuid.uuid4())


def _decode(raw: str) -> JWTRefresh:
    try:
        return JWTRefresh(raw)  # type: ignore[arg-type]  # simplejwt annotates the encoded token as a Token; it is the str
    except TokenError as exc:
        raise TokenRejected(str(exc), code="auth.token_invalid") from exc


def _revoke(queryset, reason: str) -> int:
    return queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now(), revoked_reason=reason)


def token_pair_rotate(*, raw_refresh: str) -> TokenPair:
    decoded = _decode(raw_refresh)
    with contexts.atomic("identity"):
        row = RefreshToken.objects.select_for_update().select_related("user").filter(jti=decoded["jti"]).first()
        if row is None:
            raise TokenRejected("unknown refresh token", code="auth.token_invalid")
        if row.revoked_at is not None:
            raise TokenRejected("this session was ended; log in again", code="auth.token_revoked")
        if row.rotated_at is None and row.user.is_active:
            row.rotated_at = timezone.now()
            row.save(update_fields=["rotated_at"])
            return _issue(row.user, row.family)
        reused = row.rotated_at is not None
        _revoke(RefreshToken.objects.filter(family=row.family), "reuse_detected" if reused else "user_inactive")
        principals.families_end([row.family])  # the leaked login's access tokens stop too
    # Raised after the block, so the family's revocation commits before we answer.
    if reused:
        raise TokenRejected(
            "this refresh token was already used; every session of this login is ended", code="auth.token_reused"
        )
    raise TokenRejected("the account is not active", code="auth.user_inactive")


@contexts.atomic("identity")
def token_family_revoke(*, raw_refresh: str) -> None:
    """Logout: end this login on every device that shares its family."""
    decoded = _decode(raw_refresh)
    row = RefreshToken.objects.filter(jti=decoded["jti"]).first()
    if row is None:
        raise TokenRejected("unknown refresh token", code="auth.token_invalid")
    _revoke(RefreshToken.objects.filter(family=row.family), "logout")
    principals.families_end([row.family])  # its access tokens stop now, not when they expire


def user_tokens_revoke(*, user_id: uuid.UUID, reason: str) -> int:
    """End every session of a user (password change, deactivation, erasure)."""
    principals.forget(user_id)  # access tokens are refused by the fresh entry (inactive, or another password)
    return _revoke(RefreshToken.objects.filter(user_id=user_id), reason)
