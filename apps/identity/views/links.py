"""What every page an emailed link opens shares: the link's token kept in the session (as its digest only), the
per-address throttle, and the pages such a flow can end on (throttled, link invalid), password messages."""

from __future__ import annotations

import dataclasses

from django import forms
from django.contrib.auth import password_validation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from apps.identity import selectors
from apps.identity.contracts import WeakPassword
from logitrack.http.throttling import ScopedRateThrottle


def password_field(*, label: str | None = None, required: bool = True) -> forms.CharField:
    """A password box: never stripped (spaces are part of a password), at most 4096 characters."""
    return forms.CharField(widget=forms.PasswordInput, max_length=4096, strip=False, label=label, required=required)


@dataclasses.dataclass(frozen=True)
class SessionLink:
    """An emailed link's token, moved from the address bar into the session.

    The link's ?token= moves into the session and the page reloads without it, so the token leaves the address
    bar, the history and any Referer (as Django's own password-reset view does). The session keeps the token's
    sha256 only (the session table is no place for a usable token), as the database does.
    """

    session_key: str
    page: str  # the URL name of the page, reloaded without ?token=

    def take(self, request: HttpRequest) -> HttpResponse | None:
        """The reload without ?token= when the request carries one (the token kept); None otherwise."""
        if request.method == "GET" and "token" in request.GET:
            request.session[self.session_key] = selectors.link_digest(token=request.GET["token"][:200])
            return redirect(self.page)
        return None

    def digest(self, request: HttpRequest) -> str:
        """The kept token's digest ("" when the session holds none)."""
        return request.session.get(self.session_key, "")

    def forget(self, request: HttpRequest) -> None:
        """The link did its work: the session no longer keeps it."""
        request.session.pop(self.session_key, None)


class _AuthScope:
    throttle_scope = "auth"  # the same per-address budget as the API's auth endpoints


def throttled(request: HttpRequest) -> HttpResponse | None:
    """A 429 page once this address used up the auth budget (emails sent, passwords tried); None otherwise."""
    throttle = ScopedRateThrottle()
    if throttle.allow_request(request, _AuthScope()):
        return None
    return locked_out(request, max(1, int((throttle.wait() or 1) + 0.999)))


def locked_out(request: HttpRequest, seconds: int) -> HttpResponse:
    response = render(request, "identity/locked_out.html", {"minutes": (seconds + 59) // 60}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def link_invalid(request: HttpRequest, kind: str, state: str) -> HttpResponse:
    status = 404 if state == "unknown" else 410
    return render(request, "identity/link_invalid.html", {"kind": kind, "state": state}, status=status)


def password_errors(form: forms.Form, field: str, exc: WeakPassword) -> None:
    for message in exc.extra.get("errors", {}).get("password", [exc.message]):
        form.add_error(field, message)


def password_help() -> str:
    """One short line instead of the validators' four sentences."""
    lengths = [
        v.min_length
        for v in password_validation.get_default_password_validators()
        if isinstance(v, password_validation.MinimumLengthValidator)
    ]
    at_least = f"At least {max(lengths)} characters; " if lengths else ""
    return at_least + "not a common password, not only digits, not like your name or email."
