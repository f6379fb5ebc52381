"""The Web Push channel against a local push service: the test checks the VAPID JWT with the server's public key,
the RFC 8030 headers, and decrypts the body with the subscriber's private key (as the browser would) to compare the
exact message. Then what each answer means: gone subscriptions are removed, throttling and outages retry."""

import base64
import datetime as dt
import io
import json
import os
import time
import uuid

import http_ece
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from django.core.management import call_command
from django.utils import timezone

from apps.notifications.channels.base import Outgoing, Permanent, Transient
from apps.notifications.channels.push import MAX_PLAINTEXT, ConsolePush, WebPush, generate_vapid_keys
from apps.notifications.models import PushSubscription
from apps.notifications.tests.channel_fakes import FakeHttpServer

pytestmark = pytest.mark.django_db
SUBJECT = "mailto:ops@logitrack.test"


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Browser:
    """A subscriber: the key pair and auth secret a browser makes for a PushSubscription."""

    def __init__(self) -> None:
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        raw = self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        self.p256dh, self.auth_secret = b64(raw), os.urandom(16)
        self.auth = b64(self.auth_secret)

    def decrypt(self, body: bytes) -> dict:
        plain = http_ece.decrypt(body, private_key=self.private_key, auth_secret=self.auth_secret, version="aes128gcm")
        assert len(plain) <= MAX_PLAINTEXT
        return json.loads(plain)


@pytest.fixture
def vapid(settings):
    private, public = generate_vapid_keys()
    settings.NOTIFICATIONS_VAPID_PRIVATE_KEY = private
    settings.NOTIFICATIONS_VAPID_PUBLIC_KEY = public
    settings.NOTIFICATIONS_VAPID_SUBJECT = SUBJECT
    settings.NOTIFICATIONS_PUSH_TIMEOUT_SECONDS = 1
    settings.NOTIFICATIONS_PUSH_HOSTS = ["127.0.0.1"]  # the local fake, listed explicitly
    settings.NOTIFICATIONS_PUSH_ALLOW_HTTP = True
    return public


@pytest.fixture
def push_service(vapid):
    fake = FakeHttpServer()
    yield fake
    fake.stop()


@pytest.fixture
def browser():
    return Browser()


@pytest.fixture
def subscription(push_service, browser):
    return PushSubscription.objects.create(
        user_id=uuid.uuid4(),
        endpoint=f"{push_service.url}/wpush/v2/gAAAAABk-token",
        p256dh=browser.p256dh,
        auth=browser.auth,
        label="Pixel 8",
    )


def verify_vapid(authorization: str, public_key: str) -> dict:
    """RFC 8292 by hand: `vapid t=<JWT>, k=<key>`; the JWT is ES256 over header.claims with the server's key."""
    scheme, _, params = authorization.partition(" ")
    assert scheme == "vapid"
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == public_key
    header_b64, claims_b64, signature_b64 = parts["t"].split(".")
    assert json.loads(unb64(header_b64)) == {"typ": "JWT", "alg": "ES256"}
    signature = unb64(signature_b64)
    assert len(signature) == 64  # JOSE: r || s, not DER
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64(public_key))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    key.verify(der, f"{header_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))  # raises if forged
    return json.loads(unb64(claims_b64))


def test_an_urgent_push_is_signed_encrypted_and_decrypts_to_the_exact_message(
    push_service, subscription, browser, vapid
):
    push_service.answer(201, headers={"Location": f"{push_service.url}/m/abc123"})
    expires = (timezone.now() + dt.timedelta(seconds=45)).isoformat()
    trip = str(uuid.uuid4())
    message = Outgoing(
        to=str(subscription.id),
        subject="New trip offer",
        text="Pickup Invalidenstraße 1 → Oranienstraße 25, 4.1 km",
        data=(("trip_id", trip), ("expires_at", expires)),
        urgent=True,
        sender_name="Alpha Logistics",
        key="offer:abc:driver:1:push",
    )

    assert WebPush().send(message) == f"{push_service.url}/m/abc123"

    [request] = push_service.requests
    assert (request.method, request.path) == ("POST", "/wpush/v2/gAAAAABk-token")
    assert request.headers["content-encoding"] == "aes128gcm"
    assert request.headers["urgency"] == "high"
    assert 40 <= int(request.headers["ttl"]) <= 45  # capped by the offer's expiry, not a day
    claims = verify_vapid(request.headers["authorization"], vapid)
    assert claims["aud"] == push_service.url and claims["sub"] == SUBJECT
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert browser.decrypt(request.body) == {
        "title": "New trip offer",
        "body": "Pickup Invalidenstraße 1 → Oranienstraße 25, 4.1 km",
        "data": {"trip_id": trip, "expires_at": expires},
        "urgent": True,
        "sender": "Alpha Logistics",
        "tag": "offer:abc:driver:1:push",
    }
    subscription.refresh_from_db()
    assert subscription.last_success_at is not None


def test_a_normal_push_has_normal_urgency_and_the_configured_ttl(push_service, subscription, browser, settings):
    settings.NOTIFICATIONS_PUSH_TTL_SECONDS = 3600
    push_service.answer(202)  # no Location: no provider id
    assert WebPush().send(Outgoing(to=str(subscription.id), subject="Papers", text="Your licence expires")) == ""
    [request] = push_service.requests
    assert (request.headers["urgency"], request.headers["ttl"]) == ("normal", "3600")
    assert browser.decrypt(request.body)["body"] == "Your licence expires"


def test_a_long_text_is_shortened_to_fit_a_push_message(push_service, subscription, browser):
    push_service.answer(201)
    push_service.answer(201)
    WebPush().send(Outgoing(to=str(subscription.id), text="ü" * 5000, data=(("trip_id", "t-1"),)))
    received = browser.decrypt(push_service.requests[0].body)
    assert len(received["body"]) == 1000 and received["body"].endswith("…") and received["data"] == {"trip_id": "t-1"}

    bulky = (("stops", "x" * 3000),)  # what the app opens stays whole; the shown text gives way to fit 4 kB
    WebPush().send(Outgoing(to=str(subscription.id), text="ü" * 900, data=bulky))
    received = browser.decrypt(push_service.requests[1].body)  # decrypt() checks the RFC 8291 limit
    assert received["data"] == dict(bulky) and 0 < len(received["body"]) < 900 and received["body"].endswith("…")


def test_a_message_too_large_even_without_text_is_permanent(push_service, subscription):
    with pytest.raises(Permanent, match="more than a push service carries"):
        WebPush().send(Outgoing(to=str(subscription.id), text="hi", data=(("stops", "x" * 5000),)))
    assert push_service.requests == []


@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_permanent_and_removed(push_service, subscription, status):
    push_service.answer(status, b"push subscription has unsubscribed or expired.")
    with pytest.raises(Permanent, match="gone") as refused:
        WebPush().send(Outgoing(to=str(subscription.id), text="hi"))
    assert refused.value.status == status
    assert not PushSubscription.objects.filter(id=subscription.id).exists()
    with pytest.raises(Permanent, match="gone"):  # the next message to it does not even reach the network
        WebPush().send(Outgoing(to=str(subscription.id), text="again"))
    assert len(push_service.requests) == 1


def test_a_payload_the_service_finds_too_large_is_permanent_and_the_subscription_kept(push_service, subscription):
    push_service.answer(413, b"Payload Too Large")
    with pytest.raises(Permanent) as refused:
        WebPush().send(Outgoing(to=str(subscription.id), text="hi"))
    assert refused.value.status == 413
    subscription.refresh_from_db()
    assert subscription.last_failure.startswith("push service 413") and subscription.last_failure_at is not None


@pytest.mark.parametrize("status", [429, 500, 503])
def test_throttling_and_outages_are_transient(push_service, subscription, status):
    push_service.answer(status, b"slow down", headers={"Retry-After": "30"})
    with pytest.raises(Transient) as later:
        WebPush().send(Outgoing(to=str(subscription.id), text="hi"))
    assert later.value.status == status and "Retry-After 30" in later.value.reason
    assert PushSubscription.objects.filter(id=subscription.id).exists()


def test_a_hanging_push_service_times_out_as_transient(push_service, subscription):
    push_service.hang()
    started = time.monotonic()
    with pytest.raises(Transient, match="timed out"):
        WebPush().send(Outgoing(to=str(subscription.id), text="hi"))
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("status", [401, 403])
def test_a_refused_vapid_signature_is_permanent_and_logged(push_service, subscription, status, caplog):
    push_service.answer(status, b"invalid JWT")
    with pytest.raises(Permanent), caplog.at_level("ERROR"):
        WebPush().send(Outgoing(to=str(subscription.id), text="hi"))
    assert "notifications.push_vapid_refused" in caplog.text
    assert PushSubscription.objects.filter(id=subscription.id).exists()


def test_a_redirect_is_not_followed(push_service, subscription):
    push_service.answer(307, headers={"Location": "http://10.0.0.1/internal"})
    with pytest.raises(Permanent):
        WebPush().send(Outgoing(to=str(subscription.id), text="hi"))
    assert len(push_service.requests) == 1


def test_the_browsers_subscription_json_works_as_the_address_too(push_service, browser):
    push_service.answer(201)
    keys = {"p256dh": browser.p256dh, "auth": browser.auth}
    to = json.dumps({"endpoint": f"{push_service.url}/direct", "keys": keys})
    WebPush().send(Outgoing(to=to, subject="Hi", text="there"))
    assert browser.decrypt(push_service.requests[0].body)["title"] == "Hi"


@pytest.mark.parametrize(
    ("to", "why"),
    [
        ("5f0e6a1c-2b9d-4c7e-9a31-7d2f8c4b6e10", "gone"),  # fixed: parameters must be the same in every worker
        ("not-an-id", "not a push subscription"),
        ('{"endpoint": "x"}', "not a push subscription"),
    ],
)
def test_an_address_that_is_no_subscription_is_permanent_without_a_request(push_service, to, why):
    with pytest.raises(Permanent, match=why):
        WebPush().send(Outgoing(to=to, text="hi"))
    assert push_service.requests == []


def test_an_endpoint_outside_the_push_services_is_never_called(push_service, subscription, settings, browser):
    settings.NOTIFICATIONS_PUSH_HOSTS = ["fcm.googleapis.com"]
    with pytest.raises(Permanent, match="not a push service"):
        WebPush().send(Outgoing(to=str(subscription.id), text="hi"))
    assert push_service.requests == []


def test_an_expired_message_is_not_pushed(push_service, subscription):
    past = (timezone.now() - dt.timedelta(seconds=5)).isoformat()
    with pytest.raises(Permanent, match="expired"):
        WebPush().send(Outgoing(to=str(subscription.id), text="offer", data=(("expires_at", past),)))
    assert push_service.requests == []


def test_without_a_vapid_key_nothing_is_sent(push_service, subscription, settings):
    settings.NOTIFICATIONS_VAPID_PRIVATE_KEY = ""
    with pytest.raises(Permanent, match="not configured"):
        WebPush().send(Outgoing(to=str(subscription.id), text="hi"))
    assert push_service.requests == []


def test_the_key_command_prints_a_matching_pair():
    out = io.StringIO()
    call_command("notifications_vapid_keys", "--subject", "mailto:ops@example.org", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines())
    scalar = int.from_bytes(unb64(lines["NOTIFICATIONS_VAPID_PRIVATE_KEY"]), "big")
    public = (
        ec.derive_private_key(scalar, ec.SECP256R1())
        .public_key()
        .public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    )
    assert b64(public) == lines["NOTIFICATIONS_VAPID_PUBLIC_KEY"] and len(public) == 65
    assert lines["NOTIFICATIONS_VAPID_SUBJECT"] == "mailto:ops@example.org"


def test_the_console_adapter_prints_the_push_it_would_send():
    out = io.StringIO()
    sent = ConsolePush(stream=out).send(Outgoing(to="sub-1", subject="Offer", text="Go", urgent=True, key="k"))
    assert sent.startswith("console-") and out.getvalue() == (
        f"--- push {sent}\nTo: sub-1\nUrgency: high\n\n"
        '{"title":"Offer","body":"Go","data":{},"urgent":true,"sender":"","tag":"k"}\n---\n'
    )
