"""The notifications context's vocabulary. Nothing calls this context, so these are for its own layers and for
whoever reads its delivery log or webhooks from outside (stdlib only)."""

from __future__ import annotations

import enum


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
