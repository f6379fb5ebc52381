"""Every call the notifications context makes into another context (down the context map: it sits on top).
Webhooks need only fleet names, localities and whether a fleet exists."""

from __future__ import annotations

import uuid

from apps.fleet import api as fleet_api
from logitrack.formatting import Locality


def fleet_exists(*, fleet_id: uuid.UUID) -> bool:
    return bool(fleet_api.fleet_names(fleet_ids=[fleet_id]))


def fleet_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    return fleet_api.fleet_names(fleet_ids=list(ids))


def fleet_choices(*, fleet_ids: frozenset[uuid.UUID] | None) -> dict[uuid.UUID, str]:
    """The fleets an admin user may name in a form, by name (every fleet for platform admins)."""
    return fleet_api.fleet_names(fleet_ids=None if fleet_ids is None else list(fleet_ids))


def fleet_localities(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, Locality]:
    return {
        fleet_id: Locality(locale=found.locale, time_zone=found.time_zone, currency=found.currency)
        for fleet_id, found in fleet_api.fleet_localities(fleet_ids=list(fleet_ids)).items()
    }
