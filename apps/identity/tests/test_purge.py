"""identity_purge (hourly in beat): what can no longer be used is deleted, what still can is kept."""

import datetime as dt
import hashlib
import io
import uuid

import pytest
from axes.models import AccessAttempt
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken as JWTRefresh

from apps.identity.models import Invitation, PasswordReset, RefreshToken
from apps.identity.tests.factories import UserFactory

PASSWORD = "correct horse battery staple"
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("clean_login_guard")]


def login(email):
    response = APIClient().post("/api/v1/auth/token/", {"email": email, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.json()
    return response.json()["refresh"]


def refresh(token):
    return APIClient().post("/api/v1/auth/token/refresh/", {"refresh": token}, format="json")


def invitation(now, **dates):
    return Invitation.objects.create(
        email=f"{uuid.uuid4().hex[:8]}@example.test",
        fleet_id=uuid.uuid4(),
        role="driver",
        token_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        expires_at=dates.pop("expires_at", now + dt.timedelta(days=7)),
        **dates,
    )


def reset(user, now, **dates):
    return PasswordReset.objects.create(
        user=user,
        token_hash=hashlib.sha256(uuid.uuid4().bytes).hexdigest(),
        expires_at=dates.pop("expires_at", now + dt.timedelta(hours=1)),
        **dates,
    )


def test_expired_tokens_resets_invitations_and_sessions_go_and_live_ones_stay():
    now = timezone.now()
    user = UserFactory(email="ines@example.test", password=PASSWORD)
    stale, live = login(user.email), login(user.email)
    # as if issued long ago: its row is past expiry (the token itself would be refused by its `exp` by then)
    RefreshToken.objects.filter(jti=JWTRefresh(stale)["jti"]).update(expires_at=now - dt.timedelta(seconds=1))

    gone_resets = [reset(user, now, expires_at=now - dt.timedelta(minutes=1)), reset(user, now, used_at=now)]
    open_reset = reset(user, now)
    gone_invitations = [
        invitation(now, expires_at=now - dt.timedelta(days=31)),
        invitation(now, revoked_at=now - dt.timedelta(days=31)),
    ]
    kept_invitations = [
        invitation(now, expires_at=now - dt.timedelta(days=5)),  # recent enough to explain "it expired"
        invitation(now, expires_at=now - dt.timedelta(days=90), accepted_at=now - dt.timedelta(days=95)),
        invitation(now),
    ]
    browser = Client()
    browser.force_login(user)
    Session.objects.create(session_key="expired-session-key", session_data="", expire_date=now - dt.timedelta(days=1))
    for username, minutes_ago in (("old@example.test", 16), ("recent@example.test", 14)):  # lockouts last 15 min
        attempt = AccessAttempt.objects.create(username=username, ip_address="10.0.0.1", failures_since_start=1)
        AccessAttempt.objects.filter(id=attempt.id).update(attempt_time=now - dt.timedelta(minutes=minutes_ago))

    out = io.StringIO()
    call_command("identity_purge", stdout=out)

    assert out.getvalue().strip() == (
        "deleted 1 refresh tokens, 2 password resets, 2 invitations, 1 sessions, 1 login failures"
    )
    assert list(AccessAttempt.objects.values_list("username", flat=True)) == ["recent@example.test"]
    assert not PasswordReset.objects.filter(id__in=[r.id for r in gone_resets]).exists()
    assert PasswordReset.objects.filter(id=open_reset.id).exists()
    assert not Invitation.objects.filter(id__in=[i.id for i in gone_invitations]).exists()
    assert Invitation.objects.filter(id__in=[i.id for i in kept_invitations]).count() == 3
    assert not Session.objects.filter(session_key="expired-session-key").exists()
    assert browser.get("/dispatch/").status_code == 403  # still signed in (not a dispatcher), not sent to /login/
    assert refresh(live).status_code == 200
    assert refresh(stale).status_code == 401
