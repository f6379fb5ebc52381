"""Websocket routes of every context, composed here (the apps' routing modules own their paths)."""

from django.urls import re_path

from apps.dispatch.routing import websocket_urlpatterns as dispatch_routes
from logitrack.realtime import not_found

websocket_urlpatterns: list = [
    *dispatch_routes,
    re_path(r"", not_found),  # last: any other path is refused as not found (the router would raise: a 500)
]
