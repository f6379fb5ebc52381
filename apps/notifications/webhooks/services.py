"""Writes of the webhooks feature, one transaction each: endpoints (register, change, rotate, switch off), deliveries
(made from events, claimed, sent, retried, dead-lettered, replayed).

How a delivery travels: a row per (event, endpoint) is made in the event handler's transaction, already claimed
(a lease), and its send job is queued after commit. The job re-checks its claim under a row lock and sends. If the
job is lost or its worker dies, the lease runs out and the periodic sweep claims the row again, so nothing is lost,
and nothing is sent twice while a claim is live (the lease is longer than a send can take). A failure schedules the
next try (exponential backoff with jitter) until NOTIFICATIONS_WEBHOOK_RETRY_FOR_SECONDS have passed, then the
delivery is dead (replayable). An endpoint failing without a success for NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_DAYS is
switched off and WebhookEndpointDisabledV1 tells its fleet's managers."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
import uuid
from collections.abc import Iterable
from typing import Any

import structlog
from cryptography.fernet import InvalidToken
from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from apps.notifications import integrations
from apps.notifications.contracts import DeliveryStatus
from apps.notifications.events import WebhookEndpointDisabledV1
from apps.notifications.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from apps.notifications.webhooks import catalogue, signing, transport
from logitrack import jobs, metrics, tracing
from logitrack.db import contexts
from logitrack.exceptions import Conflict, NotFound, ValidationFailed
from logitrack.outbox.api import publish
from logitrack.resilience import retry_delay

log = structlog.get_logger(__name__)

SEND_TASK = "notifications.webhooks_send"
SWEEP_TASK = "notifications.webhooks_sweep"
USER_AGENT = "LogiTrack-Webhooks/1.0"
Reason = WebhookEndpoint.DisabledReason


class UnsafeEndpointURL(ValidationFailed):
    code = "webhooks.unsafe_url"
    title = "This URL may not receive webhooks"


class UnknownEventTypes(ValidationFailed):
    code = "webhooks.unknown_event_types"
    title = "Unknown event types"


class FleetNotFound(NotFound):
    code = "fleet.not_found"


class EndpointDisabled(Conflict):
    code = "webhooks.endpoint_disabled"
    title = "The endpoint is switched off"


class DeliveryInFlight(Conflict):
    code = "webhooks.delivery_in_flight"
    title = "The delivery is being sent right now"


@dataclasses.dataclass(frozen=True)
class WithSecret:
    """An endpoint and its new signing secret: the only time the secret is shown."""

    endpoint: WebhookEndpoint
    secret: str


def _now() -> dt.datetime:
    return timezone.now()


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=int(settings.NOTIFICATIONS_WEBHOOK_LEASE_SECONDS))


def check_url(url: str) -> str:
    try:
        transport.resolve(url)
    except transport.UnsafeURL as exc:
        raise UnsafeEndpointURL(str(exc), extra={"errors": {"url": [str(exc)]}}) from None
    return url


def check_event_types(event_types: Iterable[str]) -> list[str]:
    chosen = list(dict.fromkeys(event_types))
    unknown = [t for t in chosen if t not in catalogue.PUBLIC_NAMES]
    if unknown:
        message = f"unknown event types {unknown}; see the event types list"
        raise UnknownEventTypes(message, extra={"errors": {"event_types": [message]}})
    if not chosen:
        raise UnknownEventTypes("choose at least one event type", extra={"errors": {"event_types": ["required"]}})
    return chosen


# ---- endpoints ---------------------------------------------------------------------------------------------------


@contexts.atomic("notifications")
def endpoint_create(
    *,
    fleet_id: uuid.UUID,
    url: str,
    event_types: Iterable[str],
    description: str = "",
    is_active: bool = True,
    actor_id: uuid.UUID | None = None,
) -> WithSecret:
    if not integrations.fleet_exists(fleet_id=fleet_id):
        raise FleetNotFound("no such fleet")
    secret = signing.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        fleet_id=fleet_id,
        url=check_url(url),
        description=description,
        event_types=check_event_types(event_types),
        is_active=is_active,
        disabled_reason="" if is_active else Reason.MANUAL,
        disabled_at=None if is_active else _now(),
        secret_encrypted=signing.seal(secret),
        created_by_id=actor_id,
    )
    return WithSecret(endpoint, secret)


@contexts.atomic("notifications")
def endpoint_update(*, endpoint_id: uuid.UUID, changes: dict[str, Any]) -> WebhookEndpoint:
    endpoint = WebhookEndpoint.objects.select_for_update().get(id=endpoint_id)
    if "url" in changes:
        endpoint.url = check_url(changes["url"])
    if "event_types" in changes:
        endpoint.event_types = check_event_types(changes["event_types"])
    if "description" in changes:
        endpoint.description = changes["description"]
    if "is_active" in changes and bool(changes["is_active"]) != endpoint.is_active:
        endpoint.is_active = bool(changes["is_active"])
        if endpoint.is_active:  # switched on again: a fresh start (failures before do not count towards disabling)
            endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
        else:
            endpoint.disabled_at, endpoint.disabled_reason = _now(), Reason.MANUAL
    endpoint.save()
    return endpoint


@contexts.atomic("notifications")
def endpoint_delete(*, endpoint_id: uuid.UUID) -> None:
    WebhookEndpoint.objects.filter(id=endpoint_id).delete()


@contexts.atomic("notifications")
def endpoint_rotate_secret(*, endpoint_id: uuid.UUID) -> WithSecret:
    """A new secret signs from now on; the old one keeps signing too (a second v1=) for the grace period."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(id=endpoint_id)
    secret = signing.new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = _now() + dt.timedelta(
        seconds=int(settings.NOTIFICATIONS_WEBHOOK_ROTATION_GRACE_SECONDS)
    )
    endpoint.secret_encrypted = signing.seal(secret)
    endpoint.save(update_fields=["previous_secret_encrypted", "previous_secret_expires_at", "secret_encrypted"])
    return WithSecret(endpoint, secret)


def signing_secrets(endpoint: WebhookEndpoint, *, at: dt.datetime | None = None) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during its grace period."""
    found = [signing.unseal(endpoint.secret_encrypted)]
    at = at or _now()
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > at:
        found.append(signing.unseal(endpoint.previous_secret_encrypted))
    return found


def _disable(endpoint: WebhookEndpoint, *, at: dt.datetime) -> None:
    """Switch a failing endpoint off (inside the caller's transaction, the row locked), tell its managers, and
    give up on what waits for it (dead: replayable once it is switched on again)."""
    endpoint.is_active, endpoint.disabled_at, endpoint.disabled_reason = False, at, Reason.FAILING
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
    WebhookDelivery.objects.filter(endpoint=endpoint, status=DeliveryStatus.PENDING).update(
        status=DeliveryStatus.DEAD, dead_at=at, next_attempt_at=None, last_error="the endpoint was switched off"
    )
    assert endpoint.failing_since is not None
    publish(
        WebhookEndpointDisabledV1(
            endpoint_id=endpoint.id,
            fleet_id=endpoint.fleet_id,
            url=endpoint.url,
            failing_since=endpoint.failing_since,
            last_error=endpoint.last_error[:500],
        )
    )
    log.warning("webhooks.endpoint_disabled", endpoint_id=str(endpoint.id), fleet_id=str(endpoint.fleet_id))


# ---- deliveries --------------------------------------------------------------------------------------------------


def _sends_at_once() -> bool:
    """On the full stack a new delivery's send job is queued at commit. In the embedded default jobs run inline,
    which would hold the request that caused the event for as long as the endpoint takes: there the in-process
    beat's sweep sends it instead (within NOTIFICATIONS_WEBHOOK_SWEEP_SECONDS)."""
    return not settings.CELERY_TASK_ALWAYS_EAGER


def _enqueue(delivery_id: uuid.UUID, claim: uuid.UUID) -> None:
    jobs.enqueue_on_commit(SEND_TASK, delivery_id=str(delivery_id), claim=str(claim))


def deliveries_create(*, event_envelope: dict[str, Any]) -> list[uuid.UUID]:
    """One delivery per active endpoint of the event's fleet that chose its type, once per (event, endpoint): a
    redelivered event finds its rows and makes none. Runs in the handler's transaction; sends after commit."""
    found = catalogue.envelope_for(event_envelope)
    if found is None:
        return []
    public, envelope = found
    # chosen types are matched here, not in SQL: JSON containment is PostgreSQL-only (the embedded default is SQLite)
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(fleet_id=envelope["fleet_id"], is_active=True).only("id", "event_types")
        if public.name in e.event_types
    ]
    if not endpoints:
        return []
    now, claim = _now(), uuid.uuid4()
    event_id = uuid.UUID(envelope["id"])
    rows = [
        WebhookDelivery(
            endpoint_id=e.id,
            fleet_id=uuid.UUID(envelope["fleet_id"]),
            event_id=event_id,
            event_type=public.name,
            traceparent=str(event_envelope.get(tracing.TRACEPARENT) or "")[:64],
            occurred_at=dt.datetime.fromisoformat(envelope["created"]),
            body=catalogue.render(envelope),
            next_attempt_at=now,
            window_started_at=now,
            claim=claim,  # also tells the rows made here from those a first delivery of the event made
            claimed_until=now + _lease() if _sends_at_once() else None,
        )
        for e in endpoints
    ]
    WebhookDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    made = list(WebhookDelivery.objects.filter(event_id=event_id, claim=claim, attempts=0).values_list("id", flat=True))
    if _sends_at_once():
        for delivery_id in made:
            _enqueue(delivery_id, claim)
    return made


def _take(delivery_id: uuid.UUID, claim: uuid.UUID | None) -> WebhookDelivery | None:
    """The delivery locked for this sender: its claim (from its creation, replay or a sweep) renewed; None if it
    is not this sender's any more (another took it after the lease ran out), or nothing is left to send."""
    with contexts.atomic("notifications"):
        qs = WebhookDelivery.objects.select_for_update(skip_locked=True).filter(
            id=delivery_id, status=DeliveryStatus.PENDING
        )
        delivery = qs.filter(claim=claim).first() if claim else qs.first()
        if delivery is None:
            return None
        now = _now()
        if claim is None and delivery.claimed_until is not None and delivery.claimed_until > now:
            return None  # someone else holds a live claim
        delivery.claim, delivery.claimed_until = claim or uuid.uuid4(), now + _lease()
        delivery.save(update_fields=["claim", "claimed_until"])
        return delivery


def _request(delivery: WebhookDelivery, endpoint: WebhookEndpoint) -> tuple[dict[str, str], bytes]:
    body = delivery.body.encode()
    timestamp = int(time.time())  # the receiver compares it with its own clock
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "LogiTrack-Event-Id": str(delivery.event_id),
        "LogiTrack-Event-Type": delivery.event_type,
        "LogiTrack-Delivery-Attempt": str(delivery.attempts + 1),
        signing.HEADER: signing.header(signing_secrets(endpoint), timestamp, body),
    }, body


def delivery_send(*, delivery_id: uuid.UUID, claim: uuid.UUID | None = None) -> str:
    """Make one attempt at a claimed delivery and record it; "skipped" when it is not this sender's to send."""
    delivery = _take(delivery_id, claim)
    if delivery is None:
        return "skipped"
    # a sweep's send belongs to the trace of the event it carries, not to the sweep's
    with (
        tracing.rejoin(delivery.traceparent),
        tracing.span(
            "webhook send",
            attributes={"webhook.event_type": delivery.event_type, "webhook.attempt": delivery.attempts + 1},
        ),
    ):
        return _send_taken(delivery)


def _send_taken(delivery: WebhookDelivery) -> str:
    endpoint = WebhookEndpoint.objects.get(id=delivery.endpoint_id)
    ping = delivery.event_type == catalogue.PING
    if not endpoint.is_active and not ping:
        with contexts.atomic("notifications"):
            WebhookDelivery.objects.filter(id=delivery.id, claim=delivery.claim).update(
                status=DeliveryStatus.DEAD, dead_at=_now(), claim=None, claimed_until=None,
                next_attempt_at=None, last_error="the endpoint is switched off",
            )  # fmt: skip
        return "dead"
    started = _now()
    try:
        headers, body = _request(delivery, endpoint)
    except InvalidToken:  # counted as a failed try (retried, then dead), never a claim left to lapse forever
        log.error("notifications.webhook_secret_unreadable", endpoint_id=str(endpoint.id))
        headers, body = {}, delivery.body.encode()
        response = transport.Response(None, {}, b"", "the signing secret cannot be read with the configured keys", 0)
        return _record(delivery, headers, body, response, started=started, ping=ping)
    try:
        target = transport.resolve(endpoint.url)
    except transport.UnsafeURL as exc:
        response = transport.Response(None, {}, b"", f"refused: {exc}", 0)
    else:
        response = transport.post(target, headers, body)
    return _record(delivery, headers, body, response, started=started, ping=ping)


def _text(value: str) -> str:
    return value.replace("\x00", "\ufffd")  # PostgreSQL text and jsonb refuse NUL; a binary answer has them


def _answer_headers(headers: dict[str, str]) -> dict[str, str]:
    return {_text(name): _text(value) for name, value in headers.items()}


def _record(
    delivery: WebhookDelivery,
    headers: dict[str, str],
    body: bytes,
    response: transport.Response,
    *,
    started: dt.datetime,
    ping: bool,
) -> str:
    ok = not response.error and response.status is not None and 200 <= response.status < 300
    error = response.error or ("" if ok else f"HTTP {response.status}")
    with contexts.atomic("notifications"):
        row = WebhookDelivery.objects.select_for_update().get(id=delivery.id)
        endpoint = WebhookEndpoint.objects.select_for_update().get(id=row.endpoint_id)
        number = row.attempts + 1
        WebhookAttempt.objects.create(
            delivery=row,
            number=number,
            started_at=started,
            duration_ms=response.duration_ms,
            request_url=endpoint.url,
            request_headers=headers,
            request_body=body.decode(),
            response_status=response.status,
            response_headers=_answer_headers(response.headers),
            response_body=_text(response.body.decode("utf-8", errors="replace")),
            error=_text(error[:2000]),
            succeeded=ok,
        )
        now = _now()
        row.attempts, row.last_status_code, row.last_error = number, response.status, _text(error[:2000])
        row.claim = row.claimed_until = None
        if row.status == DeliveryStatus.SENT and not ok:
            outcome = "sent"  # another sender took over after this one's lease ran out, and got through
        elif ok:
            row.status, row.delivered_at, row.next_attempt_at = DeliveryStatus.SENT, now, None
            endpoint.failing_since, endpoint.last_success_at, endpoint.last_error = None, now, ""
            endpoint.save(update_fields=["failing_since", "last_success_at", "last_error", "updated_at"])
            outcome = "sent"
        else:
            delay = dt.timedelta(
                seconds=retry_delay(
                    number,
                    base=float(settings.NOTIFICATIONS_WEBHOOK_RETRY_BASE_SECONDS),
                    cap=float(settings.NOTIFICATIONS_WEBHOOK_RETRY_MAX_SECONDS),
                )
            )
            window = dt.timedelta(seconds=int(settings.NOTIFICATIONS_WEBHOOK_RETRY_FOR_SECONDS))
            if ping or now + delay > row.window_started_at + window:
                row.status, row.dead_at, row.next_attempt_at = DeliveryStatus.DEAD, now, None
                outcome = "dead"
            else:
                row.next_attempt_at = now + delay
                outcome = "retry"
            if not ping:
                endpoint.failing_since = endpoint.failing_since or now
                endpoint.last_error = _text(error[:2000])
                endpoint.save(update_fields=["failing_since", "last_error", "updated_at"])
                failing_for = dt.timedelta(days=float(settings.NOTIFICATIONS_WEBHOOK_DISABLE_AFTER_DAYS))
                if endpoint.is_active and now - endpoint.failing_since >= failing_for:
                    row.save()
                    _disable(endpoint, at=now)
                    row.refresh_from_db()
                    outcome = "dead" if row.status == DeliveryStatus.DEAD else outcome
        row.save()
    log.info("webhooks.attempt", delivery_id=str(delivery.id), attempt=number, outcome=outcome, error=error[:200])
    metrics.WEBHOOK_DELIVERIES.labels(outcome).inc()
    return outcome


def deliveries_sweep(*, limit: int | None = None) -> int:
    """Claim due deliveries whose claim is free or ran out (a lost job, a killed worker) and queue their sends."""
    now = _now()
    limit = limit or int(settings.NOTIFICATIONS_WEBHOOK_SWEEP_BATCH)
    claim = uuid.uuid4()
    with contexts.atomic("notifications"):
        due = list(
            WebhookDelivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))
            .order_by("next_attempt_at")
            .values_list("id", flat=True)[:limit]
        )
        WebhookDelivery.objects.filter(id__in=due).update(claim=claim, claimed_until=now + _lease())
        for delivery_id in due:
            _enqueue(delivery_id, claim)
    return len(due)


def endpoint_ping(*, endpoint_id: uuid.UUID) -> WebhookDelivery:
    """Send a `ping` event to the endpoint now (in this request), signed like any delivery; no retries."""
    endpoint = WebhookEndpoint.objects.get(id=endpoint_id)
    event_id, now = uuid.uuid4(), _now()
    envelope = {
        "id": str(event_id),
        "type": catalogue.PING,
        "created": now.isoformat(),
        "fleet_id": str(endpoint.fleet_id),
        "data": {"endpoint_id": str(endpoint.id)},
    }
    with contexts.atomic("notifications"):
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint, fleet_id=endpoint.fleet_id, event_id=event_id, event_type=catalogue.PING,
            occurred_at=now, body=catalogue.render(envelope), next_attempt_at=now, window_started_at=now,
        )  # fmt: skip
    delivery_send(delivery_id=delivery.id)
    return WebhookDelivery.objects.get(id=delivery.id)


def _reopen(qs: QuerySet[WebhookDelivery], now: dt.datetime) -> int:
    return qs.update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, window_started_at=now, dead_at=None,
        claim=None, claimed_until=None,
    )  # fmt: skip


@contexts.atomic("notifications")
def delivery_replay(*, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Send a delivery again (dead, sent or waiting for a retry) with a fresh retry window; same body and event id,
    so the receiver can tell it is the same event."""
    delivery = WebhookDelivery.objects.select_for_update().select_related("endpoint").get(id=delivery_id)
    if not delivery.endpoint.is_active:
        raise EndpointDisabled("switch the endpoint on before replaying its deliveries")
    now = _now()
    if delivery.status == DeliveryStatus.PENDING and delivery.claimed_until and delivery.claimed_until > now:
        raise DeliveryInFlight("this delivery is being sent right now; look at its attempts in a moment")
    claim, at_once = uuid.uuid4(), _sends_at_once()
    delivery.status, delivery.next_attempt_at, delivery.window_started_at = DeliveryStatus.PENDING, now, now
    delivery.dead_at, delivery.claim = None, claim
    delivery.claimed_until = now + _lease() if at_once else None
    delivery.replays += 1
    delivery.save()
    if at_once:
        _enqueue(delivery.id, claim)
    return delivery


@contexts.atomic("notifications")
def deliveries_replay_range(
    *,
    deliveries: QuerySet[WebhookDelivery],
    since: dt.datetime,
    until: dt.datetime,
    endpoint_id: uuid.UUID | None = None,
    event_type: str | None = None,
    status: str | None = None,
) -> list[uuid.UUID]:
    """Send again every delivery made in [since, until) among `deliveries` (what the caller may see), optionally of
    one endpoint, type or status, to endpoints that are switched on; the sweep sends them. The ids reopened."""
    if until <= since:
        raise ValidationFailed("the range ends before it starts", extra={"errors": {"until": ["before since"]}})
    qs = deliveries.filter(created_at__gte=since, created_at__lt=until, endpoint__is_active=True)
    if endpoint_id is not None:
        qs = qs.filter(endpoint_id=endpoint_id)
    if event_type:
        qs = qs.filter(event_type=event_type)
    if status:
        qs = qs.filter(status=status)
    now = _now()
    qs = qs.exclude(status=DeliveryStatus.PENDING, claimed_until__gt=now)  # in flight: already being sent
    ids = list(qs.values_list("id", flat=True))
    count = _reopen(WebhookDelivery.objects.filter(id__in=ids), now)
    WebhookDelivery.objects.filter(id__in=ids).update(replays=F("replays") + 1)
    if count:
        jobs.enqueue_on_commit(SWEEP_TASK)
    return ids


def deliveries_purge(*, older_than: dt.timedelta | None = None) -> int:
    """Delete sent and dead deliveries (and their attempts) made longer ago than NOTIFICATIONS_WEBHOOK_LOG_DAYS: the
    log keeps request and response bodies, so it is not kept for ever. Pending ones stay whatever their age."""
    older_than = older_than or dt.timedelta(days=float(settings.NOTIFICATIONS_WEBHOOK_LOG_DAYS))
    old = WebhookDelivery.objects.filter(
        created_at__lt=_now() - older_than, status__in=[DeliveryStatus.SENT, DeliveryStatus.DEAD]
    )
    _, per_model = old.delete()  # their attempts go with them (cascade)
    return per_model.get(WebhookDelivery._meta.label, 0)


def attempt_summary(attempt: WebhookAttempt) -> str:
    """One line for logs and the admin."""
    status = attempt.response_status if attempt.response_status is not None else "no answer"
    return f"#{attempt.number} {status} in {attempt.duration_ms} ms" + (f": {attempt.error}" if attempt.error else "")


def pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body
