"""The tracking page's live feed (`/ws/track/<token>/`) over the real ASGI app and the Redis channel layer: the token
is checked before anything is sent (unknown 4404, expired 4410), the page's state comes at once, then after every
status change and every live estimate, from the services as they run (pushed after commit, none for a rollback)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import transaction
from django.test import Client
from django.utils import timezone

from apps.trips import domain
from apps.trips.contracts import ActorRole
from apps.trips.models import TrackingLink
from apps.trips.services import assignment, lifecycle, tracking
from config.asgi import application
from logitrack.db import contexts
from logitrack.realtime import CLOSE_NOT_FOUND
from logitrack.testing.metrics import scraped
from logitrack.testing.realtime import admitted_or_closed
from tests.support.dispatch_world import book_van
from tests.support.isolation import client_for

pytestmark = pytest.mark.django_db(transaction=True)


def run(coro):
    async def wrapper():
        return await coro

    return async_to_sync(wrapper)()


def _token(world, trip_id) -> str:
    url = client_for(world.fleets.customer).get(f"/api/v1/trips/trips/{trip_id}/").json()["tracking_url"]
    return url.rstrip("/").rsplit("/", 1)[-1]


async def _next(communicator, timeout=3) -> dict:
    message = await communicator.receive_json_from(timeout=timeout)
    assert message["type"] == "tracking", message
    return message["tracking"]


def test_the_token_is_checked_before_anything_is_sent(dispatch_world):
    world = dispatch_world
    trip_id = book_van(world)
    token = _token(world, trip_id)

    async def scenario():
        for path in (f"/ws/track/{token[:-2]}xx/", "/ws/track/nothing-like-a-token/"):
            admitted, code, _ = await admitted_or_closed(WebsocketCommunicator(application, path))
            assert (admitted, code) == (False, CLOSE_NOT_FOUND), path
        await database_sync_to_async(
            lambda: TrackingLink.objects.filter(trip_id=trip_id).update(expires_at=timezone.now())
        )()
        admitted, code, _ = await admitted_or_closed(WebsocketCommunicator(application, f"/ws/track/{token}/"))
        assert (admitted, code) == (False, 4410)  # expired: the page reloads and explains

    run(scenario())


def test_status_changes_and_live_estimates_are_pushed_as_they_happen(dispatch_world):
    world = dispatch_world
    crew = world.crews[0]
    trip_id = book_van(world)
    token = _token(world, trip_id)

    async def scenario():
        page = WebsocketCommunicator(application, f"/ws/track/{token}/")
        admitted, _, first = await admitted_or_closed(page)
        assert admitted and first["type"] == "tracking"
        assert first["tracking"]["status"] == "requested" and first["tracking"]["driver_position"] is None

        await database_sync_to_async(assignment.trip_assign)(trip_id=trip_id, shift_id=crew.shift_id, actor_id=None)
        seen = await _next(page)
        assert seen["status"] == "assigned" and seen["driver_first_name"] == crew.driver.display_name.split()[0]
        api = await database_sync_to_async(lambda: Client().get(f"/api/v1/trips/track/{token}/").json())()
        assert set(seen) == set(api) and seen["timeline"] == api["timeline"]  # the socket sends the page's JSON

        await database_sync_to_async(lifecycle.trip_transition)(
            trip_id=trip_id, action="start", actor_id=crew.user.id, role=ActorRole.DRIVER
        )
        assert (await _next(page))["status"] == "en_route"

        now = timezone.now()
        await database_sync_to_async(tracking.tracking_update)(
            trip_id=trip_id, at=now, eta=now + dt.timedelta(minutes=9), lat=52.51234, lng=13.40198
        )
        seen = await _next(page)  # a live estimate: no new version, a new ETA and position
        rough = domain.rough_position(52.51234, 13.40198)
        assert seen["driver_position"] == {"lat": rough[0], "lng": rough[1]} and seen["eta_text"]
        assert "52.51234" not in str(seen) and "13.40198" not in str(seen)

        def rolled_back():
            with contexts.atomic("trips"):
                lifecycle.trip_transition(
                    trip_id=trip_id, action="arrive_pickup", actor_id=crew.user.id, role=ActorRole.DRIVER
                )
                transaction.set_rollback(True, using=contexts.alias("trips"))

        await database_sync_to_async(rolled_back)()
        assert await page.receive_nothing(timeout=0.5)  # nothing happened: nothing is pushed

        await page.send_json_to({"type": "resync"})  # after a gap the page asks again and gets the whole state
        assert (await _next(page))["status"] == "en_route"
        await page.send_json_to({"type": "subscribe", "trip": "another"})
        assert (await page.receive_json_from())["code"] == "trips.unknown_message"
        await page.disconnect()

    run(scenario())


def test_an_open_page_is_told_when_its_link_expires(dispatch_world, settings):
    world = dispatch_world
    trip_id = book_van(world)
    token = _token(world, trip_id)
    # long enough for the page to be admitted first on a busy machine (two test workers, each starting processes)
    expires_at = timezone.now() + dt.timedelta(seconds=3)
    TrackingLink.objects.filter(trip_id=trip_id).update(expires_at=expires_at)

    open_pages = database_sync_to_async(lambda: scraped('logitrack_websocket_connections{kind="tracking"}'))

    async def scenario():
        before = await open_pages()
        page = WebsocketCommunicator(application, f"/ws/track/{token}/")
        admitted, _, _ = await admitted_or_closed(page)
        assert admitted
        assert await open_pages() == before + 1
        await asyncio.sleep(max(0.0, (expires_at - timezone.now()).total_seconds()))
        closed = await page.receive_output(timeout=5)
        assert (closed["type"], closed.get("code")) == ("websocket.close", 4410)
        await page.disconnect()  # as the server does once the close is sent
        assert await open_pages() == before

    run(scenario())


def test_the_page_shows_the_fleets_logo_under_its_token_never_its_id(dispatch_world, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.test import Client

    from apps.fleet.services import branding
    from logitrack.testing import images as testing_images

    settings.MEDIA_ROOT = str(tmp_path)
    world = dispatch_world
    token = _token(world, book_van(world))
    assert Client().get(f"/track/{token}/logo.png").status_code == 404  # no logo yet
    branding.fleet_logo_set(fleet_id=world.fleet_id, upload=SimpleUploadedFile("logo.png", testing_images.png()))
    page = Client().get(f"/track/{token}/").content.decode()
    logo = Client().get(f"/api/v1/trips/track/{token}/").json()["fleet"]["logo_url"]
    assert logo.startswith(f"/track/{token}/logo.png?v=") and f'src="{logo}"' in page.replace("&amp;", "&")
    assert str(world.fleet_id) not in page
    image = Client().get(logo)
    assert image.status_code == 200 and image.content.startswith(b"\x89PNG")
    assert image["Cache-Control"] == "public, max-age=31536000, immutable"
    assert Client().get(f"/track/{token[:-2]}xx/logo.png").status_code == 404  # a guessed token learns nothing
