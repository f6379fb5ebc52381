"""What a trip's customer is told, made from trips' events: booking confirmed, driver assigned, arriving soon,
delivered (with the receipt), failed attempt, cancelled. Each becomes an email delivery and, when the customer
has a phone, an SMS delivery, rendered now in their language and the fleet's branding."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from typing import Any

import structlog
from django.conf import settings
from django.urls import reverse

from apps.fleet.contracts import FleetBranding
from apps.identity.contracts import UserContact
from apps.notifications import integrations, rendering, tokens
from apps.notifications.contracts import Channel
from apps.notifications.domain import StopView, TripView
from apps.notifications.models import Preference
from apps.notifications.services.deliveries import NewDelivery, deliveries_create, delivery_create
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
    link = integrations.tracking_link(trip_id=trip.id)
    made = 0
    for new in _deliveries(message, brand, contact, pref, link):
        _, created = delivery_create(new=new)
        made += int(created)
    return made


def customers_notify(*, messages: Sequence[TripMessage], brands: dict[uuid.UUID, FleetBranding] | None = None) -> int:
    """`customer_notify` of several messages (a batch of events) with one look-up of each kind — fleets' branding
    (unless the caller has it), contacts, preferences, tracking links — and one insert of their deliveries."""
    wanted = [m for m in messages if m.trip.customer_id is not None]
    if brands is None:
        brands = integrations.brandings(fleet_ids=list({m.trip.fleet_id for m in wanted})) if wanted else {}
    wanted = [m for m in wanted if m.trip.fleet_id in brands]
    if not wanted:
        return 0
    customers = list({m.trip.customer_id for m in wanted if m.trip.customer_id is not None})
    contacts = {c.id: c for c in integrations.contacts(user_ids=customers)}
    for m in wanted:
        if m.trip.customer_id not in contacts:
            log.info("notifications.no_contact", kind=m.kind, trip_id=str(m.trip.id))
    wanted = [m for m in wanted if m.trip.customer_id in contacts]
    prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=customers)}
    links = integrations.tracking_links(trip_ids=[m.trip.id for m in wanted])
    news = [
        new
        for m in wanted
        for new in _deliveries(
            m,
            brands[m.trip.fleet_id],
            contacts[m.trip.customer_id],  # type: ignore[index]  # filtered above
            prefs.get(m.trip.customer_id),  # type: ignore[arg-type]
            links.get(m.trip.id),
        )
    ]
    return sum(created for _, created in deliveries_create(news=news))


def _deliveries(
    message: TripMessage, brand: FleetBranding, contact: UserContact, pref: Preference | None, link: Any
) -> list[NewDelivery]:
    """The deliveries of one message to its trip's customer, rendered in their language and the fleet's branding:
    an email, and an SMS when they have a phone."""
    trip = message.trip
    assert trip.customer_id is not None
    language = (pref.language if pref and pref.language else "") or brand.language
    base = settings.PUBLIC_BASE_URL.rstrip("/")
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
    channels: list[tuple[Channel, str]] = [(Channel.EMAIL, contact.email)]
    if contact.phone:
        channels.append((Channel.SMS, contact.phone))
    out = []
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
        out.append(
            NewDelivery(
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
    return out


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
    proofs = integrations.trip_proofs(trip_id=trip.id)
    return customer_notify(message=_completed_message(event_id, event_type, trip, brand, proofs))


def completed_many(*, events: Sequence[tuple[uuid.UUID, str, TripView]]) -> int:
    """`completed` of several trips (event id, event type, trip): the fleets' branding and the trips' proofs looked
    up once for all (customers_notify does the rest in one go)."""
    if not events:
        return 0
    brands = integrations.brandings(fleet_ids=list({trip.fleet_id for _, _, trip in events}))
    proofs = integrations.trips_proofs(trip_ids=[trip.id for _, _, trip in events])
    return customers_notify(
        messages=[
            _completed_message(event_id, event_type, trip, brands.get(trip.fleet_id), proofs.get(trip.id, []))
            for event_id, event_type, trip in events
        ],
        brands=brands,
    )


def _completed_message(
    event_id: uuid.UUID, event_type: str, trip: TripView, brand: FleetBranding | None, proofs: Sequence[Any]
) -> TripMessage:
    tz, locale = (brand.time_zone, brand.locale) if brand else ("UTC", "en")
    done = sum(1 for s in trip.stops if s.status == "done")
    shown: list[tuple[str, Any]] = []
    for proof in proofs:
        parts = [rendering.phrase("proof_signed", proof.recipient_name) if proof.signed else proof.recipient_name]
        parts += [rendering.phrase("proof_photo")] * proof.photo + [rendering.phrase("proof_pin")] * proof.pin_verified
        if any(parts):
            shown.append(("proof", [p for p in parts if p]))
    return TripMessage(
        event_id=event_id,
        event_type=event_type,
        kind="trip.completed",
        trip=trip,
        extra={"completed_at": local_datetime(trip.ended_at, tz, locale)},
        details=(("stops_done", f"{done}/{len(trip.stops)}"), *shown),
        receipt=True,
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
