"""Websocket routes of every context, composed here (the apps' routing modules own their paths)."""

from django.urls import re_path

from apps.dispatch.routing import websocket_urlpatterns as dispatch_routes
from apps.trips.routing import websocket_urlpatterns as trips_routes
from logitrack.realtime import not_found

websocket_urlpatterns: list = [
    *dispatch_routes,
    *trips_routes,
    # last: any other path is refused as not found (the router would raise: a 500). Channels' URLRouter takes
    # Django's re_path() with an ASGI app; django-stubs type the view as a Django view, and channels ships no types.
    re_path(r"", not_found),  # type: ignore[arg-type]
]
