"""Fleet onboarding: an operator applies, platform admins move the fleet through review
(`domain.FLEET_ACTIONS`); activation makes the applicant its first manager. Every step is recorded."""

from __future__ import annotations

import uuid
from typing import Any

from apps.fleet import domain, integrations
from apps.fleet.contracts import FleetStatus, IllegalFleetTransition
from apps.fleet.events import FleetActivatedV1, FleetSuspendedV1
from apps.fleet.models import Fleet, FleetStatusChange
from apps.fleet.services._shared import validate
from apps.fleet.services.fleet_settings import ADMIN_ONLY_SETTINGS, FLEET_SETTINGS
from logitrack.db import contexts
from logitrack.outbox.api import publish


@contexts.atomic("fleet")
def fleet_apply(*, applicant_id: uuid.UUID, data: dict[str, Any]) -> Fleet:
    """An operator applies to run a fleet on the platform; a platform admin reviews it."""
    fleet = Fleet(applicant_id=applicant_id, status=FleetStatus.APPLIED)
    for field in (*FLEET_SETTINGS, *ADMIN_ONLY_SETTINGS):
        if field in data:
            setattr(fleet, field, data[field])
    validate(fleet)
    fleet.save()
    FleetStatusChange.objects.create(
        fleet=fleet,
        from_status=FleetStatus.APPLIED,
        to_status=FleetStatus.APPLIED,
        actor_id=applicant_id,
        reason="applied",
    )
    return fleet


@contexts.atomic("fleet")
def fleet_transition(*, fleet_id: uuid.UUID, action: str, actor_id: uuid.UUID | None, reason: str = "") -> Fleet:
    fleet = Fleet.objects.select_for_update().get(id=fleet_id)
    current = FleetStatus(fleet.status)
    target = domain.fleet_next_status(current, action)
    if target is None:
        raise IllegalFleetTransition(
            f"cannot {action.replace('_', ' ')} a fleet that is {current.replace('_', ' ')}",
            extra={"current_status": current.value, "action": action},
        )
    fleet.status = target
    fleet.save(update_fields=["status", "updated_at"])
    FleetStatusChange.objects.create(
        fleet=fleet, from_status=current, to_status=target, actor_id=actor_id, reason=reason
    )
    if target is FleetStatus.ACTIVE:
        integrations.first_manager_grant(user_id=fleet.applicant_id, fleet_id=fleet.id, granted_by_id=actor_id)
        integrations.fleet_name_tell(fleet_id=fleet.id, name=fleet.name)
        publish(
            FleetActivatedV1(
                fleet_id=fleet.id, currency=fleet.currency, time_zone=fleet.time_zone, reinstated=action == "reinstate"
            )
        )
    elif target in (FleetStatus.SUSPENDED, FleetStatus.CLOSED) and current in (
        FleetStatus.ACTIVE,
        FleetStatus.SUSPENDED,
    ):
        publish(FleetSuspendedV1(fleet_id=fleet.id, closed=target is FleetStatus.CLOSED, reason=reason))
    return fleet
