"""Webhook deliveries against a real local HTTP receiver: the bytes on the wire, the signature checked with the
README's recipe, retries, dead letters, replay, timeouts, redirects, leases, idempotency, switching off."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from django.utils import timezone

from apps.notifications.contracts import DeliveryStatus
from apps.notifications.events import WebhookEndpointDisabledV1
from apps.notifications.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps.notifications.services import deliveries
from apps.notifications.tests.receiver import Answer
from apps.notifications.webhooks import catalogue, services, signing
from logitrack.events import to_envelope
from logitrack.outbox import delivery as outbox_delivery
from logitrack.testing.metrics import scraped
from tests.support.webhook_world import vehicle_event

pytestmark = pytest.mark.django_db


def verify_like_the_readme(secret: str, header: str, body: bytes, tolerance: int = 300) -> bool:
    """The receiver's recipe from the README, copied as an integrator would."""
    import hashlib
    import hmac
    import time

    items = [part.split("=", 1) for part in header.split(",")]
    timestamp = int(next(v for k, v in items if k == "t"))
    if abs(time.time() - timestamp) > tolerance:
        return False
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return any(k == "v1" and hmac.compare_digest(v, expected) for k, v in items)


def endpoint_for(fleet, url, types=("vehicle.status_changed",)) -> services.WithSecret:
    return services.endpoint_create(fleet_id=fleet.id, url=url, event_types=list(types), description="ERP")


def queue(event) -> list[WebhookDelivery]:
    ids = services.deliveries_create(event_envelope=to_envelope(event))
    return list(WebhookDelivery.objects.filter(id__in=ids))


def send(delivery: WebhookDelivery) -> str:
    delivery.refresh_from_db()
    return services.delivery_send(delivery_id=delivery.id, claim=delivery.claim)


def test_delivery_posts_the_signed_envelope_with_its_headers(fleets, receiver):
    _, a, _ = fleets
    made = endpoint_for(a, receiver.url)
    assert made.secret.startswith("whsec_")
    event = vehicle_event(a.id)
    (delivery,) = queue(event)

    assert send(delivery) == "sent"

    (got,) = receiver.received
    assert got.path == "/hooks/logitrack"
    headers = {k.lower(): v for k, v in got.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"].startswith("LogiTrack-Webhooks/")
    assert headers["logitrack-event-id"] == str(event.event_id)
    assert headers["logitrack-event-type"] == "vehicle.status_changed"
    assert headers["logitrack-delivery-attempt"] == "1"
    assert verify_like_the_readme(made.secret, headers["logitrack-signature"], got.body)
    assert signing.verify(made.secret, headers["logitrack-signature"], got.body)
    assert not verify_like_the_readme(made.secret, headers["logitrack-signature"], got.body + b" ")
    assert not verify_like_the_readme(signing.new_secret(), headers["logitrack-signature"], got.body)
    envelope = json.loads(got.body)
    assert envelope == {
        "id": str(event.event_id),
        "type": "vehicle.status_changed",
        "created": event.occurred_at.isoformat(),
        "fleet_id": str(a.id),
        "data": {"vehicle_id": str(event.vehicle_id), "old_status": "active", "new_status": "in_maintenance"},
    }
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.attempts == 1 and delivery.claim is None
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.succeeded and attempt.response_status == 200 and attempt.response_body == "ok"
    assert attempt.request_body.encode() == got.body and attempt.request_url == receiver.url
    assert attempt.request_headers["LogiTrack-Signature"] == headers["logitrack-signature"]
    # the secret is stored encrypted: not readable from the row
    stored = WebhookEndpoint.objects.get(id=made.endpoint.id)
    assert made.secret not in stored.secret_encrypted and signing.unseal(stored.secret_encrypted) == made.secret


def test_only_endpoints_of_the_events_fleet_that_chose_its_type_get_it(fleets, receiver):
    _, a, b = fleets
    mine = endpoint_for(a, receiver.url).endpoint
    endpoint_for(a, receiver.url, types=("trip.completed",))  # another type
    endpoint_for(b, receiver.url)  # another fleet
    services.endpoint_update(endpoint_id=endpoint_for(a, receiver.url).endpoint.id, changes={"is_active": False})
    deliveries = queue(vehicle_event(a.id))
    assert [d.endpoint_id for d in deliveries] == [mine.id]


def test_rotation_signs_with_both_secrets_during_the_grace_period(fleets, receiver, settings):
    _, a, _ = fleets
    old = endpoint_for(a, receiver.url)
    new = services.endpoint_rotate_secret(endpoint_id=old.endpoint.id)
    assert new.secret != old.secret
    (delivery,) = queue(vehicle_event(a.id))
    send(delivery)
    header = receiver.received[-1].headers["LogiTrack-Signature"]
    body = receiver.received[-1].body
    assert header.count("v1=") == 2
    assert verify_like_the_readme(new.secret, header, body) and verify_like_the_readme(old.secret, header, body)

    # once the grace period is over, only the new secret signs
    WebhookEndpoint.objects.filter(id=old.endpoint.id).update(
        previous_secret_expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    (later,) = queue(vehicle_event(a.id))
    send(later)
    header, body = receiver.received[-1].headers["LogiTrack-Signature"], receiver.received[-1].body
    assert header.count("v1=") == 1
    assert verify_like_the_readme(new.secret, header, body) and not verify_like_the_readme(old.secret, header, body)


def test_a_failing_endpoint_is_retried_with_growing_delays_then_dead_then_replayed(fleets, receiver, clock, settings):
    settings.NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS = 10
    settings.NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS = 10_000
    settings.NOTIFICATIONS_WEBHOOK_RETRY_FOR_SECONDS = 600  # tests shrink the 3 days
    settings.NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_DAYS = 30
    start = clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    receiver.default = Answer(status=500, body=b"boom")
    (delivery,) = queue(vehicle_event(a.id))
    counted = {o: scraped(f'logitrack_webhook_deliveries_total{{outcome="{o}"}}') for o in ("retry", "dead", "sent")}

    outcomes, delays = [send(delivery)], []
    while True:
        delivery.refresh_from_db()
        if delivery.status == DeliveryStatus.DEAD:
            break
        delays.append((delivery.next_attempt_at - clock.now).total_seconds())
        clock.set(delivery.next_attempt_at)
        assert services.deliveries_sweep() == 1  # the sweep claims the due retry (its job is queued after commit)
        outcomes.append(send(delivery))

    assert outcomes[-1] == "dead" and set(outcomes[:-1]) == {"retry"}
    assert len(delays) >= 4
    for n, delay in enumerate(delays, start=1):  # jittered, within the doubling band of try n
        assert 10 * 2 ** (n - 1) / 2 <= delay <= 10 * 2 ** (n - 1), (n, delays)
    assert clock.now - start <= dt.timedelta(seconds=600)
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [x.response_status for x in attempts] == [500] * len(outcomes)
    assert [x.number for x in attempts] == list(range(1, len(outcomes) + 1))
    assert [r.headers["LogiTrack-Delivery-Attempt"] for r in receiver.received] == [
        str(n) for n in range(1, len(outcomes) + 1)
    ]
    assert attempts[0].response_body == "boom" and attempts[0].error == "HTTP 500"
    assert services.deliveries_sweep() == 0  # dead: nothing more is tried

    receiver.default = Answer(status=204, body=b"")
    services.delivery_replay(delivery_id=delivery.id)
    assert send(delivery) == "sent"
    assert {o: scraped(f'logitrack_webhook_deliveries_total{{outcome="{o}"}}') - n for o, n in counted.items()} == {
        "retry": len(outcomes) - 1,
        "dead": 1,
        "sent": 1,
    }
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.replays == 1
    assert receiver.received[-1].body == receiver.received[0].body  # the same event, the same bytes


def test_a_timeout_is_a_failed_attempt(fleets, receiver, settings):
    settings.NOTIFICATIONS_WEBHOOK_READ_TIMEOUT_SECONDS = 0.5
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    receiver.answer(Answer(delay=2.0))
    (delivery,) = queue(vehicle_event(a.id))
    assert send(delivery) == "retry"
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.response_status is None and "timed out" in attempt.error and attempt.duration_ms < 1900


def test_an_answer_dripping_in_is_cut_off_at_the_time_budget(fleets, receiver, settings):
    settings.NOTIFICATIONS_WEBHOOK_CONNECT_TIMEOUT_SECONDS = 0.5
    settings.NOTIFICATIONS_WEBHOOK_READ_TIMEOUT_SECONDS = 0.5  # each byte comes sooner than this, the whole never
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    receiver.answer(Answer(status=200, body=b"x" * 20, drip=0.2))
    (delivery,) = queue(vehicle_event(a.id))
    assert send(delivery) == "retry"
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert "no complete answer within 1 s" in attempt.error and attempt.duration_ms < 2000


def test_a_redirect_is_not_followed(fleets, receiver):
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    receiver.answer(Answer(status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"}))
    (delivery,) = queue(vehicle_event(a.id))
    assert send(delivery) == "retry"
    assert len(receiver.received) == 1  # nothing went to the Location
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.response_status == 302 and attempt.error == "HTTP 302" and not attempt.succeeded


def test_the_response_body_is_read_up_to_the_bound(fleets, receiver, settings):
    settings.NOTIFICATIONS_WEBHOOK_MAX_RESPONSE_BYTES = 1024
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    receiver.answer(Answer(status=200, body=b"x" * 100_000))
    (delivery,) = queue(vehicle_event(a.id))
    assert send(delivery) == "sent"
    assert len(WebhookAttempt.objects.get(delivery=delivery).response_body) == 1024


def test_the_same_event_delivered_twice_makes_one_delivery_per_endpoint(fleets, receiver):
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    endpoint_for(a, receiver.url)
    event = vehicle_event(a.id)
    first = services.deliveries_create(event_envelope=to_envelope(event))
    again = services.deliveries_create(event_envelope=to_envelope(event))
    assert len(first) == 2 and again == []
    assert WebhookDelivery.objects.filter(event_id=event.event_id).count() == 2
    # and through the bus, the subscription applying it twice (an at-least-once relay redelivering)
    envelope = to_envelope(vehicle_event(a.id))
    name = "notifications.queue_webhooks_vehicle_status_changed"
    assert outbox_delivery.deliver(subscription_name=name, envelope=envelope)
    assert not outbox_delivery.deliver(subscription_name=name, envelope=envelope)
    assert WebhookDelivery.objects.filter(event_id=envelope["id"]).count() == 2


def test_a_dead_workers_claim_is_retaken_after_its_lease_and_never_while_live(fleets, receiver, clock, settings):
    settings.NOTIFICATIONS_WEBHOOK_LEASE_SECONDS = 60
    clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    (delivery,) = queue(vehicle_event(a.id))  # claimed at creation; say its job's worker was killed
    first_claim = delivery.claim
    assert services.deliveries_sweep() == 0  # the claim is live: nobody else takes it
    assert services.delivery_send(delivery_id=delivery.id, claim=uuid.uuid4()) == "skipped"
    assert services.delivery_send(delivery_id=delivery.id) == "skipped"  # no claim given: the live one wins
    clock.advance(seconds=61)
    assert services.deliveries_sweep() == 1
    delivery.refresh_from_db()
    assert delivery.claim != first_claim
    assert services.delivery_send(delivery_id=delivery.id, claim=first_claim) == "skipped"  # the old job, late
    assert send(delivery) == "sent"
    assert len(receiver.received) == 1
    assert services.delivery_send(delivery_id=delivery.id, claim=delivery.claim) == "skipped"  # sent already


def test_an_endpoint_failing_for_days_is_switched_off_and_its_managers_told(
    fleets, receiver, clock, settings, captured_events, relay_and_deliver, smtp
):
    settings.NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_DAYS = 3
    settings.NOTIFICATIONS_WEBHOOK_RETRY_FOR_SECONDS = 10 * 86400
    start = clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    _, a, _ = fleets
    endpoint = endpoint_for(a, receiver.url).endpoint
    receiver.default = Answer(status=503)
    waiting = queue(vehicle_event(a.id))[0]
    (delivery,) = queue(vehicle_event(a.id))
    assert send(delivery) == "retry"
    endpoint.refresh_from_db()
    assert endpoint.failing_since == start and endpoint.is_active

    clock.advance(days=2, hours=23)
    assert services.deliveries_sweep() == 2
    assert send(delivery) == "retry"
    endpoint.refresh_from_db()
    assert endpoint.is_active

    clock.advance(hours=2)
    services.deliveries_sweep()
    with captured_events() as published:
        assert send(delivery) == "dead"
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_reason == "failing" and endpoint.disabled_at == clock.now
    (event,) = [e for e in published if isinstance(e, WebhookEndpointDisabledV1)]
    assert (event.endpoint_id, event.fleet_id, event.url) == (endpoint.id, a.id, receiver.url)
    assert event.failing_since == start and event.last_error == "HTTP 503"
    waiting.refresh_from_db()
    assert waiting.status == DeliveryStatus.DEAD  # nothing more is tried while it is off
    assert queue(vehicle_event(a.id)) == []  # and new events make no deliveries
    with pytest.raises(services.EndpointDisabled):
        services.delivery_replay(delivery_id=delivery.id)

    # the people side hears its own event (handlers/managers.py) and mails fleet A's manager, nobody else
    relay_and_deliver()
    assert deliveries.deliveries_send_due() == 1
    [mail] = smtp.messages()
    assert mail["To"] == fleets[0].a.users["fleet_manager"].email
    assert mail["Subject"] == "Alpha Logistics: Webhook-Endpunkt abgeschaltet (127.0.0.1)"
    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert receiver.url in text and "Letzter Fehler: HTTP 503" in text
    assert f"/admin/notifications/webhookendpoint/{endpoint.id}/change/" in text

    # a manager switches it on again: a fresh start, and the dead deliveries can be replayed
    services.endpoint_update(endpoint_id=endpoint.id, changes={"is_active": True})
    endpoint.refresh_from_db()
    assert endpoint.failing_since is None and endpoint.disabled_reason == ""
    receiver.default = Answer(status=200)
    services.delivery_replay(delivery_id=delivery.id)
    assert send(delivery) == "sent"


def test_a_success_resets_the_failure_streak(fleets, receiver, clock, settings):
    clock.set(dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC))
    _, a, _ = fleets
    endpoint = endpoint_for(a, receiver.url).endpoint
    receiver.answer(Answer(status=500), Answer(status=200))
    (delivery,) = queue(vehicle_event(a.id))
    send(delivery)
    clock.advance(days=5)
    services.deliveries_sweep()
    assert send(delivery) == "sent"
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.failing_since is None and endpoint.last_success_at == clock.now


def test_ping_sends_a_signed_test_event_now(fleets, receiver):
    _, a, _ = fleets
    made = endpoint_for(a, receiver.url)
    delivery = services.endpoint_ping(endpoint_id=made.endpoint.id)
    assert delivery.status == DeliveryStatus.SENT
    (got,) = receiver.received
    assert json.loads(got.body)["type"] == "ping"
    assert verify_like_the_readme(made.secret, got.headers["LogiTrack-Signature"], got.body)


def test_in_the_embedded_default_the_sweep_sends_so_no_request_waits_for_an_endpoint(
    fleets, receiver, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # jobs would run inline, in the request that caused the event
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    with django_capture_on_commit_callbacks() as queued:
        (delivery,) = queue(vehicle_event(a.id))
    assert queued == [] and delivery.claimed_until is None  # no job at commit: free for the sweep at once
    assert services.deliveries_sweep() == 1
    assert send(delivery) == "sent"
    settings.CELERY_TASK_ALWAYS_EAGER = False
    with django_capture_on_commit_callbacks() as queued:
        queue(vehicle_event(a.id))
    assert len(queued) == 1  # the full stack queues the send job at commit


def test_the_log_is_purged_after_its_retention_but_nothing_waiting_is(fleets, receiver, clock, settings):
    settings.NOTIFICATIONS_WEBHOOK_LOG_DAYS = 30
    clock.set(dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC))
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    old_sent, old_waiting = queue(vehicle_event(a.id)), queue(vehicle_event(a.id))
    send(old_sent[0])
    clock.advance(days=29)
    (recent,) = queue(vehicle_event(a.id))
    send(recent)
    clock.advance(days=2)
    assert services.deliveries_purge() == 1
    assert set(WebhookDelivery.objects.values_list("id", flat=True)) == {old_waiting[0].id, recent.id}
    assert WebhookAttempt.objects.filter(delivery_id=old_sent[0].id).count() == 0
    assert WebhookAttempt.objects.filter(delivery_id=recent.id).count() == 1


def test_a_binary_answer_is_recorded_and_the_delivery_is_done(fleets, receiver):
    """A receiver answering gzip or an image sends NUL bytes, which PostgreSQL text refuses: recorded with NUL
    replaced, the delivery is sent once (before, the record failed, the claim lapsed and the event was re-sent
    forever)."""
    _, a, _ = fleets
    endpoint_for(a, receiver.url)
    receiver.answer(Answer(status=200, body=b"\x1f\x8b\x08\x00\x00binary", headers={"X-Trace": "a\x00b"}))
    (delivery,) = queue(vehicle_event(a.id))
    assert send(delivery) == "sent"
    attempt = WebhookAttempt.objects.get(delivery=delivery)
    assert attempt.succeeded and "\x00" not in attempt.response_body and attempt.response_body.endswith("binary")
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT and delivery.claim is None and len(receiver.received) == 1


def test_secrets_stay_readable_after_the_secret_key_is_rotated(fleets, receiver, settings):
    """docs/production.md rotates SECRET_KEY with the old one kept as a fallback: stored signing secrets still
    open and sign; with no key that opens them a try fails and is counted (retried, then dead), never stuck."""
    _, a, _ = fleets
    made = endpoint_for(a, receiver.url)
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-secret-key-" + "x" * 40, [old]
    (delivery,) = queue(vehicle_event(a.id))
    assert send(delivery) == "sent"
    assert verify_like_the_readme(
        made.secret, receiver.received[-1].headers[signing.HEADER], receiver.received[-1].body
    )

    settings.SECRET_KEY_FALLBACKS = []  # the old key forgotten: nothing opens the stored secret
    (second,) = queue(vehicle_event(a.id))
    assert send(second) == "retry"
    second.refresh_from_db()
    assert second.attempts == 1 and second.claim is None and "cannot be read" in second.last_error
    assert len(receiver.received) == 1  # nothing went out unsigned


def test_every_public_type_is_subscribed_to_its_source_event():
    from logitrack import bus

    for public in catalogue.PUBLIC_TYPES:
        names = {s.name for s in bus.subscriptions_for(public.source)}
        assert f"notifications.queue_webhooks_{public.name.replace('.', '_')}" in names, public.name


def test_a_rejected_payout_and_an_expiring_kyc_document_reach_the_endpoint_without_the_user_id(fleets, receiver):
    _, a, _ = fleets
    endpoint_for(a, receiver.url, types=("payout.rejected", "kyc_document.expiring"))
    driver_id, user_id = uuid.uuid4(), uuid.uuid4()
    sources = [
        {
            "type": "logitrack.billing.payout.rejected.v1",
            "data": {
                "payout_id": str(uuid.uuid4()),
                "driver_id": str(driver_id),
                "fleet_id": str(a.id),
                "amount": {"amount_minor": 4500, "currency": "EUR"},
                "reason": "bank details missing",
            },
        },
        {
            "type": "logitrack.partner.kyc_document.expiring.v1",
            "data": {
                "document_id": str(uuid.uuid4()),
                "driver_id": str(driver_id),
                "user_id": str(user_id),
                "fleet_id": str(a.id),
                "kyc_type": "driving_licence",
                "expires_on": "2027-01-05",
                "days_left": 30,
            },
        },
    ]
    for source in sources:
        envelope = {"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "specversion": "1.0", **source}
        [delivery] = list(WebhookDelivery.objects.filter(id__in=services.deliveries_create(event_envelope=envelope)))
        assert send(delivery) == "sent"
    bodies = [json.loads(r.body) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["payout.rejected", "kyc_document.expiring"]
    assert bodies[0]["data"]["reason"] == "bank details missing"
    assert bodies[1]["data"]["driver_id"] == str(driver_id) and "user_id" not in bodies[1]["data"]
