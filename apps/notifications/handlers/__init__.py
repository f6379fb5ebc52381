"""Reactions of the notifications context: every other context's events, turned into messages to people
(`messages`) and deliveries to integrators' endpoints (`webhooks`). Nothing calls this context; it listens."""

from apps.notifications.handlers import (  # noqa: F401  (registers their subscriptions)
    drivers,
    managers,
    messages,
    push,
    webhooks,
)
