"""Every call the billing context makes into another context (fleet; partner and identity later)."""

from __future__ import annotations

import dataclasses
import uuid

from apps.billing.contracts import InvalidBillingData
from apps.fleet import api as fleet_api
from apps.fleet.contracts import FleetNotFound


@dataclasses.dataclass(frozen=True)
class FleetTerms:
    fleet_id: uuid.UUID
    currency: str
    time_zone: str
    commission_bps: int
    legal_name: str


def fleet_terms(*, fleet_id: uuid.UUID) -> FleetTerms:
    try:
        fleet = fleet_api.fleet_get(fleet_id=fleet_id)
    except FleetNotFound as exc:
        raise InvalidBillingData("no such fleet", code="billing.fleet_not_found") from exc
    return FleetTerms(fleet.id, fleet.currency, fleet.time_zone, fleet.commission_bps, fleet.legal_name)
