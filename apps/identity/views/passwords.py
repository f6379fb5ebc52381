"""The password pages: the reset email's link (/reset-password?token=…) to choose a new password, and
/forgot-password to ask for such a link (the same answer whether or not the account exists)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from apps.identity import selectors
from apps.identity.contracts import ResetTokenInvalid, WeakPassword
from apps.identity.services import passwords
from apps.identity.views.links import (
    SessionLink,
    link_invalid,
    password_errors,
    password_field,
    password_help,
    throttled,
)

RESET_LINK = SessionLink(session_key="identity.reset_token_hash", page="identity:reset-password")


class NewPasswordForm(forms.Form):
    new_password = password_field(label="New password")
    new_password_again = password_field(label="New password again")

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
    if reload := RESET_LINK.take(request):
        return reload
    token_hash = RESET_LINK.digest(request)
    if not selectors.password_reset_usable(token_hash=token_hash):
        return link_invalid(request, "reset", "unknown" if not token_hash else "expired")
    form, status = NewPasswordForm(request.POST or None), 200
    if request.method == "POST":
        if limited := throttled(request):
            return limited
        status = 400
        if form.is_valid():
            try:
                passwords.password_reset_confirm(token_hash=token_hash, new_password=form.cleaned_data["new_password"])
            except WeakPassword as exc:
                password_errors(form, "new_password", exc)
            except ResetTokenInvalid:
                return link_invalid(request, "reset", "expired")
            else:
                RESET_LINK.forget(request)
                return render(request, "identity/reset_done.html")
    return render(request, "identity/reset_password.html", {"form": form, "help": password_help()}, status=status)


class ForgotPasswordForm(forms.Form):
    email = forms.EmailField(max_length=254)


@never_cache
@csrf_protect
@require_http_methods(["GET", "POST"])
def forgot_password_page(request: HttpRequest) -> HttpResponse:
    """Ask for a reset link. The answer is the same whether or not the account exists."""
    form, status, sent_to = ForgotPasswordForm(request.POST or None), 200, None
    if request.method == "POST":
        if limited := throttled(request):
            return limited
        if form.is_valid():
            passwords.password_reset_request(email=form.cleaned_data["email"])
            sent_to = form.cleaned_data["email"]
        else:
            status = 400
    context = {"form": form, "sent_to": sent_to, "valid_minutes": settings.PASSWORD_RESET_TIMEOUT // 60}
    return render(request, "identity/forgot_password.html", context, status=status)
