"""The session login staff use (the dispatch screen, /login/), under the same login guard as every login form."""

from __future__ import annotations

from django import forms
from django.contrib.auth import login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_http_methods

from apps.identity.services import logins
from logitrack.exceptions import RateLimited, Unauthenticated


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
            user = logins.user_authenticate(
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
