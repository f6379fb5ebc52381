"""Brute-force protection shared by every login form: the admin's, `/login/` and `POST /api/v1/auth/token/`.

django-axes counts failed logins in the database (every web process sees the same counts, and a Redis outage
cannot break a login) per account and per client address: LOGIN_FAILURES_PER_ACCOUNT failures lock the account,
LOGIN_FAILURES_PER_IP lock the address, each for LOGIN_LOCKOUT_SECONDS after the last counted failure. The
settings that wire it are under "login guard" in config/settings/base.py; `manage.py axes_reset` unlocks.
"""

from __future__ import annotations

import datetime as dt
import ipaddress

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.db.models import Max, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.identity.models import UserManager
from logitrack.exceptions import RateLimited
from logitrack.http.clients import client_ip

LOCKED_MESSAGE = "too many failed logins; try again later"


# ---- axes settings that read ours (callables, so a test's settings override applies) ----------------------------


def account_failure_limit(request, credentials) -> int:
    return settings.LOGIN_FAILURES_PER_ACCOUNT


def lockout_period(request) -> dt.timedelta:
    return dt.timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)


def client_address(request) -> str | None:
    """The client's address as an IP (axes stores it in an IP column), or None when there is none to trust: no
    REMOTE_ADDR (some test clients, unix sockets) or a proxy's X-Forwarded-For hop that is not an address."""
    try:
        return str(ipaddress.ip_address(client_ip(request)))
    except ValueError:
        return None


def login_name(request, credentials) -> str | None:
    """The account an attempt names, as identity stores it (emails are case-insensitive)."""
    name = (credentials or {}).get("username") if credentials else request.POST.get("username")
    return UserManager.normalize(name) if name else name


class LoginGuardHandler(AxesDatabaseHandler):
    """axes' database handler with a limit per lockout parameter: the account's (AXES_FAILURE_LIMIT) and the
    address's (LOGIN_FAILURES_PER_IP, higher: many people may share an office's address)."""

    def get_failures(self, request, credentials: dict | None = None) -> int:
        account, address = _failures(request, credentials)
        if address >= settings.LOGIN_FAILURES_PER_IP:  # a locked address counts as an account at its limit
            return max(account, get_failure_limit(request, credentials))
        return account

    def user_logged_in(self, sender, request, user, **kwargs):
        """A session login (the admin, /login/) clears the account's failures, as a token login does."""
        super().user_logged_in(sender, request, user, **kwargs)
        account_failures_forget(user.get_username())


def _scope(request, credentials) -> tuple:
    """Failures still counting (within the lockout period), and who they are counted against."""
    AxesProxyHandler.update_request(request)
    recent = AccessAttempt.objects.filter(attempt_time__gte=get_cool_off_threshold(request))
    return recent, Q(username=get_client_username(request, credentials)), Q(ip_address=request.axes_ip_address)


def _failures(request, credentials) -> tuple[int, int]:
    recent, by_account, by_address = _scope(request, credentials)
    counts = recent.aggregate(
        account=Sum("failures_since_start", filter=by_account), address=Sum("failures_since_start", filter=by_address)
    )
    return counts["account"] or 0, counts["address"] or 0


def account_failures_forget(username: str) -> None:
    """A good password (or erasure) clears the account's failures; not its addresses': one good account must not
    reset an address's count."""
    AccessAttempt.objects.filter(username=UserManager.normalize(username)).delete()


# ---- what identity's own login views call ----------------------------------------------------------------------


def retry_after(request, credentials: dict | None = None) -> int:
    """Seconds until the lock is surely over: the last failure that counts, plus the lockout period."""
    recent, by_account, by_address = _scope(request, credentials)
    last = recent.filter(by_account | by_address).aggregate(last=Max("attempt_time"))["last"]
    if last is None:
        return 1
    return max(1, int((last + lockout_period(request) - timezone.now()).total_seconds()) + 1)


def guarded_authenticate(request: HttpRequest, *, username: str, password: str):
    """authenticate() for identity's own login views, which answer lockouts themselves: RateLimited
    (`auth.locked_out`, with Retry-After) while the account or address is locked, else the user or None."""
    credentials = {"username": username}
    if not AxesProxyHandler.is_allowed(request, credentials):
        raise RateLimited(LOCKED_MESSAGE, retry_after=retry_after(request, credentials), code="auth.locked_out")
    user = authenticate(request, username=username, password=password)
    # The failure that reaches a limit stays a 401 here (the next attempt is the 429), so axes' middleware must not
    # swap this view's answer for its lockout page.
    request.axes_locked_out = False
    return user


def failures_forget(*, before: dt.datetime) -> int:
    """Delete failed logins last seen before `before` (identity_purge, hourly)."""
    return AccessAttempt.objects.filter(attempt_time__lt=before).delete()[0]


def lockout_response(request: HttpRequest, original_response=None, credentials: dict | None = None) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the admin login's answer once locked out (identity's own views answer for
    themselves). axes' async middleware passes no original response, so none is used."""
    seconds = retry_after(request, credentials)
    response = render(request, "identity/locked_out.html", {"minutes": (seconds + 59) // 60}, status=429)
    response["Retry-After"] = str(seconds)
    return response
