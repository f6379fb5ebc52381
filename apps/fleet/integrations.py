"""Every call the fleet context makes into another context (identity only, per the context map)."""

from __future__ import annotations

import uuid

from apps.fleet.contracts import ApplicantMissing
from apps.identity import api as identity_api
from apps.identity.contracts import FleetRole, MembershipExists, UserNotFound


def first_manager_grant(*, user_id: uuid.UUID, fleet_id: uuid.UUID, granted_by_id: uuid.UUID | None) -> None:
    """Make the applicant the fleet's manager when it is activated (idempotent)."""
    try:
        identity_api.membership_grant(
            user_id=user_id, fleet_id=fleet_id, role=FleetRole.FLEET_MANAGER, granted_by_id=granted_by_id
        )
    except MembershipExists:
        pass
    except UserNotFound as exc:
        raise ApplicantMissing("the applicant's account no longer exists or is inactive") from exc


def fleet_name_tell(*, fleet_id: uuid.UUID, name: str) -> None:
    """Identity shows fleets by name (its admin's invitation form) but sits below fleet: fleet tells it the name."""
    identity_api.fleet_name_record(fleet_id=fleet_id, name=name)


def user_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """People's names for the admin (a fleet's applicant, who changed its status); one without a name is left
    out (read as unknown)."""
    return {u.id: u.display_name for u in identity_api.users_get(user_ids=ids) if u.display_name}
