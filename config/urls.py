"""URL map: admin, versioned REST per context, schema and docs, health.

Each context's pages and API are mounted only in a process that runs it (LOGITRACK_CONTEXTS, logitrack/hosting.py).
A context run as its own service keeps its public API's address here: the platform forwards it to the service
(logitrack/http/forwarding.py).
"""

from collections.abc import Mapping, Sequence

from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.billing import contracts as billing_contracts
from logitrack import hosting, remote
from logitrack.http import forwarding, health

# what each context serves: its pages, then its REST API
PAGES = {
    "identity": [path("", include("apps.identity.urls"))],  # login, password reset, invitations, the JWKS
    "dispatch": [path("dispatch/", include("apps.dispatch.urls"))],
    "trips": [path("track/", include("apps.trips.urls"))],  # the customer's tracking page (the token is the key)
    "fleet": [path("brand/", include("apps.fleet.urls"))],  # a fleet's public logo, for what is sent in its name
    "notifications": [path("notifications/", include("apps.notifications.urls"))],
}
API = {
    "identity": [
        path("api/v1/auth/", include("apps.identity.rest_api.v1.auth_urls")),
        path("api/v1/identity/", include("apps.identity.rest_api.v1.urls")),
    ],
    "fleet": [path("api/v1/fleet/", include("apps.fleet.rest_api.v1.urls"))],
    "partner": [path("api/v1/partner/", include("apps.partner.rest_api.v1.urls"))],
    "billing": [path("api/v1/billing/", include("apps.billing.rest_api.v1.urls"))],
    "trips": [path("api/v1/trips/", include("apps.trips.rest_api.v1.urls"))],
    "dispatch": [path("api/v1/dispatch/", include("apps.dispatch.rest_api.v1.urls"))],
    "notifications": [path("api/v1/notifications/", include("apps.notifications.rest_api.v1.urls"))],
}
# a context run elsewhere whose public API stays at its address here
FORWARDED = {"billing": (billing_contracts.REMOTE, "api/v1/billing/")}


def _served(routes: Mapping[str, Sequence[URLPattern | URLResolver]]) -> list[URLPattern | URLResolver]:
    return [route for context, found in routes.items() if hosting.hosted(context) for route in found]


def _forwarded() -> list[URLPattern | URLResolver]:
    found: list[URLPattern | URLResolver] = []
    for context, (interface, prefix) in FORWARDED.items():
        if not hosting.hosted(context) and remote.api_mode(context) == remote.REMOTE:
            found.append(re_path(rf"^{prefix}(?P<rest>.*)$", forwarding.forwarder(interface, prefix)))
    return found


urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI only: Redoc cannot run under the Content-Security-Policy (it inserts styles no nonce reaches,
    # starts blob: workers and loads its logo from a CDN)
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    # service to service, when a context runs as its own service: billing's calls for the platform, fleet's,
    # partner's and identity's for billing (config/internal.py, logitrack/http/internal.py)
    path("internal/", include("config.internal")),
    *_served(PAGES),
    *_served(API),
    *_forwarded(),
]
if hosting.hosted("dispatch"):  # the address people type first: the dispatch screen (strangers go to /login/)
    urlpatterns.append(path("", RedirectView.as_view(pattern_name="dispatch:screen"), name="home"))
if hosting.hosted("identity"):  # the console: managers sign in with identity's accounts
    urlpatterns.append(path("admin/", admin.site.urls))

handler404 = "logitrack.http.handlers.not_found"
handler500 = "logitrack.http.handlers.server_error"
