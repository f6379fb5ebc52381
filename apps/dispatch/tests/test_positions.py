"""Position pings over REST: stored once, never moving a driver back in time, only from that driver on duty."""

import datetime as dt
import uuid

import pytest
from django.core.management import call_command
from django.utils import timezone

from apps.dispatch.models import PositionPing
from tests.support.dispatch_world import ping
from tests.support.isolation import assert_hidden

pytestmark = pytest.mark.django_db
URL = "/api/v1/dispatch/positions/"


def idempotency_key() -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}


def upload(client, pings, **extra):
    return client.post(URL, {"pings": pings, **extra}, format="json")


def test_a_batch_is_stored_once_however_often_it_is_resent(dispatch_world, live_store):
    crew = dispatch_world.crews[0]
    batch = [ping(52.50 + i / 1000, 13.40, seconds_ago=30 - i) for i in range(5)]
    first = upload(crew.client(), batch)
    assert first.status_code == 200, first.json()
    assert len(first.json()["stored"]) == 5 and first.json()["duplicates"] == [] and first.json()["live"] is True
    again = upload(crew.client(), batch)
    assert again.status_code == 200
    assert again.json()["stored"] == [] and len(again.json()["duplicates"]) == 5 and again.json()["live"] is False
    assert PositionPing.objects.filter(driver_id=crew.driver.id).count() == 5
    held = live_store.get(dispatch_world.fleet_id, [crew.driver.id])[crew.driver.id]
    assert held.lat == pytest.approx(52.504)  # the newest of the batch


def test_an_older_ping_is_kept_in_history_but_never_moves_the_driver_back(dispatch_world, live_store):
    crew = dispatch_world.crews[0]
    assert upload(crew.client(), [ping(52.53, 13.41, seconds_ago=1)]).json()["live"] is True
    late = upload(crew.client(), [ping(52.40, 13.30, seconds_ago=20)])  # buffered, arrives after the newer one
    assert late.status_code == 200 and late.json()["live"] is False
    held = live_store.get(dispatch_world.fleet_id, [crew.driver.id])[crew.driver.id]
    assert (held.lat, held.lng) == (52.53, 13.41)
    assert PositionPing.objects.filter(driver_id=crew.driver.id).count() == 2


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        ({"lat": 91}, "lat"),
        ({"lng": -181}, "lng"),
        ({"lat": "north"}, "lat"),
        ({"recorded_at": "yesterday"}, "recorded_at"),
        ({"ping_id": "not-a-uuid"}, "ping_id"),
        ({"speed_mps": -1}, "speed_mps"),
        ({"heading": 400}, "heading"),
        ({"altitude": 30}, "altitude"),
    ],
)
def test_a_bad_ping_rejects_the_batch_and_stores_nothing(dispatch_world, bad, field):
    crew = dispatch_world.crews[0]
    response = upload(crew.client(), [ping(52.5, 13.4), {**ping(52.5, 13.4), **bad}])
    assert response.status_code == 400, response.json()
    assert field in str(response.json())
    assert not PositionPing.objects.exists()


def test_future_timestamps_and_oversized_batches_are_refused(dispatch_world):
    client = dispatch_world.crews[0].client()
    future = upload(client, [ping(52.5, 13.4, seconds_ago=-120)])
    assert (future.status_code, future.json()["code"]) == (400, "dispatch.invalid_ping")
    assert "future" in str(future.json()["errors"]["0"]["recorded_at"])
    assert upload(client, [ping(52.5, 13.4, seconds_ago=-5)]).status_code == 200  # small clock skew is fine
    too_many = upload(client, [ping(52.5, 13.4) for _ in range(501)])
    assert too_many.status_code == 400
    assert upload(client, []).status_code == 400
    assert PositionPing.objects.count() == 1


def test_only_the_driver_on_duty_reports_for_themselves(dispatch_world, live_store):
    crew, other = dispatch_world.crews[0], dispatch_world.crews[1]
    spoof = upload(crew.client(), [ping(52.5, 13.4, driver_id=str(other.driver.id))])
    assert (spoof.status_code, spoof.json()["code"]) == (403, "dispatch.not_your_driver")
    dispatcher = dispatch_world.fleets.a.client("dispatcher")
    assert upload(dispatcher, [ping(52.5, 13.4)]).status_code == 403
    # the driver goes off duty in their app (partner's endpoint): dispatch hears it from partner, not from the test
    went_off = crew.client().post("/api/v1/partner/me/duty/", {"on_duty": False}, format="json", **idempotency_key())
    assert went_off.status_code == 200, went_off.json()
    off = upload(crew.client(), [ping(52.5, 13.4)])
    assert (off.status_code, off.json()["code"]) == (409, "dispatch.not_on_duty")
    assert not PositionPing.objects.exists() and live_store.fleet(dispatch_world.fleet_id) == []


def test_a_silent_driver_drops_off_the_live_map(dispatch_world, live_store, settings):
    crew = dispatch_world.crews[0]
    upload(crew.client(), [ping(52.5, 13.4, seconds_ago=settings.DISPATCH_LIVE_TTL_SECONDS - 2)])
    assert [p.driver_id for p in live_store.fleet(dispatch_world.fleet_id)] == [crew.driver.id]
    stale = upload(crew.client(), [ping(52.5, 13.4, seconds_ago=settings.DISPATCH_LIVE_TTL_SECONDS + 5)])
    assert stale.json()["live"] is False  # too old to show as live
    import time

    time.sleep(2.5)
    assert live_store.fleet(dispatch_world.fleet_id) == []


def test_trails_are_visible_to_the_driver_and_their_fleet_only(dispatch_world):
    crew = dispatch_world.crews[0]
    upload(crew.client(), [ping(52.50 + i / 100, 13.4, seconds_ago=600 - i * 60) for i in range(5)])
    url = f"/api/v1/dispatch/drivers/{crew.driver.id}/trail/"
    mine = crew.client().get(url)
    assert mine.status_code == 200 and [p["lat"] for p in mine.json()["results"]] == [52.50, 52.51, 52.52, 52.53, 52.54]
    start = (timezone.now() - dt.timedelta(seconds=500)).isoformat()
    window = dispatch_world.fleets.a.client("dispatcher").get(url, {"start": start})
    assert [p["lat"] for p in window.json()["results"]] == [52.52, 52.53, 52.54]
    assert_hidden(dispatch_world.fleets.b.client("dispatcher"), "get", url)
    assert_hidden(dispatch_world.crews[1].client(), "get", url)
    assert dispatch_world.fleets.a.client("dispatcher").get(url, {"start": "soon"}).status_code == 400
    backwards = dispatch_world.fleets.a.client("dispatcher").get(
        url, {"start": timezone.now().isoformat(), "end": start}
    )
    assert backwards.status_code == 400
    assert_hidden(crew.client(), "get", f"/api/v1/dispatch/drivers/{uuid.uuid4()}/trail/")


def test_the_retention_command_prunes_old_history(dispatch_world, capsys):
    crew = dispatch_world.crews[0]
    upload(crew.client(), [ping(52.5, 13.4, seconds_ago=60), ping(52.5, 13.4, seconds_ago=3 * 86400)])
    call_command("dispatch_prune_positions", "--days", "2")
    assert PositionPing.objects.count() == 1
    assert "deleted 1" in capsys.readouterr().out


def test_stored_pings_are_counted_once_and_their_push_to_screens_timed(
    dispatch_world, live_store, django_capture_on_commit_callbacks
):
    from logitrack.testing.metrics import scraped

    stored, pushed = (
        scraped("logitrack_pings_stored_total"),
        scraped('logitrack_ping_to_screen_seconds_count{via="rest"}'),
    )
    crew = dispatch_world.crews[0]
    batch = [ping(52.50 + i / 1000, 13.40, seconds_ago=30 - i) for i in range(3)]
    with django_capture_on_commit_callbacks(execute=True):
        assert upload(crew.client(), batch).status_code == 200
        assert upload(crew.client(), batch).status_code == 200  # resent: nothing new
    assert scraped("logitrack_pings_stored_total") == stored + 3
    # one position (the newest of the batch) went to the screens; the resent batch moved nothing
    assert scraped('logitrack_ping_to_screen_seconds_count{via="rest"}') == pushed + 1
    assert scraped('logitrack_ping_to_screen_seconds_bucket{le="10.0",via="rest"}') == pushed + 1
