"""The dispatch screen: one page per fleet; everything on it comes from the REST API and the fleet's feed."""

from __future__ import annotations

import uuid

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from apps.dispatch import selectors
from logitrack.http.principal import principal


@login_required
@ensure_csrf_cookie
def screen(request: HttpRequest) -> HttpResponse:
    caller = principal(request)
    fleets = selectors.screen_fleets(principal=caller) if caller else []
    wanted = request.GET.get("fleet", "")
    try:
        wanted_id = uuid.UUID(wanted) if wanted else None
    except ValueError:
        wanted_id = None
    if wanted_id and caller and caller.is_platform_admin and wanted_id not in {f["id"] for f in fleets}:
        fleets = [*fleets, *selectors.screen_fleets_named(fleet_ids=[wanted_id])]
    if not fleets:
        return render(request, "dispatch/no_fleet.html", status=403)
    current = next((f for f in fleets if f["id"] == wanted_id), fleets[0])
    return render(request, "dispatch/screen.html", {"fleets": fleets, "fleet": current, "user": request.user})
