"""The invitation email's link (/invitation?token=…): choose a name and password (a new account) or enter the
existing account's, then a page saying where to sign in for the role."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from apps.identity import selectors
from apps.identity.contracts import InvitationInvalid, WeakPassword
from apps.identity.services import invitations
from apps.identity.views.links import (
    SessionLink,
    link_invalid,
    locked_out,
    password_errors,
    password_field,
    password_help,
    throttled,
)
from logitrack.exceptions import RateLimited, Unauthenticated

INVITATION_LINK = SessionLink(session_key="identity.invitation_token_hash", page="identity:invitation")


class InvitationForm(forms.Form):
    display_name = forms.CharField(max_length=150, required=False, label="Your name")
    password = password_field()
    password_again = password_field(required=False, label="Password again")

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
    if reload := INVITATION_LINK.take(request):
        return reload
    token_hash = INVITATION_LINK.digest(request)
    found = selectors.invitation_lookup(token_hash=token_hash)
    if found.state != "open":
        return link_invalid(request, "invitation", found.state)
    form, status = InvitationForm(request.POST or None, has_account=found.has_account), 200
    if request.method == "POST":
        if limited := throttled(request):
            return limited
        status = 400
        if form.is_valid():
            try:
                invitations.invitation_accept(
                    request=request,
                    token_hash=token_hash,
                    password=form.cleaned_data["password"],
                    display_name=form.cleaned_data["display_name"],
                )
            except WeakPassword as exc:
                password_errors(form, "password", exc)
            except RateLimited as exc:  # the existing account is locked out (the login guard)
                return locked_out(request, exc.retry_after)
            except Unauthenticated as exc:  # the email's existing account, and not its password
                form.add_error("password", exc.message)
            except InvitationInvalid:  # used or revoked a moment ago
                return link_invalid(request, "invitation", selectors.invitation_lookup(token_hash=token_hash).state)
            else:
                INVITATION_LINK.forget(request)
                done = {"email": found.email, "role": found.role, "role_label": found.role.replace("_", " ")}
                return render(request, "identity/invitation_done.html", done)
    context = {"form": form, "invitation": found, "role": found.role.replace("_", " "), "help": password_help()}
    return render(request, "identity/invitation.html", context, status=status)
