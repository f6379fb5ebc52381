"""The dispatch screen: one page per fleet; everything on it comes from the REST API and the fleet's feed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from apps.dispatch import selectors
from logitrack.http.principal import principal


@login_required
@ensure_csrf_cookie
def screen(request: HttpRequest) -> HttpResponse:
    page = selectors.screen_page(principal=principal(request), wanted=request.GET.get("fleet", ""))
    if page is None:
        return render(request, "dispatch/no_fleet.html", status=403)
    return render(request, "dispatch/screen.html", {**page, "user": request.user})
