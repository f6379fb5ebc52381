"""The bulk driver import (`partner_import_drivers`): one CSV row is an account, the driver role and the
profile, all or nothing on one database. When partner has a database of its own, identity commits the account and
the role in its own transaction first: a row is checked whole before identity is asked, and a row that fails after
(a lost connection) is imported by running the file again (the account, the role and the profile are each made once)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError

from apps.partner import integrations
from apps.partner.models import DriverProfile
from apps.partner.services._shared import invalid
from apps.partner.services.drivers import PROFILE_FIELDS, driver_onboard, driver_profile_update
from logitrack.db import contexts


@contexts.atomic("partner")
def driver_import(
    *,
    fleet_id: uuid.UUID,
    email: str,
    display_name: str,
    phone: str = "",
    licence_classes: str = "",
    emergency_contact_name: str = "",
    emergency_contact_phone: str = "",
) -> DriverProfile:
    """One row of a bulk import: the account, the driver role and the profile, all or nothing."""
    profile = {
        "phone": phone,
        "licence_classes": licence_classes,
        "emergency_contact_name": emergency_contact_name,
        "emergency_contact_phone": emergency_contact_phone,
    }
    _profile_check(fleet_id=fleet_id, display_name=display_name, profile=profile)
    user_id = integrations.driver_account_provision(
        email=email, display_name=display_name, phone=phone, fleet_id=fleet_id
    )
    driver = driver_onboard(user_id=user_id, fleet_id=fleet_id, display_name=display_name)
    return driver_profile_update(driver_id=driver.id, data=profile)


def _profile_check(*, fleet_id: uuid.UUID, display_name: str, profile: dict[str, Any]) -> None:
    """The profile's fields as `driver_profile_update` will validate them, before any account is made: a row refused
    only after identity committed would leave an account, its role and a welcome mail behind."""
    fields = {field.name for field in DriverProfile._meta.concrete_fields}
    candidate = DriverProfile(user_id=uuid.uuid4(), fleet_id=fleet_id, display_name=display_name, **profile)
    try:
        candidate.full_clean(exclude=fields - set(PROFILE_FIELDS), validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        raise invalid(exc) from None
