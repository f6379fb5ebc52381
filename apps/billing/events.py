"""Integration events the billing context publishes (versioned; see logitrack.events)."""

from __future__ import annotations

import dataclasses
import uuid

from logitrack.events import IntegrationEvent
from logitrack.types import Money


@dataclasses.dataclass(frozen=True, kw_only=True)
class FareFinalisedV1(IntegrationEvent):
    """A completed trip's fare is final and settled in the ledger."""

    TYPE = "logitrack.billing.fare.finalised.v1"

    trip_id: uuid.UUID
    fleet_id: uuid.UUID
    customer_id: uuid.UUID | None
    driver_id: uuid.UUID | None
    net: Money
    tax: Money
    total: Money
    capped: bool
    driver_earning: Money


@dataclasses.dataclass(frozen=True, kw_only=True)
class PayoutPaidV1(IntegrationEvent):
    TYPE = "logitrack.billing.payout.paid.v1"

    payout_id: uuid.UUID
    driver_id: uuid.UUID
    fleet_id: uuid.UUID
    amount: Money


@dataclasses.dataclass(frozen=True, kw_only=True)
class PayoutRejectedV1(IntegrationEvent):
    """A fleet manager turned a driver's payout request down; the money is back in the driver's wallet."""

    TYPE = "logitrack.billing.payout.rejected.v1"

    payout_id: uuid.UUID
    driver_id: uuid.UUID
    fleet_id: uuid.UUID
    amount: Money
    reason: str


@dataclasses.dataclass(frozen=True, kw_only=True)
class InvoiceIssuedV1(IntegrationEvent):
    """An invoice, receipt or credit note got its number; its PDF follows shortly."""

    TYPE = "logitrack.billing.invoice.issued.v1"

    invoice_id: uuid.UUID
    number: str
    kind: str  # invoice | receipt | credit_note
    fleet_id: uuid.UUID
    customer_id: uuid.UUID | None
    total: Money
    trip_id: uuid.UUID | None = None
    period: str = ""
