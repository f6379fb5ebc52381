"""Static files under ASGI: served as WhiteNoise serves them, and no middleware makes the other requests change
threads on their way to the view."""

from __future__ import annotations

import logging
from pathlib import Path

from asgiref.sync import async_to_sync
from django.contrib.staticfiles import finders
from django.core.handlers.asgi import ASGIHandler
from django.test import AsyncClient, Client, override_settings

STYLESHEET = "/static/logitrack/base.css"


@override_settings(DEBUG=True)  # Django says which handler it adapted only in debug
def test_no_middleware_is_adapted_between_sync_and_async_under_asgi(caplog):
    """Each adaptation is a thread hop on every request: WhiteNoise's stock middleware, sync only, cost two (its
    own and the way back to the event loop for the middleware below it), and turned every middleware above it sync."""
    with caplog.at_level(logging.DEBUG, logger="django.request"):
        ASGIHandler()
    adapted = [r.getMessage() for r in caplog.records if "adapted for middleware" in r.getMessage()]
    assert adapted == []


def test_a_static_file_is_served_under_asgi_and_other_requests_go_on():
    async def requests():
        client = AsyncClient()
        response = await client.get(STYLESHEET)
        body = b"".join(response.streaming_content)
        return response, body, await client.get("/healthz"), await client.get("/static/logitrack/none.css")

    stylesheet, body, health, missing = async_to_sync(requests)()
    assert stylesheet.status_code == 200
    assert stylesheet["Content-Type"].startswith("text/css")
    assert body == Path(finders.find("logitrack/base.css")).read_bytes()
    assert health.status_code == 200
    assert missing.status_code == 404


def test_a_static_file_is_served_under_wsgi():
    response = Client().get(STYLESHEET)
    assert response.status_code == 200
    assert b"".join(response.streaming_content)
