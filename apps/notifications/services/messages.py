"""What a trip's customer is told, made from trips' events: booking confirmed, driver assigned, arriving soon,
delivered (with the receipt), failed attempt, cancelled. Each becomes an email delivery and, when the customer
has a phone, an SMS delivery, rendered now in their language and the fleet's branding."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any

import structlog
from django.conf import settings
from django.urls import reverse

from apps.notifications import integrations, rendering, tokens
from apps.notifications.contracts import Channel
from apps.notifications.domain import StopView, TripView
from apps.notifications.models import Preference
from apps.notifications.services.deliveries import NewDelivery, delivery_create
from logitrack.formatting import local_datetime, local_time

log = structlog.get_logger(__name__)

# kinds a customer must hear at once, whatever the hour and however many messages came before
URGENT = frozenset({"trip.arriving", "trip.failed"})


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripMessage:
    event_id: uuid.UUID
    event_type: str
    kind: str
    trip: TripView
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)  # kind-specific values for the copy
    details: tuple[tuple[str, Any], ...] = ()
    receipt: bool = False  # attach the trip's receipt (delivered)


def customer_notify(*, message: TripMessage) -> int:
    """Make the deliveries of one message to the trip's customer; how many were made (0 when it was made before
    or the trip has no customer)."""
    trip = message.trip
    if trip.customer_id is None:
        return 0
    brand = integrations.branding(fleet_id=trip.fleet_id)
    if brand is None:
        return 0
    contact = integrations.contact(user_id=trip.customer_id)
    if contact is None:  # erased or deactivated: nothing to send, and nothing about them is kept
        log.info("notifications.no_contact", kind=message.kind, trip_id=str(trip.id))
        return 0
    pref = Preference.objects.filter(user_id=trip.customer_id).first()
    language = (pref.language if pref and pref.language else "") or brand.language
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    link = integrations.tracking_link(trip_id=trip.id)
    pickup, dropoff = _ends(trip.stops)
    context: dict[str, Any] = {
        "fleet": brand.name,
        "name": contact.display_name.split()[0] if contact.display_name.strip() else "",
        "pickup": pickup.address if pickup else "",
        "dropoff": dropoff.address if dropoff else "",
        "tracking_url": f"{base}/track/{link.token}/" if link else "",
        "brand": rendering.brand_context(brand),
        **message.extra,
        "details": [list(d) for d in message.details],
    }
    made = 0
    channels: list[tuple[Channel, str]] = [(Channel.EMAIL, contact.email)]
    if contact.phone:
        channels.append((Channel.SMS, contact.phone))
    for channel, address in channels:
        unsubscribe = ""
        headers: tuple[tuple[str, str], ...] = ()
        if channel == Channel.EMAIL:
            token = tokens.unsubscribe_token(user_id=trip.customer_id, channel=channel, fleet_id=trip.fleet_id)
            unsubscribe = base + reverse("notifications:unsubscribe", kwargs={"token": token})
            # RFC 8058: mail clients show "unsubscribe" and POST to it in one click
            headers = (
                ("List-Unsubscribe", f"<{unsubscribe}>"),
                ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"),
            )
        ctx = {**context, "unsubscribe_url": unsubscribe}
        rendered = rendering.render(kind=message.kind, language=language, context=ctx)
        data: dict[str, Any] = {"context": ctx, "time_zone": brand.time_zone, "locale": brand.locale}
        if message.receipt:
            data["receipt_trip_id"] = str(trip.id)
        _, created = delivery_create(
            new=NewDelivery(
                event_id=message.event_id,
                event_type=message.event_type,
                kind=message.kind,
                channel=channel,
                recipient_id=trip.customer_id,
                fleet_id=trip.fleet_id,
                address=address,
                language=rendered_language(language),
                urgent=message.kind in URGENT,
                subject=rendered.subject,
                text=rendered.sms if channel == Channel.SMS else rendered.text,
                html=rendered.html if channel == Channel.EMAIL else "",
                headers=headers,
                sender_name=brand.name,
                data=data,
            )
        )
        made += int(created)
    return made


def rendered_language(language: str) -> str:
    return rendering.copy.language_of(language)


def _ends(stops: tuple[StopView, ...]) -> tuple[StopView | None, StopView | None]:
    ordered = sorted(stops, key=lambda s: s.sequence)
    return (ordered[0], ordered[-1]) if ordered else (None, None)


# ---- the messages ------------------------------------------------------------------------------------------


def booking_confirmed(*, event_id: uuid.UUID, event_type: str, trip: TripView) -> int:
    brand = integrations.branding(fleet_id=trip.fleet_id)
    tz, locale = (brand.time_zone, brand.locale) if brand else ("UTC", "en")
    pickup, dropoff = _ends(trip.stops)
    when = local_datetime(trip.requested_for, tz, locale) if trip.requested_for else rendering.phrase("asap")
    details = (("pickup", pickup.address if pickup else ""), ("dropoff", dropoff.address if dropoff else ""))
    return customer_notify(
        message=TripMessage(
            event_id=event_id,
            event_type=event_type,
            kind="trip.confirmed",
            trip=trip,
            details=(*details, ("when", when)),
        )
    )


def driver_assigned(*, event_id: uuid.UUID, event_type: str, trip: TripView) -> int:
    who = integrations.driver_and_vehicle(driver_id=trip.driver_id, vehicle_id=trip.vehicle_id)
    line = ", ".join(filter(None, [who.first_name, who.vehicle]))
    details = tuple((label, value) for label, value in (("driver", who.first_name), ("vehicle", who.vehicle)) if value)
    return customer_notify(
        message=TripMessage(
            event_id=event_id,
            event_type=event_type,
            kind="trip.driver_assigned",
            trip=trip,
            extra={"driver": who.first_name or "—", "driver_line": line or "—"},
            details=details,
        )
    )


def arriving(*, event_id: uuid.UUID, event_type: str, trip: TripView, stop_sequence: int, eta: Any) -> int:
    brand = integrations.branding(fleet_id=trip.fleet_id)
    tz, locale = (brand.time_zone, brand.locale) if brand else ("UTC", "en")
    stop = next((s for s in trip.stops if s.sequence == stop_sequence), None)
    who = integrations.driver_and_vehicle(driver_id=trip.driver_id, vehicle_id=trip.vehicle_id)
    eta_text = local_time(eta, tz, locale)
    return customer_notify(
        message=TripMessage(
            event_id=event_id,
            event_type=event_type,
            kind="trip.arriving",
            trip=trip,
            extra={
                "eta": eta_text,
                "stop": stop.address if stop else "",
                "driver_line": ", ".join(filter(None, [who.first_name, who.vehicle])) or brand_name(brand),
            },
            details=(("eta", eta_text),),
        )
    )


def brand_name(brand: Any) -> str:
    return str(brand.name) if brand else ""


def completed(*, event_id: uuid.UUID, event_type: str, trip: TripView) -> int:
    brand = integrations.branding(fleet_id=trip.fleet_id)
    tz, locale = (brand.time_zone, brand.locale) if brand else ("UTC", "en")
    done = sum(1 for s in trip.stops if s.status == "done")
    proofs: list[tuple[str, Any]] = []
    for proof in integrations.trip_proofs(trip_id=trip.id):
        parts = [rendering.phrase("proof_signed", proof.recipient_name) if proof.signed else proof.recipient_name]
        parts += [rendering.phrase("proof_photo")] * proof.photo + [rendering.phrase("proof_pin")] * proof.pin_verified
        if any(parts):
            proofs.append(("proof", [p for p in parts if p]))
    return customer_notify(
        message=TripMessage(
            event_id=event_id,
            event_type=event_type,
            kind="trip.completed",
            trip=trip,
            extra={"completed_at": local_datetime(trip.ended_at, tz, locale)},
            details=(("stops_done", f"{done}/{len(trip.stops)}"), *proofs),
            receipt=True,
        )
    )


def failed(*, event_id: uuid.UUID, event_type: str, trip: TripView, reason: str) -> int:
    return customer_notify(
        message=TripMessage(
            event_id=event_id,
            event_type=event_type,
            kind="trip.failed",
            trip=trip,
            extra={"reason": reason or "—"},
            details=(("reason", reason or "—"),),
        )
    )


def cancelled(*, event_id: uuid.UUID, event_type: str, trip: TripView, reason: str, by: str) -> int:
    return customer_notify(
        message=TripMessage(
            event_id=event_id,
            event_type=event_type,
            kind="trip.cancelled",
            trip=trip,
            extra={"cancelled_by": "customer" if by == "customer" else "fleet"},
            details=(("reason", reason),) if reason else (),
        )
    )
