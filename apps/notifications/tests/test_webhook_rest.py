"""Webhooks over REST: a fleet's managers register, change, rotate, ping and remove endpoints, read the delivery log
and replay; bad input is a 4xx problem, never a 5xx; other roles and other fleets get nothing."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from apps.notifications.contracts import DeliveryStatus
from apps.notifications.models import WebhookDelivery, WebhookEndpoint
from apps.notifications.tests.receiver import Answer
from apps.notifications.webhooks import services, signing
from apps.notifications.webhooks.catalogue import PUBLIC_NAMES
from logitrack.events import to_envelope
from logitrack.testing.queries import CaptureEveryDatabase
from tests.support.isolation import client_for
from tests.support.webhook_world import vehicle_event

pytestmark = pytest.mark.django_db
API = "/api/v1/notifications/webhooks/"


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


@pytest.fixture
def manager(fleets):
    return fleets[0].a.client("fleet_manager")


def create(client, fleet_id, url, **extra):
    body = {"fleet_id": str(fleet_id), "url": url, "event_types": ["vehicle.status_changed"], **extra}
    return client.post(f"{API}endpoints/", body, format="json")


def test_event_types_list_the_published_names(manager):
    body = manager.get(f"{API}event-types/").json()
    names = [row["type"] for row in body["results"]]
    assert names == list(PUBLIC_NAMES)
    assert {"trip.completed", "fare.finalised", "invoice.issued", "vehicle.status_changed"} <= set(names)


def test_a_manager_registers_an_endpoint_and_sees_its_secret_once(fleets, manager, receiver):
    _, a, _ = fleets
    response = create(manager, a.id, receiver.url, description="Our ERP")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (
        body["secret"].startswith("whsec_") and body["is_active"] and body["event_types"] == ["vehicle.status_changed"]
    )
    endpoint_id = body["id"]
    shown = manager.get(f"{API}endpoints/{endpoint_id}/").json()
    assert "secret" not in shown and body["secret"] not in json.dumps(shown)
    listed = manager.get(f"{API}endpoints/").json()
    assert [row["id"] for row in listed["results"]] == [endpoint_id]
    assert body["secret"] not in json.dumps(listed)

    rotated = manager.post(f"{API}endpoints/{endpoint_id}/rotate-secret/").json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != body["secret"]
    assert rotated["previous_secret_expires_at"] is not None

    changed = manager.patch(
        f"{API}endpoints/{endpoint_id}/", {"event_types": ["trip.completed"], "is_active": False}, format="json"
    )
    assert changed.status_code == 200 and changed.json()["event_types"] == ["trip.completed"]
    assert changed.json()["disabled_reason"] == "manual" and not changed.json()["is_active"]
    assert changed.json()["description"] == "Our ERP"  # untouched by a partial update

    assert manager.delete(f"{API}endpoints/{endpoint_id}/").status_code == 204
    assert not WebhookEndpoint.objects.filter(id=endpoint_id).exists()


def test_ping_reports_the_attempt(fleets, manager, receiver):
    _, a, _ = fleets
    made = create(manager, a.id, receiver.url).json()
    receiver.answer(Answer(status=418, body=b"teapot"))
    body = manager.post(f"{API}endpoints/{made['id']}/ping/").json()
    assert body["event_type"] == "ping" and body["status"] == "dead"
    (attempt,) = body["attempt_log"]
    assert attempt["response_status"] == 418 and attempt["response_body"] == "teapot"
    got = receiver.received[0]
    assert signing.verify(made["secret"], got.headers["LogiTrack-Signature"], got.body)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/hook", "only http and https"),
        ("http://10.0.0.1/hook", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://[::1]/hook", "loopback"),
        ("http://[::ffff:127.0.0.1]/hook", "loopback"),
        ("http://localhost/hook", "loopback"),
        ("http://0.0.0.0/hook", "unspecified"),
        ("http://224.0.0.1/hook", "multicast"),
        ("http://100.64.0.1/hook", "not public"),
        ("http://[fc00::1]/hook", "private"),
        ("http://[2002:7f00:1::]/hook", "6to4"),  # 127.0.0.1 inside 6to4
        ("http://[2002:a00:1::]/hook", "6to4"),  # 10.0.0.1 inside 6to4
        ("http://[fec0::1]/hook", "site-local"),
        ("http://user:pw@example.com/hook", "credentials"),
        ("http://no-such-host.invalid/hook", "does not resolve"),
    ],
)
def test_unsafe_urls_are_refused_at_registration(fleets, manager, settings, url, why):
    settings.NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = False
    _, a, _ = fleets
    body = problem(create(manager, a.id, url), 400)
    assert body["code"] in ("webhooks.unsafe_url", "validation_failed")
    assert why in json.dumps(body), body
    assert not WebhookEndpoint.objects.exists()


def test_a_name_that_resolved_safely_at_registration_is_checked_again_at_send_time(fleets, receiver, settings):
    """DNS rebinding: the host is resolved again for each send, and the connection goes to the address checked."""
    _, a, _ = fleets
    made = services.endpoint_create(fleet_id=a.id, url=receiver.url.replace("127.0.0.1", "localhost"),
                                    event_types=["vehicle.status_changed"])  # fmt: skip
    settings.NOTIFICATIONS_WEBHOOK_ALLOW_LOOPBACK = False  # now "localhost" is refused
    (delivery_id,) = services.deliveries_create(event_envelope=to_envelope(vehicle_event(a.id)))
    delivery = WebhookDelivery.objects.get(id=delivery_id)
    assert services.delivery_send(delivery_id=delivery.id, claim=delivery.claim) == "retry"
    assert receiver.received == []
    delivery.refresh_from_db()
    assert "loopback" in delivery.last_error and made.endpoint.id == delivery.endpoint_id


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"url": "not a url", "event_types": ["trip.completed"]}, 400, "url"),
        ({"url": "https://example.com/h", "event_types": ["trip.exploded"]}, 400, "event_types"),
        ({"url": "https://example.com/h", "event_types": []}, 400, "event_types"),
        ({"url": "https://example.com/h", "event_types": "trip.completed"}, 400, "event_types"),
        ({"url": "https://example.com/h", "event_types": ["trip.completed"], "secret": "mine"}, 400, "secret"),
        ({"url": 5, "event_types": ["trip.completed"]}, 400, "url"),
    ],
)
def test_bad_input_is_a_4xx_problem(fleets, manager, body, status, field):
    _, a, _ = fleets
    response = manager.post(f"{API}endpoints/", {"fleet_id": str(a.id), **body}, format="json")
    found = problem(response, status)
    assert field in json.dumps(found)


def test_bad_filters_and_ranges_are_4xx(fleets, manager):
    problem(manager.get(f"{API}deliveries/", {"status": "exploded"}), 400)
    problem(manager.get(f"{API}deliveries/", {"since": "yesterday"}), 400)
    problem(manager.get(f"{API}deliveries/", {"endpoint_id": "x"}), 400)
    now = timezone.now()
    problem(
        manager.post(
            f"{API}deliveries/replay/", {"since": now.isoformat(), "until": (now - dt.timedelta(1)).isoformat()},
            format="json",
        ),
        400,
    )  # fmt: skip
    problem(manager.post(f"{API}deliveries/replay/", {"since": "x"}, format="json"), 400)
    problem(manager.post(f"{API}endpoints/", "[1]", content_type="application/json"), 400)
    problem(manager.patch(f"{API}endpoints/{uuid.uuid4()}/", {}, format="json"), 404)


def test_other_roles_are_refused_and_another_fleets_rows_do_not_exist(fleets, receiver):
    two, _, b = fleets
    theirs = services.endpoint_create(fleet_id=b.id, url=receiver.url, event_types=["vehicle.status_changed"])
    (delivery_id,) = services.deliveries_create(event_envelope=to_envelope(vehicle_event(b.id)))
    for role in ("dispatcher", "driver"):
        problem(two.a.client(role).get(f"{API}endpoints/"), 403)
    manager = two.a.client("fleet_manager")
    problem(create(manager, b.id, receiver.url), 404)
    for path in (f"endpoints/{theirs.endpoint.id}/", f"deliveries/{delivery_id}/"):
        assert problem(manager.get(API + path), 404)["code"] == problem(
            manager.get(API + path.replace(str(theirs.endpoint.id), str(uuid.uuid4())).replace(
                str(delivery_id), str(uuid.uuid4()))), 404
        )["code"]  # fmt: skip
    for path in (f"endpoints/{theirs.endpoint.id}/rotate-secret/", f"endpoints/{theirs.endpoint.id}/ping/",
                 f"deliveries/{delivery_id}/replay/"):  # fmt: skip
        problem(manager.post(API + path), 404)
    problem(manager.delete(f"{API}endpoints/{theirs.endpoint.id}/"), 404)
    assert manager.get(f"{API}deliveries/").json()["results"] == []
    assert manager.get(f"{API}endpoints/", {"fleet_id": str(b.id)}).json()["results"] == []
    assert receiver.received == []
    # a platform admin sees every fleet's
    admin = client_for(two.platform_admin)
    assert [r["id"] for r in admin.get(f"{API}deliveries/").json()["results"]] == [str(delivery_id)]


def test_the_delivery_log_filters_and_shows_attempts_and_replays(fleets, manager, receiver, clock):
    clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    _, a, _ = fleets
    made = create(manager, a.id, receiver.url, event_types=["vehicle.status_changed", "vehicle.added"]).json()
    receiver.default = Answer(status=500, body=b"down")
    (first,) = services.deliveries_create(event_envelope=to_envelope(vehicle_event(a.id)))
    row = WebhookDelivery.objects.get(id=first)
    services.delivery_send(delivery_id=first, claim=row.claim)
    clock.advance(hours=2)
    (second,) = services.deliveries_create(event_envelope=to_envelope(vehicle_event(a.id)))

    listed = manager.get(f"{API}deliveries/", {"endpoint_id": made["id"], "type": "vehicle.status_changed"}).json()
    assert {r["id"] for r in listed["results"]} == {str(first), str(second)}
    since = (clock.now - dt.timedelta(hours=1)).isoformat()
    assert [r["id"] for r in manager.get(f"{API}deliveries/", {"since": since}).json()["results"]] == [str(second)]
    assert manager.get(f"{API}deliveries/", {"type": "vehicle.added"}).json()["results"] == []
    detail = manager.get(f"{API}deliveries/{first}/").json()
    assert detail["status"] == "pending" and detail["attempts"] == 1
    (attempt,) = detail["attempt_log"]
    assert attempt["response_status"] == 500 and attempt["response_body"] == "down"
    assert attempt["request_headers"]["LogiTrack-Event-Type"] == "vehicle.status_changed"
    assert json.loads(attempt["request_body"])["id"] == json.loads(detail["body"])["id"]

    WebhookDelivery.objects.filter(id=first).update(status=DeliveryStatus.DEAD, claim=None, claimed_until=None)
    replayed = manager.post(f"{API}deliveries/{first}/replay/")
    assert replayed.status_code == 202 and replayed.json()["status"] == "pending" and replayed.json()["replays"] == 1
    problem(manager.post(f"{API}deliveries/{first}/replay/"), 409)  # its send is under way (claimed)

    WebhookDelivery.objects.filter(id__in=[first, second]).update(
        status=DeliveryStatus.DEAD, claim=None, claimed_until=None
    )
    window = {"since": (clock.now - dt.timedelta(days=1)).isoformat(), "until": clock.now.isoformat(),
              "status": "dead"}  # fmt: skip
    # `until` is exclusive: the second (made at `now`) is outside
    assert manager.post(f"{API}deliveries/replay/", window, format="json").json() == {"replayed": 1}
    window["until"] = (clock.now + dt.timedelta(seconds=1)).isoformat()
    assert manager.post(f"{API}deliveries/replay/", window, format="json").json() == {"replayed": 1}
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    receiver.default = Answer(status=200)
    assert services.deliveries_sweep() == 2


def test_lists_cost_the_same_queries_for_more_rows_and_a_send_a_bounded_number(fleets, manager, receiver):
    _, a, _ = fleets
    for _ in range(2):
        create(manager, a.id, receiver.url)

    def counted(path):
        with CaptureEveryDatabase() as seen:
            assert manager.get(path).status_code == 200
        assert len(seen), "no query seen: on a database the capture does not watch?"
        return len(seen)

    for _ in range(2):
        services.deliveries_create(event_envelope=to_envelope(vehicle_event(a.id)))
    few = (counted(f"{API}deliveries/"), counted(f"{API}endpoints/"))
    for _ in range(5):
        services.deliveries_create(event_envelope=to_envelope(vehicle_event(a.id)))
    create(manager, a.id, receiver.url)
    assert (counted(f"{API}deliveries/"), counted(f"{API}endpoints/")) == few

    delivery = WebhookDelivery.objects.filter(status="pending").first()
    with CaptureEveryDatabase() as seen:
        assert services.delivery_send(delivery_id=delivery.id, claim=delivery.claim) == "sent"
    assert len(seen) <= 12, [q["sql"][:80] for q in seen]
