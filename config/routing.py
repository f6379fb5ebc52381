"""Websocket routes of every context, composed here (the apps' routing modules own their paths)."""

from apps.dispatch.routing import websocket_urlpatterns as dispatch_routes

websocket_urlpatterns: list = [*dispatch_routes]
