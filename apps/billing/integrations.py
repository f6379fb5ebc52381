"""Every call the billing context makes into another context (fleet; partner and identity later)."""

from __future__ import annotations

import dataclasses
import uuid

from apps.billing.contracts import InvalidBillingData
from apps.fleet import api as fleet_api
from apps.fleet.contracts import FleetNotFound
from apps.identity import api as identity_api
from apps.identity.contracts import UserNotFound
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


def fleet_choices(*, fleet_ids: frozenset[uuid.UUID] | None) -> dict[uuid.UUID, str]:
    """The fleets an admin user may name in billing's forms, by name (every fleet for platform admins)."""
    return fleet_api.fleet_names(fleet_ids=None if fleet_ids is None else list(fleet_ids))


def driver_of(*, user_id: uuid.UUID, fleet_id: uuid.UUID | None) -> tuple[uuid.UUID, uuid.UUID]:
    """(driver profile id, fleet id) of the calling driver; the wallet belongs to the profile."""
    ref = partner_api.driver_for_user(user_id=user_id, fleet_id=fleet_id)
    return ref.id, ref.fleet_id


def fleet_legal(*, fleet_id: uuid.UUID) -> dict:
    """The seller block of an invoice, as the fleet is registered now."""
    fleet = fleet_api.fleet_get(fleet_id=fleet_id)
    return {
        "legal_name": fleet.legal_name,
        "name": fleet.name,
        "tax_id": fleet.tax_id,
        "country": fleet.country,
        "address_line1": fleet.address_line1,
        "address_line2": fleet.address_line2,
        "postal_code": fleet.postal_code,
        "city": fleet.city,
    }


def customer_details(*, customer_id: uuid.UUID) -> dict:
    try:
        contact = identity_api.user_contact_get(user_id=customer_id)
    except UserNotFound:
        return {"name": "", "email": ""}
    return {"name": contact.display_name, "email": contact.email}


def fleet_time_zones(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each fleet's IANA time zone, whose local days revenue is counted in; UTC for an id fleet does not know."""
    zones = {}
    for fleet_id in fleet_ids:
        try:
            zones[fleet_id] = fleet_api.fleet_get(fleet_id=fleet_id).time_zone or "UTC"
        except FleetNotFound:
            zones[fleet_id] = "UTC"
    return zones
