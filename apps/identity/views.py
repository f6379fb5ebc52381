"""Browser pages of identity: the session login staff use (the dispatch screen), and the pages emailed links
open (accepting an invitation, setting a new password, asking for a reset link). The apps use JWTs instead."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import login, logout, password_validation
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from apps.identity import selectors, services
from apps.identity.contracts import InvitationInvalid, ResetTokenInvalid, WeakPassword
from logitrack.exceptions import RateLimited, Unauthenticated
from logitrack.http.throttling import ScopedRateThrottle

PASSWORD_FIELD = {"widget": forms.PasswordInput, "max_length": 4096, "strip": False}
# The session keeps the link token's sha256 only (the session table is no place for a usable token).
INVITATION_TOKEN = "identity.invitation_token_hash"
RESET_TOKEN = "identity.reset_token_hash"


class LoginForm(forms.Form):
    email = forms.EmailField(max_length=254)
    password = forms.CharField(widget=forms.PasswordInput, max_length=256)


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or "/dispatch/"
    safe = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if safe else "/dispatch/"


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def login_page(request: HttpRequest) -> HttpResponse:
    form, status = LoginForm(request.POST or None), 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_authenticate(
                request=request, email=form.cleaned_data["email"], password=form.cleaned_data["password"]
            )
        except RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        except Unauthenticated as exc:
            form.add_error(None, exc.message)
            status = 401
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            return redirect(_next(request))
    elif request.method == "POST":
        status = 400
    return render(request, "identity/login.html", {"form": form, "next": _next(request)}, status=status)


@require_http_methods(["POST"])
def logout_page(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("/login/")


# ---- emailed links ------------------------------------------------------------------------------------------


class _AuthScope:
    throttle_scope = "auth"  # the same per-address budget as the API's auth endpoints


def _throttled(request: HttpRequest) -> HttpResponse | None:
    """A 429 page once this address used up the auth budget (emails sent, passwords tried); None otherwise."""
    throttle = ScopedRateThrottle()
    if throttle.allow_request(request, _AuthScope()):
        return None
    return _locked_out(request, max(1, int((throttle.wait() or 1) + 0.999)))


def _locked_out(request: HttpRequest, seconds: int) -> HttpResponse:
    response = render(request, "identity/locked_out.html", {"minutes": (seconds + 59) // 60}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _keep_token(request: HttpRequest, key: str, page: str) -> HttpResponse:
    """The link's ?token= moves into the session and the page reloads without it, so the token leaves the
    address bar, the history and any Referer (as Django's own password-reset view does). Only its digest is kept."""
    request.session[key] = selectors.link_digest(token=request.GET["token"][:200])
    return redirect(page)


def _password_errors(form: forms.Form, field: str, exc: WeakPassword) -> None:
    for message in exc.extra.get("errors", {}).get("password", [exc.message]):
        form.add_error(field, message)


def _link_invalid(request: HttpRequest, kind: str, state: str) -> HttpResponse:
    status = 404 if state == "unknown" else 410
    return render(request, "identity/link_invalid.html", {"kind": kind, "state": state}, status=status)


class InvitationForm(forms.Form):
    display_name = forms.CharField(max_length=150, required=False, label="Your name")
    password = forms.CharField(**PASSWORD_FIELD)
    password_again = forms.CharField(**{**PASSWORD_FIELD, "required": False}, label="Password again")

    def __init__(self, *args, has_account: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.has_account = has_account
        if not has_account:
            self.fields["display_name"].required = True
            self.fields["password_again"].required = True

    def clean(self):
        data = super().clean()
        if not self.has_account and data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", "The two passwords differ.")
        return data


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def invitation_page(request: HttpRequest) -> HttpResponse:
    """Accept an invitation: choose a name and password (a new account) or enter the existing account's."""
    if request.method == "GET" and "token" in request.GET:
        return _keep_token(request, INVITATION_TOKEN, "identity:invitation")
    token_hash = request.session.get(INVITATION_TOKEN, "")
    found = selectors.invitation_lookup(token_hash=token_hash)
    if found.state != "open":
        return _link_invalid(request, "invitation", found.state)
    form, status = InvitationForm(request.POST or None, has_account=found.has_account), 200
    if request.method == "POST":
        if limited := _throttled(request):
            return limited
        status = 400
        if form.is_valid():
            try:
                services.invitation_accept(
                    request=request,
                    token_hash=token_hash,
                    password=form.cleaned_data["password"],
                    display_name=form.cleaned_data["display_name"],
                )
            except WeakPassword as exc:
                _password_errors(form, "password", exc)
            except RateLimited as exc:  # the existing account is locked out (the login guard)
                return _locked_out(request, exc.retry_after)
            except Unauthenticated as exc:  # the email's existing account, and not its password
                form.add_error("password", exc.message)
            except InvitationInvalid:  # used or revoked a moment ago
                return _link_invalid(request, "invitation", selectors.invitation_lookup(token_hash=token_hash).state)
            else:
                del request.session[INVITATION_TOKEN]
                context = {"email": found.email, "role": found.role, "role_label": found.role.replace("_", " ")}
                return render(request, "identity/invitation_done.html", context)
    context = {"form": form, "invitation": found, "role": found.role.replace("_", " "), "help": _password_help()}
    return render(request, "identity/invitation.html", context, status=status)


class NewPasswordForm(forms.Form):
    new_password = forms.CharField(**PASSWORD_FIELD, label="New password")
    new_password_again = forms.CharField(**PASSWORD_FIELD, label="New password again")

    def clean(self):
        data = super().clean()
        if data.get("new_password") and data.get("new_password") != data.get("new_password_again"):
            self.add_error("new_password_again", "The two passwords differ.")
        return data


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def password_reset_page(request: HttpRequest) -> HttpResponse:
    """Set a new password with an emailed reset link."""
    if request.method == "GET" and "token" in request.GET:
        return _keep_token(request, RESET_TOKEN, "identity:reset-password")
    token_hash = request.session.get(RESET_TOKEN, "")
    if not selectors.password_reset_usable(token_hash=token_hash):
        return _link_invalid(request, "reset", "unknown" if not token_hash else "expired")
    form, status = NewPasswordForm(request.POST or None), 200
    if request.method == "POST":
        if limited := _throttled(request):
            return limited
        status = 400
        if form.is_valid():
            try:
                services.password_reset_confirm(token_hash=token_hash, new_password=form.cleaned_data["new_password"])
            except WeakPassword as exc:
                _password_errors(form, "new_password", exc)
            except ResetTokenInvalid:
                return _link_invalid(request, "reset", "expired")
            else:
                del request.session[RESET_TOKEN]
                return render(request, "identity/reset_done.html")
    return render(request, "identity/reset_password.html", {"form": form, "help": _password_help()}, status=status)


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(max_length=254)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def forgot_password_page(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. The answer is the same whether or not the account exists."""
    form, status, sent_to = ForgotPasswordForm(request.POST or None), 200, None
    if request.method == "POST":
        if limited := _throttled(request):
            return limited
        if form.is_valid():
            services.password_reset_request(email=form.cleaned_data["email"])
            sent_to = form.cleaned_data["email"]
        else:
            status = 400
    context = {"form": form, "sent_to": sent_to, "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    return render(request, "identity/forgot_password.html", context, status=status)


def _password_help() -> str:
    """One short line instead of the validators' four sentences."""
    lengths = [
        v.min_length
        for v in password_validation.get_default_password_validators()
        if isinstance(v, password_validation.MinimumLengthValidator)
    ]
    at_least = f"At least {max(lengths)} characters; " if lengths else ""
    return at_least + "not a common password, not only digits, not like your name or email."
