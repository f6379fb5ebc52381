"""Reactions of the notifications context: every other context's events, turned into messages to people
(`messages`, `drivers`, `managers`, `accounts`: identity's password and invitation mails) and deliveries to
integrators' endpoints (`webhooks`). Nothing calls this context; it listens."""

from apps.notifications.handlers import (  # noqa: F401  (registers their subscriptions)
    accounts,
    drivers,
    managers,
    messages,
    push,
    webhooks,
)
