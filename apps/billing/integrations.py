"""Every call the billing context makes into another context (fleet, partner, identity: down the context map only;
never trips, which sits above billing).

Each through a `logitrack.remote.ContextApi`: in process by default, over HTTP to the platform when billing runs
as its own service (`FLEET_API_MODE`, `PARTNER_API_MODE`, `IDENTITY_API_MODE`, or `PLATFORM_API_MODE` for the
three), since billing's own database has none of their tables. Over HTTP the same contracts and contract errors come
back; a context that cannot be reached raises its `...Unavailable` (a ServiceUnavailable: 503 to an API caller, an
outage to the event worker, which retries the delivery later)."""

from __future__ import annotations

import dataclasses
import uuid
from types import ModuleType

from apps.billing.contracts import InvalidBillingData
from apps.fleet import contracts as fleet_contracts
from apps.fleet.contracts import FleetNotFound
from apps.identity import contracts as identity_contracts
from apps.identity.contracts import UserNotFound
from apps.partner import contracts as partner_contracts
from logitrack import remote
from logitrack.formatting import Locality


def _fleet_inprocess() -> ModuleType:
    from apps.fleet import api

    return api


def _partner_inprocess() -> ModuleType:
    from apps.partner import api

    return api


def _identity_inprocess() -> ModuleType:
    from apps.identity import api

    return api


fleet_api = remote.ContextApi(fleet_contracts.REMOTE, inprocess=_fleet_inprocess)
partner_api = remote.ContextApi(partner_contracts.REMOTE, inprocess=_partner_inprocess)
identity_api = remote.ContextApi(identity_contracts.REMOTE, inprocess=_identity_inprocess)


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


# ---- what the admin shows instead of ids (logitrack.admin.readable: one call per page or export chunk) ----------


def fleet_localities(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, Locality]:
    """Each fleet's locale (from its country), clock and currency, in one call; unknown fleets are left out."""
    return {
        fleet_id: Locality(locale=found.locale, time_zone=found.time_zone, currency=found.currency)
        for fleet_id, found in fleet_api.fleet_localities(fleet_ids=list(fleet_ids)).items()
    }


def fleet_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return fleet_api.fleet_names(fleet_ids=list(ids))


def driver_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Driver profiles by their driver's name."""
    return {d.id: d.display_name for d in partner_api.drivers_get(driver_ids=list(ids)) if d.display_name}


def user_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Customers and staff (who decided a payout) by their name; an erased account has none and reads "unknown"."""
    return {u.id: u.display_name for u in identity_api.users_get(user_ids=list(ids)) if u.display_name}


def owner_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """A ledger account's owner: a driver profile, a customer or a fleet (the account's kind says which; one
    look-up of each kind for the page is cheaper than sorting the ids first)."""
    ids = list(ids)
    found = fleet_names(ids=ids)
    found.update(user_names(ids=[i for i in ids if i not in found]))
    found.update(driver_names(ids=[i for i in ids if i not in found]))
    return found


def fleet_time_zones(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Each fleet's IANA time zone, whose local days revenue is counted in; UTC for an id fleet does not know."""
    found = fleet_api.fleet_localities(fleet_ids=list(fleet_ids))
    return {fleet_id: (found[fleet_id].time_zone if fleet_id in found else "UTC") or "UTC" for fleet_id in fleet_ids}
