"""The delivery machinery: notifications' own outbox. A delivery is made once per (event, recipient, channel,
kind), sent after the commit that made it, retried with jittered exponential backoff, dead after its last try or a
permanent refusal, and replayable.

Sending claims the row with a lease (`claimed_until`) in a short transaction, sends outside any transaction, and
records the outcome. A worker killed in between leaves a lease that lapses; the sweep then takes the row again
(nothing lost). While a lease is live no other sender takes the row (nothing sent twice meanwhile)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import structlog
from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.html import escape

from apps.billing.contracts import BillingUnavailable
from apps.notifications import domain, integrations, rendering
from apps.notifications.channels import registry
from apps.notifications.channels.base import Adapter, Attachment, Failure, Outgoing, Permanent, Transient
from apps.notifications.channels.registry import adapter_for
from apps.notifications.contracts import Channel, DeliveryStatus
from apps.notifications.models import Delivery, DeliveryAttempt, Preference
from logitrack import correlation, jobs, metrics, tracing
from logitrack.db import contexts
from logitrack.formatting import money
from logitrack.resilience import retry_delay

log = structlog.get_logger(__name__)

SEND_TASK = "notifications.send"
Outcome = DeliveryAttempt.Outcome


@dataclasses.dataclass(frozen=True, kw_only=True)
class NewDelivery:
    event_id: uuid.UUID
    event_type: str
    kind: str
    channel: Channel
    recipient_id: uuid.UUID | None
    fleet_id: uuid.UUID | None
    address: str
    language: str
    urgent: bool = False
    essential: bool = False
    subject: str = ""
    text: str = ""
    html: str = ""
    headers: tuple[tuple[str, str], ...] = ()
    sender_name: str = ""
    data: dict[str, Any] = dataclasses.field(default_factory=dict)
    device: str = ""  # a push subscription's id: one push per device of the recipient, each its own delivery


def delivery_create(*, new: NewDelivery, suppressed: str = "") -> tuple[Delivery, bool]:
    """The delivery for this event, recipient, channel and kind: made once (a re-delivered event finds it, and
    nothing is sent again), sent after the surrounding commit. `suppressed`: a reason not to send it at all,
    kept in the log."""
    key = _key(new)
    now = timezone.now()
    recipient = new.recipient_id
    suppressed = _suppression_of(new, suppressed, lambda: opted_out(user_id=recipient) if recipient else set())
    delivery, created = Delivery.objects.get_or_create(key=key, defaults=_row(new, suppressed, now))
    if not created:
        log.info("notifications.duplicate", key=key)
        return delivery, False
    if suppressed:
        DeliveryAttempt.objects.create(delivery=delivery, at=now, outcome=Outcome.SUPPRESSED, error=suppressed)
        log.info("notifications.suppressed", delivery_id=str(delivery.id), kind=new.kind, reason=suppressed)
    else:
        _send_after_commit(delivery.id)
    return delivery, True


def deliveries_create(*, news: Sequence[NewDelivery]) -> list[tuple[Delivery, bool]]:
    """`delivery_create` of several (the messages of a batch of events), in order: one look-up of the recipients'
    opt-outs and one of the keys already made, one insert of the new rows and one of the suppressed ones' attempts.
    A key another transaction inserts meanwhile fails the whole insert (IntegrityError): the caller's batch rolls
    back and is delivered one by one, where `delivery_create` finds that row."""
    if not news:
        return []
    keys = [_key(new) for new in news]
    asked = {n.recipient_id for n in news if n.recipient_id is not None and not n.essential}
    opted = {
        p.user_id: set(p.opted_out) for p in Preference.objects.filter(user_id__in=asked).only("user_id", "opted_out")
    }
    made = {d.key: (d, False) for d in Delivery.objects.filter(key__in=keys)}
    now = timezone.now()
    rows, reasons = [], {}
    for new, key in zip(news, keys, strict=True):
        if key in made:
            log.info("notifications.duplicate", key=key)
            continue
        suppressed = _suppression_of(new, "", opted.get(new.recipient_id, set()) if new.recipient_id else set())
        delivery = Delivery(key=key, **_row(new, suppressed, now))
        made[key] = (delivery, True)
        rows.append(delivery)
        reasons[key] = suppressed
    Delivery.objects.bulk_create(rows)
    DeliveryAttempt.objects.bulk_create(
        [
            DeliveryAttempt(delivery=d, at=now, outcome=Outcome.SUPPRESSED, error=reasons[d.key])
            for d in rows
            if reasons[d.key]
        ]
    )
    for d in rows:
        if reasons[d.key]:
            log.info("notifications.suppressed", delivery_id=str(d.id), kind=d.kind, reason=reasons[d.key])
        else:
            _send_after_commit(d.id)
    return [made[key] for key in keys]


def _key(new: NewDelivery) -> str:
    recipient = str(new.recipient_id) if new.recipient_id else new.address
    if new.device:
        recipient = f"{recipient}/{new.device}"
    return domain.delivery_key(event_id=new.event_id, recipient=recipient, channel=new.channel, kind=new.kind)


def _suppression_of(new: NewDelivery, suppressed: str, opted: set[str] | Callable[[], set[str]]) -> str:
    """Why not to send it at all ("" to send): the caller's reason, no address, no adapter for the channel, or the
    recipient's opt-out (`opted`: the channels, or a look-up of them made only when it matters)."""
    if not suppressed and not new.address:
        suppressed = "no address"
    if not suppressed and adapter_for(new.channel) is None:
        suppressed = f"no adapter for the {new.channel} channel"
    if (
        not suppressed
        and not new.essential
        and new.recipient_id is not None
        and new.channel in (opted() if callable(opted) else opted)
    ):
        suppressed = f"the recipient opted out of {new.channel}"
    return suppressed


def _row(new: NewDelivery, suppressed: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "source_event_id": new.event_id,
        "source_event_type": new.event_type,
        "kind": new.kind,
        "channel": new.channel,
        "recipient_id": new.recipient_id,
        "fleet_id": new.fleet_id,
        "address": new.address,
        "language": new.language,
        "urgent": new.urgent,
        "essential": new.essential,
        "subject": new.subject[:300],
        "text": new.text,
        "html": new.html,
        "headers": [list(h) for h in new.headers],
        "sender_name": new.sender_name[:200],
        "data": new.data,
        "status": DeliveryStatus.SUPPRESSED if suppressed else DeliveryStatus.PENDING,
        "last_error": suppressed,
        "next_attempt_at": now,
        "traceparent": tracing.carrier().get(tracing.TRACEPARENT, ""),
    }


def opted_out(*, user_id: uuid.UUID) -> set[str]:
    pref = Preference.objects.filter(user_id=user_id).only("opted_out").first()
    return set(pref.opted_out) if pref else set()


def _send_after_commit(delivery_id: uuid.UUID, *, countdown: float = 0) -> None:
    def send() -> None:
        try:
            jobs.enqueue(SEND_TASK, kwargs={"delivery_id": str(delivery_id)}, countdown=countdown)
        except jobs.QueueUnavailable:  # the sweep sends it once the broker is back: the row is the record
            log.warning("notifications.not_enqueued", delivery_id=str(delivery_id))

    # the job joins the request id and trace of the event or request that made the delivery, not the batch's
    contexts.on_commit(correlation.carry(send), "notifications")


# ---- sending -------------------------------------------------------------------------------------------------


def _due(now: dt.datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
    )


def _claim(queryset: QuerySet[Delivery], now: dt.datetime) -> Delivery | None:
    with contexts.atomic("notifications"):
        delivery = queryset.select_for_update(skip_locked=True).order_by("next_attempt_at").first()
        if delivery is None:
            return None
        delivery.claimed_until = now + dt.timedelta(seconds=settings.NOTIFICATIONS_CLAIM_SECONDS)
        Delivery.objects.filter(id=delivery.id).update(claimed_until=delivery.claimed_until)
    return delivery


def delivery_send(*, delivery_id: uuid.UUID) -> str | None:
    """Send one delivery if it is due and nobody holds it; the outcome, or None when there was nothing to do."""
    now = timezone.now()
    delivery = _claim(_due(now).filter(id=delivery_id), now)
    return _attempt(delivery) if delivery is not None else None


def deliveries_send_due(*, limit: int = 100, overdue_by: float = 0.0) -> int:
    """The sweep: send up to `limit` deliveries due for `overdue_by` seconds or more (their own job normally sends
    them; this catches what a lost job, a killed worker or a deferral left), one claim at a time."""
    sent = 0
    adapters: dict[str, Adapter | None] = {}  # one per channel for the whole run: it may keep its connection
    try:
        for _ in range(limit):
            now = timezone.now()
            delivery = _claim(_due(now - dt.timedelta(seconds=overdue_by)), now)
            if delivery is None:
                break
            if delivery.channel not in adapters:
                adapters[delivery.channel] = adapter_for(delivery.channel, batch=True)
            _attempt(delivery, adapter=adapters[delivery.channel])
            sent += 1
    finally:
        for adapter in adapters.values():
            registry.close(adapter)
    return sent


_UNSET: Any = object()


class _Gone(Exception):
    """The delivery left `pending` (its recipient was erased) while a sender held it."""


def _attempt(delivery: Delivery, *, adapter: Adapter | None = _UNSET) -> str:
    # a sweep's send belongs to the trace of what caused the message, not to the sweep's
    with (
        tracing.rejoin(delivery.traceparent),
        tracing.span(
            "notification send",
            attributes={"notification.channel": delivery.channel, "notification.kind": delivery.kind},
        ),
    ):
        outcome = _attempt_once(delivery, adapter=adapter)
    metrics.NOTIFICATION_DELIVERIES.labels(delivery.channel, str(outcome)).inc()
    return outcome


def _attempt_once(delivery: Delivery, *, adapter: Adapter | None) -> str:
    now = timezone.now()
    if adapter is _UNSET:
        adapter = adapter_for(delivery.channel)
    pref = Preference.objects.filter(user_id=delivery.recipient_id).first() if delivery.recipient_id else None
    reason = _suppression(delivery, adapter, pref)
    if reason:
        _finish(delivery, Outcome.SUPPRESSED, error=reason, status=DeliveryStatus.SUPPRESSED)
        return Outcome.SUPPRESSED
    assert adapter is not None
    try:
        deferred, why = _deferral(delivery, now, pref)
    except _Gone:  # erased (suppressed) while this sender held it: nothing more to do
        log.info("notifications.gone_while_claimed", delivery_id=str(delivery.id))
        return Outcome.SUPPRESSED
    if deferred is not None:
        _defer(delivery, until=deferred, why=why)
        return Outcome.DEFERRED
    link = ""
    if delivery.data.get("account_link"):
        link = _account_link(delivery)
        if not link:
            reason = "the account link was used, revoked or has expired"
            _finish(delivery, Outcome.SUPPRESSED, error=reason, status=DeliveryStatus.SUPPRESSED)
            return Outcome.SUPPRESSED
    started = time.monotonic()
    try:
        message = _outgoing(delivery, account_link=link)
        provider_id = adapter.send(message)
    except Failure as exc:
        _failed(delivery, exc, adapter=adapter, ms=_ms(started))
        return Outcome.PERMANENT if isinstance(exc, Permanent) else Outcome.TRANSIENT
    except Exception as exc:  # a bug or an unexpected library error: retried like a transient failure, logged
        log.exception("notifications.send_crashed", delivery_id=str(delivery.id))
        _failed(delivery, Transient(repr(exc)[:500]), adapter=adapter, ms=_ms(started))
        return Outcome.TRANSIENT
    with contexts.atomic("notifications"):
        Delivery.objects.filter(id=delivery.id).update(
            status=DeliveryStatus.SENT,
            attempts=delivery.attempts + 1,
            sent_at=timezone.now(),
            provider=adapter.name,
            provider_id=provider_id[:300],
            last_error="",
            claimed_until=None,
        )
        DeliveryAttempt.objects.create(delivery=delivery, at=now, outcome=Outcome.SENT, duration_ms=_ms(started))
    log.info("notifications.sent", delivery_id=str(delivery.id), kind=delivery.kind, channel=delivery.channel)
    return Outcome.SENT


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def _suppression(delivery: Delivery, adapter: Adapter | None, pref: Preference | None) -> str:
    if adapter is None:
        return f"no adapter for the {delivery.channel} channel"
    if not delivery.address:
        return "no address"
    if pref is not None and delivery.channel in pref.opted_out and not delivery.essential:
        return f"the recipient opted out of {delivery.channel}"
    return ""


def _account_link(delivery: Delivery) -> str:
    """The live link of an account mail, asked of identity now: the log keeps the body with a slot in its place
    (`domain.ACCOUNT_LINK_SLOT`), so no stored row holds a working password link, and a replay carries a
    fresh one, or nothing once the link was used."""
    wanted = delivery.data["account_link"]
    found = integrations.account_link(kind=str(wanted.get("kind", "")), link_id=str(wanted.get("id", "")))
    return found.url if found is not None else ""


def _deferral(delivery: Delivery, now: dt.datetime, pref: Preference | None) -> tuple[dt.datetime | None, str]:
    """When a delivery that is not urgent must wait: quiet hours, the rate limit, or a receipt still to come."""
    if not delivery.urgent:
        if pref is not None:
            until = domain.quiet_until(
                now=now,
                start=pref.quiet_start,
                end=pref.quiet_end,
                time_zone=pref.time_zone or delivery.data.get("time_zone", "UTC"),
            )
            if until is not None:
                return until, "quiet hours"
        if delivery.recipient_id is not None:
            window = dt.timedelta(minutes=settings.NOTIFICATIONS_RATE_WINDOW_MINUTES)
            sent = Delivery.objects.filter(
                recipient_id=delivery.recipient_id,
                channel=delivery.channel,
                status=DeliveryStatus.SENT,
                urgent=False,
                sent_at__gt=now - window,
            ).values_list("sent_at", flat=True)
            until = domain.rate_limited_until(
                sent_at=[t for t in sent if t is not None],
                now=now,
                limit=settings.NOTIFICATIONS_RATE_LIMIT,
                window=window,
            )
            if until is not None:
                return until, "rate limit"
    return _receipt_wait(delivery, now)


def _receipt_wait(delivery: Delivery, now: dt.datetime) -> tuple[dt.datetime | None, str]:
    """A "delivered" mail carries the trip's receipt: wait a while for billing to issue it, then send without."""
    trip_id = delivery.data.get("receipt_trip_id")
    if not trip_id or "receipt" in delivery.data:
        return None, ""
    try:
        receipt = integrations.trip_receipt(trip_id=uuid.UUID(trip_id))
    except BillingUnavailable as exc:  # billing runs apart and is away: ask again when it may be back
        return now + dt.timedelta(seconds=exc.retry_after or 30), "billing unavailable"
    waited = (now - delivery.created_at).total_seconds()
    if receipt is None and waited < settings.NOTIFICATIONS_RECEIPT_WAIT_SECONDS:
        return now + dt.timedelta(seconds=min(30.0, settings.NOTIFICATIONS_RECEIPT_WAIT_SECONDS)), "receipt"
    data = dict(delivery.data)
    if receipt is None:
        data["receipt"] = {}
    else:
        context = dict(data.get("context", {}))
        total = money(receipt.total.amount_minor, receipt.total.currency, data.get("locale", "en"))
        context["receipt"] = {"number": receipt.number, "total": total}
        data["context"] = context
        data["receipt"] = {"invoice_id": str(receipt.invoice_id), "number": receipt.number}
        rendered = rendering.render(kind=delivery.kind, language=delivery.language, context=context)
        # rendered once and kept: a retry or a replay sends this same text
        delivery.subject, delivery.text, delivery.html = rendered.subject, rendered.text, rendered.html
        if delivery.channel == Channel.SMS:
            delivery.text, delivery.html = rendered.sms, ""
    delivery.data = data
    # only while still pending: an erasure meanwhile scrubbed the row, and this stale copy must not restore it
    if not Delivery.objects.filter(id=delivery.id, status=DeliveryStatus.PENDING).update(
        data=data, subject=delivery.subject, text=delivery.text, html=delivery.html
    ):
        raise _Gone
    return None, ""


def _outgoing(delivery: Delivery, *, account_link: str = "") -> Outgoing:
    attachments: tuple[Attachment, ...] = ()
    receipt = delivery.data.get("receipt") or {}
    if receipt.get("invoice_id") and delivery.channel == Channel.EMAIL:
        try:
            pdf = integrations.receipt_pdf(invoice_id=uuid.UUID(receipt["invoice_id"]))
        except (OSError, BillingUnavailable) as exc:
            raise Transient(f"the receipt's PDF could not be read: {exc!r}"[:500]) from exc
        attachments = (Attachment(filename=f"{receipt['number']}.pdf", content=pdf, content_type="application/pdf"),)
    text, html = delivery.text, delivery.html
    if account_link:
        text = text.replace(domain.ACCOUNT_LINK_SLOT, account_link)
        html = html.replace(domain.ACCOUNT_LINK_SLOT, escape(account_link))
    return Outgoing(
        to=delivery.address,
        subject=delivery.subject,
        text=text,
        html=html,
        attachments=attachments,
        headers=tuple((str(k), str(v)) for k, v in delivery.headers),
        sender_name=delivery.sender_name,
        data=tuple((str(k), str(v)) for k, v in (delivery.data.get("push") or {}).items()),
        urgent=delivery.urgent,
        key=delivery.key,
    )


def _defer(delivery: Delivery, *, until: dt.datetime, why: str) -> None:
    with contexts.atomic("notifications"):
        Delivery.objects.filter(id=delivery.id, status=DeliveryStatus.PENDING).update(
            next_attempt_at=until, claimed_until=None
        )
        DeliveryAttempt.objects.create(
            delivery=delivery, at=timezone.now(), outcome=Outcome.DEFERRED, error=f"{why} until {until.isoformat()}"
        )
        if (until - timezone.now()).total_seconds() <= settings.NOTIFICATIONS_REQUEUE_MAX_SECONDS:
            _send_after_commit(delivery.id, countdown=max(0.0, (until - timezone.now()).total_seconds()))
    log.info("notifications.deferred", delivery_id=str(delivery.id), reason=why, until=until.isoformat())


def _failed(delivery: Delivery, exc: Failure, *, adapter: Adapter, ms: int) -> None:
    attempts = delivery.attempts + 1
    dead = isinstance(exc, Permanent) or attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS
    delay = retry_delay(
        attempts, base=settings.NOTIFICATIONS_RETRY_BASE_SECONDS, cap=settings.NOTIFICATIONS_RETRY_MAX_SECONDS
    )
    now = timezone.now()
    error = f"{exc.reason}" + (f" [{exc.status}]" if exc.status is not None else "")
    with contexts.atomic("notifications"):
        # a row suppressed meanwhile (its recipient erased) stays so: a failure does not bring it back to retry
        Delivery.objects.filter(id=delivery.id, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.DEAD if dead else DeliveryStatus.PENDING,
            attempts=attempts,
            next_attempt_at=now if dead else now + dt.timedelta(seconds=delay),
            last_error=error[:2000],
            provider=adapter.name,
            claimed_until=None,
        )
        DeliveryAttempt.objects.create(
            delivery=delivery,
            at=now,
            outcome=Outcome.PERMANENT if isinstance(exc, Permanent) else Outcome.TRANSIENT,
            status_code=exc.status,
            error=(error + ("\n" + exc.body if exc.body else ""))[:4000],
            duration_ms=ms,
        )
        if not dead and delay <= settings.NOTIFICATIONS_REQUEUE_MAX_SECONDS:
            _send_after_commit(delivery.id, countdown=delay)
    event = "notifications.dead" if dead else "notifications.retry"
    log.warning(event, delivery_id=str(delivery.id), attempts=attempts, error=error[:300])


def _finish(delivery: Delivery, outcome: str, *, error: str, status: DeliveryStatus) -> None:
    with contexts.atomic("notifications"):
        Delivery.objects.filter(id=delivery.id).update(status=status, last_error=error, claimed_until=None)
        DeliveryAttempt.objects.create(delivery=delivery, at=timezone.now(), outcome=outcome, error=error)
    log.info("notifications.suppressed", delivery_id=str(delivery.id), reason=error)


# ---- replay and erasure --------------------------------------------------------------------------------------


def deliveries_replay(
    *,
    ids: Iterable[uuid.UUID] = (),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    kind: str = "",
    channel: str = "",
    statuses: Iterable[str] = (DeliveryStatus.DEAD,),
) -> list[Delivery]:
    """Send these deliveries again, each once more with a fresh retry budget: by id, or every one in a time range
    (made at), of a kind, on a channel, in these statuses (dead by default). The rendered message is the one
    kept, so the recipient gets what they would have got."""
    query = Delivery.objects.filter(status__in=list(statuses))
    id_list = list(ids)
    if id_list:
        query = query.filter(id__in=id_list)
    if since is not None:
        query = query.filter(created_at__gte=since)
    if until is not None:
        query = query.filter(created_at__lt=until)
    if kind:
        query = query.filter(kind=kind)
    if channel:
        query = query.filter(channel=channel)
    now = timezone.now()
    with contexts.atomic("notifications"):
        rows = list(query.select_for_update().order_by("created_at"))
        for delivery in rows:
            delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, now
            delivery.claimed_until, delivery.replay_count = None, delivery.replay_count + 1
            delivery.save(
                update_fields=["status", "attempts", "next_attempt_at", "claimed_until", "replay_count", "updated_at"]
            )
            _send_after_commit(delivery.id)
    log.info("notifications.replayed", count=len(rows))
    return rows


ERASED = "[erased]"


@contexts.atomic("notifications")
def recipient_erase(*, user_id: uuid.UUID) -> int:
    """GDPR: the recipient's addresses and every message body sent to them are scrubbed from the log (what was
    sent when, by which channel and with what outcome stays: it holds nothing personal). Pending ones die."""
    rows = Delivery.objects.filter(recipient_id=user_id)
    DeliveryAttempt.objects.filter(delivery__recipient_id=user_id).update(error="")
    rows.filter(status=DeliveryStatus.PENDING).update(status=DeliveryStatus.SUPPRESSED, last_error="recipient erased")
    count = rows.update(address=ERASED, subject="", text="", html="", headers=[], data={})
    Preference.objects.filter(user_id=user_id).delete()
    return count
