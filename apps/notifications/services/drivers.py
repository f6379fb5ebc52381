"""What a driver is told: a trip offer (a push, only while the driver app's socket is closed), a payout paid (email
and push). In the driver's language (their preference, else the fleet's), branded with the fleet's name. A push is
one delivery per device (push subscription) of the driver's user, each idempotent on its own."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from typing import Any

import structlog
from django.utils import timezone

from apps.fleet.contracts import FleetBranding
from apps.notifications import integrations, rendering, selectors
from apps.notifications.contracts import Channel
from apps.notifications.models import Preference
from apps.notifications.services.deliveries import NewDelivery, delivery_create
from logitrack.formatting import local_date, local_time, money
from logitrack.types import Money

log = structlog.get_logger(__name__)


@dataclasses.dataclass(frozen=True, kw_only=True)
class DriverMessage:
    event_id: uuid.UUID
    event_type: str
    kind: str
    driver_id: uuid.UUID | None = None  # None: a message to a manager, named by user_notify's caller
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    details: tuple[tuple[str, Any], ...] = ()
    channels: tuple[Channel, ...] = (Channel.EMAIL, Channel.PUSH)
    urgent: bool = False
    push_data: dict[str, str] = dataclasses.field(default_factory=dict)  # what the app opens (ids, expires_at)


def user_notify(
    *, message: DriverMessage, user_id: uuid.UUID, fleet_id: uuid.UUID, brand: FleetBranding | None = None
) -> int:
    """One message to one of the fleet's people (a driver, a manager) on the message's channels. `brand`: the
    fleet's, when the caller already has it (an offer's push is on the clock)."""
    brand = brand or integrations.branding(fleet_id=fleet_id)
    contact = integrations.contact(user_id=user_id)
    if brand is None or contact is None:
        log.info("notifications.no_contact", kind=message.kind, user_id=str(user_id))
        return 0
    pref = Preference.objects.filter(user_id=user_id).first()
    language = rendering.copy.language_of((pref.language if pref and pref.language else "") or brand.language)
    context: dict[str, Any] = {
        "fleet": brand.name,
        "name": contact.display_name.split()[0] if contact.display_name.strip() else "",
        "brand": rendering.brand_context(brand),
        **message.extra,
        "details": [list(d) for d in message.details],
    }
    rendered = rendering.render(kind=message.kind, language=language, context=context)
    data: dict[str, Any] = {"context": context, "time_zone": brand.time_zone, "locale": brand.locale}
    common: dict[str, Any] = {
        "event_id": message.event_id,
        "event_type": message.event_type,
        "kind": message.kind,
        "recipient_id": user_id,
        "fleet_id": fleet_id,
        "language": language,
        "urgent": message.urgent,
        "subject": rendered.subject,
        "sender_name": brand.name,
    }
    made = 0
    if Channel.EMAIL in message.channels:
        _, created = delivery_create(
            new=NewDelivery(
                **common,
                channel=Channel.EMAIL,
                address=contact.email,
                text=rendered.text,
                html=rendered.html,
                data=data,
            )
        )
        made += int(created)
    if Channel.PUSH in message.channels:
        # the short text is the notification's body; `push` is the data the app opens
        push = {**data, "push": {"kind": message.kind, **message.push_data}}
        for subscription_id in selectors.push_subscriptions_of(user_id=user_id).values_list("id", flat=True):
            _, created = delivery_create(
                new=NewDelivery(
                    **common,
                    channel=Channel.PUSH,
                    address=str(subscription_id),
                    device=str(subscription_id),
                    text=rendered.sms,
                    data=push,
                )
            )
            made += int(created)
    return made


def offer_made(
    *,
    event_id: uuid.UUID,
    event_type: str,
    offer_id: uuid.UUID,
    driver_id: uuid.UUID,
    trip_id: uuid.UUID,
    expires_at: dt.datetime,
    pickup: str,
    dropoff: str,
) -> int:
    """An urgent push, and only to a driver whose socket is closed (a connected app shows the offer itself). The
    offer's `expires_at` travels in the push data: the push adapter caps the TTL by it and drops a lapsed one."""
    if driver_id in integrations.drivers_connected(driver_ids=[driver_id]):
        log.info("notifications.offer_on_socket", offer_id=str(offer_id))
        return 0
    driver = integrations.driver(driver_id=driver_id)
    if driver is None:
        return 0
    brand = integrations.branding(fleet_id=driver.fleet_id)
    tz, locale = (brand.time_zone, brand.locale) if brand else ("UTC", "en")
    expires = local_time(expires_at, tz, locale)
    return user_notify(
        user_id=driver.user_id,
        fleet_id=driver.fleet_id,
        brand=brand,
        message=DriverMessage(
            event_id=event_id,
            event_type=event_type,
            kind="driver.offer",
            driver_id=driver_id,
            extra={"pickup": pickup, "dropoff": dropoff, "expires": expires},
            channels=(Channel.PUSH,),
            urgent=True,
            push_data={"offer_id": str(offer_id), "trip_id": str(trip_id), "expires_at": expires_at.isoformat()},
        ),
    )


def trip_assigned(
    *,
    event_id: uuid.UUID,
    event_type: str,
    driver_id: uuid.UUID,
    trip_id: uuid.UUID,
    pickup: str,
    dropoff: str,
    requested_for: dt.datetime | None,
) -> int:
    """A dispatcher (or an accepted route plan) put a trip on the driver's shift: an urgent push, only while the
    driver app's socket is closed (a connected app shows the assignment itself)."""
    if driver_id in integrations.drivers_connected(driver_ids=[driver_id]):
        log.info("notifications.assignment_on_socket", trip_id=str(trip_id))
        return 0
    driver = integrations.driver(driver_id=driver_id)
    if driver is None:
        return 0
    brand = integrations.branding(fleet_id=driver.fleet_id)
    tz, locale = (brand.time_zone, brand.locale) if brand else ("UTC", "en")
    language = language_for(driver.user_id, brand)
    when = (
        rendering.copy.text(language, "_", "at_time").format(time=local_time(requested_for, tz, locale))
        if requested_for
        else rendering.copy.text(language, "_", "asap")
    )
    return user_notify(
        user_id=driver.user_id,
        fleet_id=driver.fleet_id,
        brand=brand,
        message=DriverMessage(
            event_id=event_id,
            event_type=event_type,
            kind="driver.trip_assigned",
            driver_id=driver_id,
            extra={"pickup": pickup, "dropoff": dropoff, "when": when},
            channels=(Channel.PUSH,),
            urgent=True,
            push_data={"trip_id": str(trip_id)},
        ),
    )


def payout_paid(
    *, event_id: uuid.UUID, event_type: str, payout_id: uuid.UUID, driver_id: uuid.UUID, amount: Money
) -> int:
    return _payout_told(
        kind="driver.payout_paid",
        event_id=event_id,
        event_type=event_type,
        payout_id=payout_id,
        driver_id=driver_id,
        amount=amount,
    )


def payout_rejected(
    *, event_id: uuid.UUID, event_type: str, payout_id: uuid.UUID, driver_id: uuid.UUID, amount: Money, reason: str
) -> int:
    return _payout_told(
        kind="driver.payout_rejected",
        event_id=event_id,
        event_type=event_type,
        payout_id=payout_id,
        driver_id=driver_id,
        amount=amount,
        reason=reason,
    )


def _payout_told(
    *,
    kind: str,
    event_id: uuid.UUID,
    event_type: str,
    payout_id: uuid.UUID,
    driver_id: uuid.UUID,
    amount: Money,
    reason: str | None = None,
) -> int:
    """A payout's news (paid; rejected with the manager's reason) in the fleet's money format, by mail and push."""
    driver = integrations.driver(driver_id=driver_id)
    if driver is None:
        return 0
    brand = integrations.branding(fleet_id=driver.fleet_id)
    shown = money(amount.amount_minor, amount.currency, brand.locale if brand else "en")
    extra: dict[str, Any] = {"amount": shown}
    details: tuple[tuple[str, Any], ...] = (("amount", shown),)
    if reason is not None:
        extra["reason"] = reason
        details += (("reason", reason),)
    return user_notify(
        user_id=driver.user_id,
        fleet_id=driver.fleet_id,
        brand=brand,
        message=DriverMessage(
            event_id=event_id,
            event_type=event_type,
            kind=kind,
            driver_id=driver_id,
            extra=extra,
            details=details,
            push_data={"payout_id": str(payout_id)},
        ),
    )


def language_for(user_id: uuid.UUID, brand: FleetBranding | None) -> str:
    """The recipient's language: their preference, else the fleet's."""
    pref = Preference.objects.filter(user_id=user_id).first()
    return rendering.copy.language_of(
        (pref.language if pref and pref.language else "") or (brand.language if brand else "en")
    )


def document_name(language: str, key: str, fallback: str) -> str:
    """A document type's name in the recipient's language (a type the copy lacks: its code, readable)."""
    return rendering.copy.COPY[language]["_"].get(key, fallback.replace("_", " "))


def kyc_expiring(
    *, event_id: uuid.UUID, event_type: str, driver_id: uuid.UUID, kyc_type: str, expires_on: dt.date, days_left: int
) -> int:
    """A driver's document runs out soon (partner announces it once per threshold: 30, 7, 1 days left)."""
    driver = integrations.driver(driver_id=driver_id)
    if driver is None:
        return 0
    brand = integrations.branding(fleet_id=driver.fleet_id)
    document = document_name(language_for(driver.user_id, brand), f"doc_{kyc_type}", kyc_type)
    shown = local_date(expires_on, brand.locale if brand else "en")
    return user_notify(
        message=DriverMessage(
            event_id=event_id,
            event_type=event_type,
            kind="driver.kyc_expiring",
            driver_id=driver_id,
            extra={"document": document, "expires_on": shown, "days_left": days_left},
            details=(("expires_on", shown),),
            urgent=days_left <= 1,
            push_data={"kyc_type": kyc_type, "expires_on": expires_on.isoformat()},
        ),
        user_id=driver.user_id,
        fleet_id=driver.fleet_id,
        brand=brand,
    )


@dataclasses.dataclass(frozen=True, kw_only=True)
class VehiclePapers:
    """A vehicle's document running out (fleet's `VehicleDocumentExpiringV1`), as both its audiences hear of it."""

    event_id: uuid.UUID
    event_type: str
    fleet_id: uuid.UUID
    vehicle_id: uuid.UUID
    kind: str
    expires_on: dt.date
    days_left: int

    def facts(self) -> tuple[FleetBranding | None, str, str]:
        """The fleet's branding, the date as the fleet writes it, the vehicle as people know it."""
        brand = integrations.branding(fleet_id=self.fleet_id)
        shown = local_date(self.expires_on, brand.locale if brand else "en")
        return brand, shown, integrations.vehicle_name(vehicle_id=self.vehicle_id)


def vehicle_document_expiring_tell_drivers(*, papers: VehiclePapers) -> int:
    """The drivers with a current or coming shift on the vehicle hear that its document runs out (30, 7, 1 days
    left): the vehicle they will take out may not be assignable after that day. Email and push; urgent at 1 day."""
    brand, shown, vehicle = papers.facts()
    made = 0
    for driver_id in integrations.vehicle_drivers(vehicle_id=papers.vehicle_id, since=timezone.now()):
        driver = integrations.driver(driver_id=driver_id)
        if driver is None:
            continue
        document = document_name(language_for(driver.user_id, brand), f"vdoc_{papers.kind}", papers.kind)
        made += user_notify(
            message=DriverMessage(
                event_id=papers.event_id,
                event_type=papers.event_type,
                kind="driver.vehicle_document_expiring",
                driver_id=driver_id,
                extra={"document": document, "vehicle": vehicle, "expires_on": shown, "days_left": papers.days_left},
                details=(("vehicle", vehicle), ("expires_on", shown)),
                urgent=papers.days_left <= 1,
                push_data={"vehicle_id": str(papers.vehicle_id), "expires_on": papers.expires_on.isoformat()},
            ),
            user_id=driver.user_id,
            fleet_id=driver.fleet_id,
            brand=brand,
        )
    return made
