"""Reads of the notifications context: for its pages (the unsubscribe link), and for push: a person's
subscriptions (whom the push channel reaches) and the key browsers subscribe with."""

from __future__ import annotations

import dataclasses
import uuid

import structlog
from django.conf import settings
from django.db.models import QuerySet

from apps.notifications import integrations, tokens
from apps.notifications.channels.push import public_key_of, vapid_signer
from apps.notifications.contracts import PushNotConfigured
from apps.notifications.models import PushSubscription
from apps.notifications.rendering import brand_context
from apps.notifications.rendering.copy import language_of

log = structlog.get_logger(__name__)


@dataclasses.dataclass(frozen=True, kw_only=True)
class UnsubscribeLink:
    user_id: uuid.UUID
    channel: str
    fleet_name: str
    logo_url: str
    language: str
    colour: str = ""  # "#rrggbb": the page's button and name in the fleet's colour


def unsubscribe_link(*, token: str) -> UnsubscribeLink:
    """Whose link this is and whose name the page shows (tokens.BadToken for a forged or damaged one)."""
    user_id, channel, fleet_id = tokens.unsubscribe_read(token)
    brand = integrations.branding(fleet_id=fleet_id) if fleet_id else None
    return UnsubscribeLink(
        user_id=user_id,
        channel=channel,
        fleet_name=brand.name if brand else "LogiTrack",
        logo_url=brand_context(brand)["logo_url"],
        language=language_of(brand.language if brand else "en"),
        colour=brand.colour if brand else "",
    )


def push_subscriptions_of(*, user_id: uuid.UUID) -> QuerySet[PushSubscription]:
    """Every device of the user that takes pushes, newest first. The delivery machinery sends one push per
    subscription (`Outgoing.to` = `str(subscription.id)`)."""
    return PushSubscription.objects.filter(user_id=user_id).order_by("-created_at")


def push_public_key() -> str:
    """The VAPID public key (application server key, URL-safe base64) the app passes to `pushManager.subscribe`.
    Derived from the private key, so the two cannot disagree; NOTIFICATIONS_VAPID_PUBLIC_KEY, when set, must match."""
    try:
        signer = vapid_signer()
    except ValueError:
        log.error("notifications.vapid_key_unreadable")
        raise PushNotConfigured("push notifications are not available: the server's key is unreadable") from None
    if signer is None:
        raise PushNotConfigured("push notifications are not set up on this server")
    derived = public_key_of(signer)
    configured = settings.NOTIFICATIONS_VAPID_PUBLIC_KEY.strip().rstrip("=")
    if configured and configured != derived:
        log.error("notifications.vapid_keys_mismatch")
        raise PushNotConfigured("push notifications are not available: the server's keys do not match")
    return derived
