"""The fleet's public logo (`/brand/<fleet_id>/logo.png`): what the messages sent in its name show."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from apps.fleet.selectors import branding

# With the version the page asked for (?v=, which changes whenever the logo does), the logo never changes under
# that URL: cache it for a year. Without it, or with an old version, a short time only.
CACHE_FOR_EVER = "public, max-age=31536000, immutable"
CACHE_BRIEFLY = "public, max-age=300"


@require_safe
def logo(request: HttpRequest, fleet_id: str) -> HttpResponse:
    try:
        found = branding.fleet_logo(fleet_id=uuid.UUID(fleet_id))
    except ValueError:
        raise Http404("no such fleet") from None
    if found is None:
        raise Http404("this fleet has no logo")
    return logo_response(found, asked_version=request.GET.get("v", ""))


def logo_response(found, *, asked_version: str) -> HttpResponse:
    """A stored logo (a PNG we re-encoded at upload) as an image nothing can run in."""
    response = HttpResponse(found.content, content_type="image/png")
    response["Cache-Control"] = CACHE_FOR_EVER if asked_version == found.version else CACHE_BRIEFLY
    response["ETag"] = f'"{found.version}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"  # mail clients show it from their own origin
    return response
