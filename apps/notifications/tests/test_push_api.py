"""The driver app's push REST: the VAPID key, registering the browser's PushSubscription (validated, idempotent on
the endpoint) and removing it, each driver seeing and touching only their own."""

import base64
import os
import uuid

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from apps.identity.contracts import FleetRole
from apps.notifications.channels.push import generate_vapid_keys
from apps.notifications.models import PushSubscription

pytestmark = pytest.mark.django_db
BASE = "/api/v1/notifications/push"
AUTH = "tBHItJI5svbpez7KI4CCXg"  # a fixed auth secret: parameters must be the same in every xdist worker


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def browser_subscription(endpoint: str = "") -> dict:
    """What `PushSubscription.toJSON()` gives in a browser."""
    point = (
        ec.generate_private_key(ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    return {
        "endpoint": endpoint or f"https://fcm.googleapis.com/fcm/send/{uuid.uuid4().hex}",
        "expirationTime": None,
        "keys": {"p256dh": b64(point), "auth": b64(os.urandom(16))},
    }


@pytest.fixture
def vapid(settings):
    private, public = generate_vapid_keys()
    settings.NOTIFICATIONS_VAPID_PRIVATE_KEY, settings.NOTIFICATIONS_VAPID_PUBLIC_KEY = private, public
    return public


def problem(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    return response.json()


def test_a_driver_gets_the_application_server_key(two_fleets, vapid, settings):
    response = two_fleets.a.client(FleetRole.DRIVER).get(f"{BASE}/key/")
    assert response.status_code == 200 and response.json() == {"public_key": vapid}

    settings.NOTIFICATIONS_VAPID_PUBLIC_KEY = ""  # derived from the private key when not given
    assert two_fleets.a.client(FleetRole.DRIVER).get(f"{BASE}/key/").json() == {"public_key": vapid}


def test_the_key_is_a_clear_404_when_push_is_not_set_up_or_the_keys_disagree(two_fleets, settings, vapid):
    settings.NOTIFICATIONS_VAPID_PUBLIC_KEY = generate_vapid_keys()[1]
    assert problem(two_fleets.a.client(FleetRole.DRIVER).get(f"{BASE}/key/"), 404)["code"] == (
        "notifications.push_not_configured"
    )
    settings.NOTIFICATIONS_VAPID_PRIVATE_KEY = ""
    assert "not set up" in problem(two_fleets.a.client(FleetRole.DRIVER).get(f"{BASE}/key/"), 404)["detail"]


def test_registering_is_idempotent_on_the_endpoint(two_fleets):
    driver = two_fleets.a.users[FleetRole.DRIVER]
    client = two_fleets.a.client(FleetRole.DRIVER)
    given = browser_subscription()

    first = client.post(f"{BASE}/subscriptions/", given, format="json", HTTP_USER_AGENT="Mozilla/5.0 (Android 14)")
    assert first.status_code == 201, first.json()
    again = client.post(f"{BASE}/subscriptions/", given, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]

    [row] = PushSubscription.objects.all()
    assert (row.user_id, row.endpoint, row.p256dh, row.auth) == (
        driver.id,
        given["endpoint"],
        given["keys"]["p256dh"],
        given["keys"]["auth"],
    )
    assert row.label == "Mozilla/5.0 (Android 14)"
    labelled = client.post(f"{BASE}/subscriptions/", {**given, "label": "Van tablet"}, format="json")
    assert labelled.json()["label"] == "Van tablet"


def test_the_same_device_registered_by_another_driver_moves_to_them(two_fleets):
    given = browser_subscription()
    two_fleets.a.client(FleetRole.DRIVER).post(f"{BASE}/subscriptions/", given, format="json")
    taken = two_fleets.b.client(FleetRole.DRIVER).post(f"{BASE}/subscriptions/", given, format="json")
    assert taken.status_code == 201
    assert PushSubscription.objects.get().user_id == two_fleets.b.users[FleetRole.DRIVER].id
    assert two_fleets.a.client(FleetRole.DRIVER).get(f"{BASE}/subscriptions/").json()["count"] == 0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"endpoint": "http://fcm.googleapis.com/fcm/send/x"}, "endpoint"),  # not https
        ({"endpoint": "https://169.254.169.254/latest/meta-data"}, "endpoint"),  # not a push service
        ({"endpoint": "https://push.internal.example/x"}, "endpoint"),
        ({"endpoint": "https://user:pw@fcm.googleapis.com/x"}, "endpoint"),
        ({"endpoint": "not a url"}, "endpoint"),
        ({"keys": {"p256dh": "AAAA", "auth": AUTH}}, "p256dh"),  # not a P-256 point
        ({"keys": {"p256dh": b64(b"\x04" + bytes(64)), "auth": AUTH}}, "p256dh"),  # not on the curve
        ({"keys": {"p256dh": "x" * 87 + "!", "auth": AUTH}}, "p256dh"),  # not base64
        ({"keys": {"p256dh": None, "auth": AUTH}}, "keys"),
        ("auth-short", "auth"),
        ({"keys": {"auth": AUTH}}, "keys"),
        ({"keys": "p256dh"}, "keys"),
        ({"expirationTime": "soon"}, "expirationTime"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_bad_subscription_is_a_400_problem_and_stores_nothing(two_fleets, change, field):
    given = browser_subscription()
    if change == "auth-short":
        given["keys"]["auth"] = b64(os.urandom(8))
    else:
        given.update(change)
    body = problem(two_fleets.a.client(FleetRole.DRIVER).post(f"{BASE}/subscriptions/", given, format="json"), 400)
    assert field in str(body), body
    assert not PushSubscription.objects.exists()


def test_a_non_json_body_is_a_400_problem(two_fleets):
    response = two_fleets.a.client(FleetRole.DRIVER).post(
        f"{BASE}/subscriptions/", "[1, 2]", content_type="application/json"
    )
    problem(response, 400)


def test_only_drivers_may_subscribe_and_strangers_are_401(two_fleets, client):
    given = browser_subscription()
    for role in (FleetRole.FLEET_MANAGER, FleetRole.DISPATCHER):
        problem(two_fleets.a.client(role).post(f"{BASE}/subscriptions/", given, format="json"), 403)
    from tests.support.isolation import client_for

    problem(client_for(two_fleets.customer).get(f"{BASE}/key/"), 403)
    problem(client.post(f"{BASE}/subscriptions/", given, content_type="application/json"), 401)
    problem(client.get(f"{BASE}/key/"), 401)
    assert not PushSubscription.objects.exists()


def test_each_driver_lists_and_removes_only_their_own(two_fleets, django_assert_max_num_queries):
    alpha, bravo = two_fleets.a.client(FleetRole.DRIVER), two_fleets.b.client(FleetRole.DRIVER)
    mine = [alpha.post(f"{BASE}/subscriptions/", browser_subscription(), format="json").json() for _ in range(3)]
    theirs = bravo.post(f"{BASE}/subscriptions/", browser_subscription(), format="json").json()

    with django_assert_max_num_queries(8):  # one page: no query per row
        listed = alpha.get(f"{BASE}/subscriptions/").json()
    assert listed["count"] == 3 and {s["id"] for s in listed["results"]} == {s["id"] for s in mine}

    from tests.support.isolation import client_for

    for stranger in (alpha, client_for(two_fleets.platform_admin)):  # another fleet's driver; even an admin
        body = problem(stranger.delete(f"{BASE}/subscriptions/{theirs['id']}/"), 404)
        assert body["code"] == "notifications.push_subscription_not_found"
    problem(alpha.delete(f"{BASE}/subscriptions/{uuid.uuid4()}/"), 404)  # the same answer as for a stranger's
    problem(two_fleets.a.client(FleetRole.FLEET_MANAGER).delete(f"{BASE}/subscriptions/{mine[0]['id']}/"), 403)
    assert PushSubscription.objects.count() == 4

    assert alpha.delete(f"{BASE}/subscriptions/{mine[0]['id']}/").status_code == 204
    assert not PushSubscription.objects.filter(id=mine[0]["id"]).exists()
    problem(alpha.delete(f"{BASE}/subscriptions/{mine[0]['id']}/"), 404)  # already gone
    assert PushSubscription.objects.filter(id=theirs["id"]).exists()


def test_a_driver_keeps_at_most_twenty_devices(two_fleets):
    client = two_fleets.a.client(FleetRole.DRIVER)
    first = client.post(f"{BASE}/subscriptions/", browser_subscription(), format="json").json()
    for _ in range(20):
        client.post(f"{BASE}/subscriptions/", browser_subscription(), format="json")
    assert PushSubscription.objects.count() == 20
    assert not PushSubscription.objects.filter(id=first["id"]).exists()  # the oldest went
