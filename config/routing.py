"""Websocket routes of every context, composed here (the apps' routing modules own their paths)."""

websocket_urlpatterns: list = []
