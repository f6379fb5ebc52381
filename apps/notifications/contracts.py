"""The notifications context's vocabulary. Nothing calls this context, so these are for its own layers and for
whoever reads its delivery log or webhooks from outside (stdlib only)."""

from __future__ import annotations

import enum

from logitrack.exceptions import NotFound, ValidationFailed


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    PUSH = "push"
    WEBHOOK = "webhook"


class DeliveryStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for its first try or its next retry
    SENT = "sent"  # the provider or endpoint accepted it
    SUPPRESSED = "suppressed"  # not sent on purpose: opted out, no address, rate-limited away
    DEAD = "dead"  # gave up after the last retry or a permanent refusal; `notifications_replay` sends it again


# ---- push subscriptions (the driver app's REST) ----
class PushSubscriptionNotFound(NotFound):
    code = "notifications.push_subscription_not_found"


class InvalidPushSubscription(ValidationFailed):
    code = "notifications.invalid_push_subscription"


class PushNotConfigured(NotFound):
    """This server offers no push (no VAPID key, or an unusable one): the app goes without, no use retrying."""

    code = "notifications.push_not_configured"
