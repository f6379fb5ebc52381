"""What every channel adapter takes and how it reports the outcome.

An adapter sends one `Outgoing` message to one address and returns the provider's id for it, or raises:
`Transient` when trying again later may work (timeouts, 429, 5xx, a connection refused) and `Permanent` when it
never will (a malformed number, 400/401/403/404, a push subscription that is gone). The delivery machinery decides
about retries and dead letters; an adapter never retries on its own.
"""

from __future__ import annotations

import dataclasses
from typing import Protocol

from apps.notifications.contracts import Channel


@dataclasses.dataclass(frozen=True, kw_only=True)
class Attachment:
    filename: str
    content: bytes
    content_type: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class Outgoing:
    to: str  # an email address, an E.164 phone number, or a push subscription's id (its JSON works too; push.py)
    subject: str = ""  # email subject; push title
    text: str  # the plain body: email text part, SMS text, push body
    html: str = ""  # email only
    attachments: tuple[Attachment, ...] = ()  # email only
    headers: tuple[tuple[str, str], ...] = ()  # email only, e.g. List-Unsubscribe
    sender_name: str = ""  # shown as the sender: the fleet's name
    data: tuple[tuple[str, str], ...] = ()  # push only: what the app opens (e.g. ("trip_id", "…"))
    urgent: bool = False  # push urgency / SMS priority where the provider supports it
    key: str = ""  # our idempotency key for this delivery, passed on where the provider accepts one


class Failure(Exception):
    def __init__(self, reason: str, *, status: int | None = None, body: str = "") -> None:
        super().__init__(reason)
        self.reason, self.status, self.body = reason, status, body[:2000]


class Transient(Failure):
    """Trying again later may succeed."""


class Permanent(Failure):
    """Trying again will not help; the delivery goes straight to the dead letters."""


class Adapter(Protocol):
    channel: Channel
    name: str  # the provider, for the delivery log ("smtp", "twilio", "webpush", "console")

    def send(self, message: Outgoing) -> str:
        """Send one message; the provider's id for it (or "" when it gives none)."""
        ...
