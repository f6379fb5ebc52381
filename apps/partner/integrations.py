"""Every call the partner context makes into another context (fleet and identity)."""

from __future__ import annotations

import dataclasses
import uuid

from apps.fleet import api as fleet_api
from apps.fleet.contracts import FleetNotFound
from apps.identity import api as identity_api
from apps.identity.contracts import FleetRole, MembershipExists, UserNotFound
from apps.partner.contracts import DriverNotFound
from logitrack.formatting import Locality


@dataclasses.dataclass(frozen=True)
class Person:
    user_id: uuid.UUID
    email: str
    display_name: str
    phone: str


def fleet_time_zone(*, fleet_id: uuid.UUID) -> str:
    try:
        return fleet_api.fleet_get(fleet_id=fleet_id).time_zone
    except FleetNotFound:
        return "UTC"  # a fleet not yet set up in the fleet context: read availability in UTC


def fleet_localities(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, Locality]:
    """Each fleet's locale, clock and currency (the admin shows times the fleet's way)."""
    found = fleet_api.fleet_localities(fleet_ids=fleet_ids)
    return {k: Locality(locale=v.locale, time_zone=v.time_zone, currency=v.currency) for k, v in found.items()}


def fleet_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return fleet_api.fleet_names(fleet_ids=ids)


def user_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """People's names (a reviewer, a driver's account); one without a name is left out (read as unknown)."""
    return {u.id: u.display_name for u in identity_api.users_get(user_ids=ids) if u.display_name}


def person_get(*, user_id: uuid.UUID) -> Person | None:
    try:
        contact = identity_api.user_contact_get(user_id=user_id)
    except UserNotFound:
        return None
    return Person(contact.id, contact.email, contact.display_name, contact.phone)


def driver_account_provision(*, email: str, display_name: str, phone: str, fleet_id: uuid.UUID) -> uuid.UUID:
    """The identity account for an imported driver, with the driver role in `fleet_id`."""
    try:
        user = identity_api.user_provision(email=email, display_name=display_name, phone=phone, fleet_id=fleet_id)
        identity_api.membership_grant(user_id=user.id, fleet_id=fleet_id, role=FleetRole.DRIVER)
    except MembershipExists:
        pass
    except UserNotFound as exc:
        raise DriverNotFound("that account exists but is not active") from exc
    return user.id
