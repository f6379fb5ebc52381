"""URL map: admin, versioned REST per context, schema and docs, health."""

from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from logitrack.http import health

urlpatterns = [
    # the address people type first: the dispatch screen (which sends strangers to /login/)
    path("", RedirectView.as_view(pattern_name="dispatch:screen"), name="home"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("metrics", health.metrics, name="metrics"),
    path("admin/", admin.site.urls),
    path("", include("apps.identity.urls")),
    path("dispatch/", include("apps.dispatch.urls")),
    path("track/", include("apps.trips.urls")),  # the customer's tracking page (no login: the token is the key)
    path("brand/", include("apps.fleet.urls")),  # a fleet's public logo, for what is sent in its name
    path("notifications/", include("apps.notifications.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI only: Redoc cannot run under the Content-Security-Policy (it inserts styles no nonce reaches,
    # starts blob: workers and loads its logo from a CDN)
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/auth/", include("apps.identity.rest_api.v1.auth_urls")),
    path("api/v1/identity/", include("apps.identity.rest_api.v1.urls")),
    path("api/v1/fleet/", include("apps.fleet.rest_api.v1.urls")),
    path("api/v1/partner/", include("apps.partner.rest_api.v1.urls")),
    path("api/v1/billing/", include("apps.billing.rest_api.v1.urls")),
    path("api/v1/trips/", include("apps.trips.rest_api.v1.urls")),
    path("api/v1/dispatch/", include("apps.dispatch.rest_api.v1.urls")),
    path("api/v1/notifications/", include("apps.notifications.rest_api.v1.urls")),
    # service to service, when billing runs as its own service: billing's calls for the platform, fleet's, partner's
    # and identity's for billing (config/internal.py, logitrack/http/internal.py)
    path("internal/", include("config.internal")),
]

handler404 = "logitrack.http.handlers.not_found"
handler500 = "logitrack.http.handlers.server_error"
