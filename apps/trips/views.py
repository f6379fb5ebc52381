"""The customer's tracking page (`/track/<token>/`): no login, only what the link may see (selectors.tracking_view).
Live updates come over `/ws/track/<token>/` (consumers.TrackingConsumer); the page works without them."""

from __future__ import annotations

import json

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe
from rest_framework.utils.encoders import JSONEncoder  # datetimes as the REST API writes them

from apps.trips import domain, integrations, selectors

CACHE_FOR_EVER = "public, max-age=31536000, immutable"
CACHE_BRIEFLY = "public, max-age=300"


def _private(response: HttpResponse) -> HttpResponse:
    """A tracking page is nobody's to keep: not in shared caches, not in search engines, and its address (the
    token) never sent on to tile servers or anywhere a link leads."""
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _language(request: HttpRequest) -> str:
    """For a link we cannot place (no fleet to ask): the browser's first language we write in."""
    for part in request.headers.get("Accept-Language", "").split(","):
        tag = part.split(";")[0].strip().lower()[:2]
        if tag in domain.TRACKING_WORDS:
            return tag
    return "en"


def _map_config() -> dict:
    """The base layer, as the dispatch screen's (settings MAP_TILES_*; no URL: a plain kilometre grid)."""
    return {
        "tiles_url": settings.MAP_TILES_URL or None,
        "attribution": settings.MAP_TILES_ATTRIBUTION,
        "max_zoom": settings.MAP_TILES_MAX_ZOOM,
    }


@require_safe
def track(request: HttpRequest, token: str) -> HttpResponse:
    link = selectors.tracking_link(token=token)
    if link is None:
        words = domain.tracking_words(_language(request))
        unknown = {"language": _language(request), "title": words["unknown.title"], "body": words["unknown.body"]}
        return _private(render(request, "trips/track_gone.html", {**unknown, "words": words}, status=404))
    if link.expires_at <= timezone.now():
        return _private(render(request, "trips/track_gone.html", selectors.tracking_expired(link=link), status=410))
    view = selectors.tracking_view(trip=link.trip, token=token, expires_at=link.expires_at)
    words = domain.tracking_words(view["fleet"]["language"])
    context: dict[str, object] = {
        "t": view,
        "words": words,
        "w": {key.replace(".", "_"): text for key, text in words.items()},  # template lookups cannot take dots
        "help_text": words["help"].format(fleet=view["fleet"]["name"]),
        # what the page's script starts from: the same JSON the socket and /api/v1/trips/track/<token>/ send
        "page_data": json.loads(json.dumps(view, cls=JSONEncoder)),
        "map_config": _map_config(),
        "token": token,
    }
    return _private(render(request, "trips/track.html", context))


@require_safe
def track_logo(request: HttpRequest, token: str) -> HttpResponse:
    """The fleet's logo for a valid link's page: the page names no fleet id (fleet's `/brand/<id>/logo.png` is for
    the messages sent in the fleet's name)."""
    trip = selectors.tracking_for(token=token)
    found = integrations.fleet_logo(fleet_id=trip.fleet_id) if trip is not None else None
    if found is None:
        raise Http404("no logo here")
    response = HttpResponse(found.content, content_type="image/png")
    response["Cache-Control"] = CACHE_FOR_EVER if request.GET.get("v") == found.version else CACHE_BRIEFLY
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Referrer-Policy"] = "no-referrer"
    return response
