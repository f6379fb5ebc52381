"""Every call the billing context makes into another context (fleet; partner and identity later)."""

from __future__ import annotations

import dataclasses
import uuid

from apps.billing.contracts import InvalidBillingData
from apps.fleet import api as fleet_api
from apps.fleet.contracts import FleetNotFound
from apps.partner import api as partner_api


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


def driver_of(*, user_id: uuid.UUID, fleet_id: uuid.UUID | None) -> tuple[uuid.UUID, uuid.UUID]:
    """(driver profile id, fleet id) of the calling driver; the wallet belongs to the profile."""
    ref = partner_api.driver_for_user(user_id=user_id, fleet_id=fleet_id)
    return ref.id, ref.fleet_id
