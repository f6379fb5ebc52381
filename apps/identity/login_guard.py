"""Brute-force protection shared by every login form: the admin's, `/login/` and `POST /api/v1/auth/token/`.

django-axes counts failed logins in the database (every web process sees the same counts, and a Redis outage
cannot break a login) per account and per client address: LOGIN_FAILURES_PER_ACCOUNT failures lock the account,
LOGIN_FAILURES_PER_IP lock the address, each for LOGIN_LOCKOUT_SECONDS after the last counted failure. The
settings that wire it are under "login guard" in config/settings/base.py; `manage.py axes_reset` unlocks.

Every password check goes through `LoginGuardBackend` (first in AUTHENTICATION_BACKENDS, so the admin's login too):
it counts the attempt as a failure *before* checking the password, under a lock per account and per address, and
forgets the account's failures when the password is right. Parallel guesses therefore queue for the count, and at
most the limit of them ever reach a password check.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import threading
from contextlib import contextmanager

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied, AxesBackendRequestParameterRequired
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.db import connections
from django.db.models import Max, Q, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from apps.identity.models import UserManager
from logitrack import metrics
from logitrack.db import contexts
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

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if getattr(request, "login_guard_counted", False):
            return  # LoginGuardBackend counted this attempt before checking the password
        super().user_login_failed(sender, credentials, request, **kwargs)

    def user_logged_in(self, sender, request, user, **kwargs):
        """A session login (the admin, /login/) clears the account's failures, as a token login does."""
        super().user_logged_in(sender, request, user, **kwargs)
        account_failures_forget(user.get_username())
        request.axes_locked_out = False  # the attempt counted ahead may have reached the limit: it was right


# Where PostgreSQL's advisory locks are missing (SQLite, the embedded default: one process, one writer at a time).
_process_lock = threading.Lock()
ACCOUNT_LOCKS, ADDRESS_LOCKS = 1, 2  # advisory lock classes, so an account never shares a lock with an address


@contextmanager
def _serialised(request, credentials):
    """One transaction at a time per account and per address: the count is read and raised under the lock."""
    connection = connections[contexts.alias("identity")]  # axes' attempts are identity's (the router agrees)
    if connection.vendor != "postgresql":
        with _process_lock, contexts.atomic("identity"):
            yield
        return
    keys = [(ACCOUNT_LOCKS, get_client_username(request, credentials)), (ADDRESS_LOCKS, request.axes_ip_address)]
    with contexts.atomic("identity"):
        with connection.cursor() as cursor:
            for kind, key in keys:  # always the account first: no two logins wait for each other in a cycle
                if key:
                    cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [kind, str(key)])
        yield


def _count_ahead(request, credentials) -> bool:
    """Count this attempt as a failure unless the account or address is already locked (then False)."""
    AxesProxyHandler.update_request(request)
    with _serialised(request, credentials):
        if not AxesProxyHandler.is_allowed(request, credentials):
            return False
        AxesProxyHandler.user_login_failed(sender=LoginGuardBackend, credentials=credentials, request=request)
    request.login_guard_counted = True
    return True


class LoginGuardBackend(AxesStandaloneBackend):
    """The only backend that checks passwords at login (ModelBackend after it serves sessions and permissions).

    An attempt is counted before its password is checked and forgotten if the password is right, so parallel
    guesses cannot all pass the check while none of them has been counted yet."""

    password_check = ModelBackend()

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.AXES_ENABLED:
            user = self.password_check.authenticate(request, username=username, password=password, **kwargs)
            if user is None:
                metrics.LOGIN_FAILURES.inc()
            return user
        if request is None:
            raise AxesBackendRequestParameterRequired("the login guard needs the request (client address)")
        credentials = {settings.AXES_USERNAME_FORM_FIELD: username}
        if not _count_ahead(request, credentials):
            metrics.LOGIN_LOCKOUTS.inc()  # refused without a password check
            request.login_guard_refused = True
            request.axes_locked_out = True  # the admin's answer becomes the lockout page (axes' middleware)
            raise AxesBackendPermissionDenied("the account or address is locked out")
        user = self.password_check.authenticate(request, username=username, password=password, **kwargs)
        if user is None:
            metrics.LOGIN_FAILURES.inc()
            raise PermissionDenied  # counted already; stops django from asking ModelBackend again, unguarded
        account_failures_forget(user.get_username())
        request.axes_locked_out = False
        return user

    def get_user(self, user_id):
        return self.password_check.get_user(user_id)


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
    user = authenticate(request, username=username, password=password)
    # These views answer for themselves (the failure that reaches a limit stays a 401, the next attempt is the 429),
    # so axes' middleware must not swap their answer for its lockout page.
    request.axes_locked_out = False  # type: ignore[attr-defined]  # django-axes' flag on the request; axes ships no types
    if getattr(request, "login_guard_refused", False):
        credentials = {"username": username}
        raise RateLimited(LOCKED_MESSAGE, retry_after=retry_after(request, credentials), code="auth.locked_out")
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
