"""The hourly purge (beat: `identity.purge`; `manage.py identity_purge`): what can no longer be used is deleted."""

from __future__ import annotations

import datetime as dt

from django.contrib.sessions.models import Session
from django.db.models import Q
from django.utils import timezone

from apps.identity import login_guard
from apps.identity.models import Invitation, PasswordReset, RefreshToken

INVITATION_KEPT_AFTER_EXPIRY = dt.timedelta(days=30)


def identity_purge(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Delete what can no longer be used, hourly in beat:

    - refresh tokens past their expiry: an app rotates every few minutes, so each login adds hundreds of rows a
      day, and an expired token is refused (signature and `exp`) before its row is looked up;
    - password resets past their expiry or used;
    - invitations never accepted, 30 days after they expired or were revoked (they hold an email address);
    - expired admin and dispatch-screen sessions;
    - the login guard's failed logins once they no longer count (older than the lockout period; they hold an
      email address and a client address).
    """
    now = now or timezone.now()
    kept_until = now - INVITATION_KEPT_AFTER_EXPIRY
    stale_invitations = Invitation.objects.filter(accepted_at__isnull=True).filter(
        Q(expires_at__lt=kept_until) | Q(revoked_at__lt=kept_until)
    )
    return {
        "refresh tokens": RefreshToken.objects.filter(expires_at__lt=now).delete()[0],
        "password resets": PasswordReset.objects.filter(Q(expires_at__lt=now) | Q(used_at__isnull=False)).delete()[0],
        "invitations": stale_invitations.delete()[0],
        "sessions": Session.objects.filter(expire_date__lt=now).delete()[0],
        "login failures": login_guard.failures_forget(before=now - login_guard.lockout_period(None)),
    }
