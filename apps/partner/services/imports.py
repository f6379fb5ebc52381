"""The bulk driver import (`partner_import_drivers`): one CSV row is an account, the driver role and the
profile, all or nothing."""

from __future__ import annotations

import uuid

from apps.partner import integrations
from apps.partner.models import DriverProfile
from apps.partner.services.drivers import driver_onboard, driver_profile_update
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
    user_id = integrations.driver_account_provision(
        email=email, display_name=display_name, phone=phone, fleet_id=fleet_id
    )
    driver = driver_onboard(user_id=user_id, fleet_id=fleet_id, display_name=display_name)
    return driver_profile_update(
        driver_id=driver.id,
        data={
            "phone": phone,
            "licence_classes": licence_classes,
            "emergency_contact_name": emergency_contact_name,
            "emergency_contact_phone": emergency_contact_phone,
        },
    )
