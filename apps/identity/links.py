"""The tokens of emailed account links (password resets, invitations), derived from the row they open.

A token is an HMAC of the row's kind and id under SECRET_KEY, so identity can hand the link to the notifications
context when the mail is sent (and again on a replay) without the token ever being stored: the database keeps only
its sha256 (`token_digest`), as before. A token made under a key since rotated into SECRET_KEY_FALLBACKS is still
found; one whose row was used, revoked or has expired opens nothing."""

from __future__ import annotations

import base64
import uuid
from typing import Literal

from django.conf import settings
from django.utils import timezone
from django.utils.crypto import salted_hmac

from apps.identity.contracts import AccountLink, FleetRole
from apps.identity.models import Invitation, PasswordReset, token_digest

LinkKind = Literal["password_reset", "invitation"]
_SALT = "logitrack.identity.account-link"
_PATHS = {"password_reset": "/reset-password", "invitation": "/invitation"}


def link_token(kind: LinkKind, row_id: uuid.UUID | int, *, secret: str | None = None) -> str:
    mac = salted_hmac(_SALT, f"{kind}:{row_id}", secret=secret or settings.SECRET_KEY, algorithm="sha256")
    return base64.urlsafe_b64encode(mac.digest()).rstrip(b"=").decode()


def link_url(kind: LinkKind, token: str) -> str:
    return f"{settings.LOGITRACK_APP_URL.rstrip('/')}{_PATHS[kind]}?token={token}"


def _token_matching(kind: LinkKind, row_id: uuid.UUID | int, token_hash: str) -> str | None:
    for secret in (settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS):
        token = link_token(kind, row_id, secret=secret)
        if token_digest(token) == token_hash:
            return token
    return None


def account_link(*, kind: LinkKind, link_id: str) -> AccountLink | None:
    """The link to mail for this reset or invitation, or None when it no longer opens anything."""
    now = timezone.now()
    if kind == "password_reset":
        if not link_id.isdigit():
            return None
        reset = PasswordReset.objects.select_related("user").filter(id=int(link_id)).first()
        if reset is None or reset.used_at is not None or reset.expires_at <= now or not reset.user.is_active:
            return None
        token = _token_matching(kind, reset.id, reset.token_hash)
        if token is None:
            return None
        return AccountLink(
            kind=kind,
            email=reset.user.email,
            user_id=reset.user_id,
            display_name=reset.user.display_name,
            url=link_url(kind, token),
            expires_at=reset.expires_at,
        )
    try:
        invitation_id = uuid.UUID(link_id)
    except ValueError:
        return None
    invitation = Invitation.objects.select_related("invited_by").filter(id=invitation_id).first()
    if (
        invitation is None
        or invitation.accepted_at is not None
        or invitation.revoked_at is not None
        or invitation.expires_at <= now
    ):
        return None
    token = _token_matching(kind, invitation.id, invitation.token_hash)
    if token is None:
        return None
    return AccountLink(
        kind=kind,
        email=invitation.email,
        user_id=None,
        display_name="",
        url=link_url(kind, token),
        expires_at=invitation.expires_at,
        fleet_id=invitation.fleet_id,
        role=FleetRole(invitation.role),
        invited_by=invitation.invited_by.display_name if invitation.invited_by else "",
    )
