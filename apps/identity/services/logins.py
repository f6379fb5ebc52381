"""Logins: credentials checked under the login guard every login form shares (token, /login/ and the admin's),
and a new refresh-token family started."""

from __future__ import annotations

from django.utils import timezone

from apps.identity import login_guard, tokens
from apps.identity.models import User, UserManager
from logitrack.exceptions import Unauthenticated


class InvalidCredentials(Unauthenticated):
    code = "auth.invalid_credentials"
    title = "Invalid credentials"


def user_authenticate(*, request, email: str, password: str) -> User:
    """Check credentials under the login guard every login form shares (token, /login/ and the admin's).
    django-axes needs the request: it counts failures per account and per client address."""
    email = UserManager.normalize(email)
    user = login_guard.guarded_authenticate(request, username=email, password=password)
    if user is None:
        raise InvalidCredentials("email or password is wrong")
    login_guard.account_failures_forget(email)
    User.objects.filter(id=user.id).update(last_login=timezone.now())
    return user


def user_login(*, request, email: str, password: str) -> tokens.TokenPair:
    """Check credentials under the login guard and start a new token family."""
    return tokens.token_pair_issue(user=user_authenticate(request=request, email=email, password=password))
