"""Websocket routes of the trips context (composed in config/routing.py)."""

from django.urls import path

from apps.trips import consumers

websocket_urlpatterns = [
    path("ws/track/<str:token>/", consumers.TrackingConsumer.as_asgi()),
]
