"""Websocket routes of the dispatch context (composed in config/routing.py)."""

from django.urls import path

from apps.dispatch import consumers

websocket_urlpatterns = [
    path("ws/driver/", consumers.DriverConsumer.as_asgi()),
    path("ws/dispatch/fleets/<str:fleet_id>/", consumers.FleetFeedConsumer.as_asgi()),
]
