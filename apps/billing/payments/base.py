"""What every payment-provider adapter offers billing: verify a webhook call, and say what it means in
provider-neutral terms. An adapter knows its provider's signature scheme and body format; nothing else in
billing does."""

from __future__ import annotations

import abc
import dataclasses
import enum
import uuid
from collections.abc import Mapping
from typing import Any

from logitrack.types import Money


class Outcome(enum.StrEnum):
    SUCCEEDED = "succeeded"  # the money was received: confirm the top-up
    FAILED = "failed"  # the payment failed or was declined: the top-up fails
    IGNORED = "ignored"  # an event type billing does not act on: acknowledged, nothing changes


@dataclasses.dataclass(frozen=True, kw_only=True)
class PaymentNotification:
    provider: str  # the registry name it came through
    event_id: str  # the provider's id of this notification: the same event sent twice has the same id
    outcome: Outcome
    topup_id: uuid.UUID | None  # our top-up the payment was made for (the reference the app gave the provider)
    amount: Money | None  # what the provider says it received
    payment_reference: str = ""  # the provider's id of the payment itself
    failure_reason: str = ""


class PaymentProvider(abc.ABC):
    """One configured provider. `parse` authenticates the call before it reads the body, and raises
    SignatureInvalid (401) or NotificationMalformed (400) from apps.billing.contracts."""

    def __init__(self, name: str, **options: Any) -> None:
        self.name = name
        self.options = options

    @property
    def enabled(self) -> bool:
        """False while the provider lacks what it needs to verify calls (its secret): it then accepts none."""
        return True

    @abc.abstractmethod
    def parse(self, *, headers: Mapping[str, str], body: bytes, now: float | None = None) -> PaymentNotification:
        """The notification in `body`, once the signature in `headers` proves the provider sent it."""
