"""Driver profiles: created when identity grants the driver role (idempotent), deactivated when it is revoked;
the contact details a driver keeps up to date, and their photo."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError

from apps.partner.contracts import InvalidPartnerData
from apps.partner.events import DriverOnboardedV1
from apps.partner.models import DriverProfile
from apps.partner.services._shared import driver_locked, invalid
from apps.partner.services.compliance import compliance_recompute
from apps.partner.services.duty import duty_force_off
from logitrack import files, images
from logitrack.db import contexts
from logitrack.db.services import model_update
from logitrack.outbox.api import publish

PHOTO_MAX_BYTES = 5 * 1024 * 1024
PROFILE_FIELDS = ("phone", "licence_classes", "emergency_contact_name", "emergency_contact_phone")


@contexts.atomic("partner")
def driver_onboard(*, user_id: uuid.UUID, fleet_id: uuid.UUID, display_name: str = "", **profile: Any) -> DriverProfile:
    """The driver profile for a user who holds the driver role in a fleet (idempotent)."""
    driver, created = DriverProfile.objects.select_for_update().get_or_create(
        user_id=user_id, fleet_id=fleet_id, defaults={"display_name": display_name, **profile}
    )
    if not created and not driver.active:
        driver.active = True
        driver.save(update_fields=["active", "updated_at"])
    if created:
        publish(DriverOnboardedV1(driver_id=driver.id, user_id=user_id, fleet_id=fleet_id))
        compliance_recompute(driver=driver)
    return driver


@contexts.atomic("partner")
def driver_offboard(*, user_id: uuid.UUID, fleet_id: uuid.UUID) -> None:
    """The driver role was revoked: the profile stays (history) but can take no work."""
    driver = DriverProfile.objects.select_for_update().filter(user_id=user_id, fleet_id=fleet_id).first()
    if driver is None or not driver.active:
        return
    driver.active = False
    driver.save(update_fields=["active", "updated_at"])
    duty_force_off(driver)


@contexts.atomic("partner")
def driver_profile_update(*, driver_id: uuid.UUID, data: dict[str, Any]) -> DriverProfile:
    driver = driver_locked(driver_id)
    refused = sorted(set(data) - set(PROFILE_FIELDS))
    if refused:
        raise InvalidPartnerData(
            "these fields cannot be changed here", extra={"errors": {f: ["Not editable."] for f in refused}}
        )
    try:
        model_update(
            instance=driver, fields=PROFILE_FIELDS, data=data, validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise invalid(exc) from None
    return driver


@contexts.atomic("partner")
def driver_photo_set(*, driver_id: uuid.UUID, upload) -> DriverProfile:
    driver = driver_locked(driver_id)
    stored = files.store_private(
        upload, folder="driver-photos", allowed=("jpeg", "png"), max_bytes=PHOTO_MAX_BYTES, image=images.PHOTO
    )
    previous = driver.photo_path
    driver.photo_path = stored.path
    driver.save(update_fields=["photo_path", "updated_at"])
    contexts.on_commit(lambda: files.delete_private(previous), "partner")
    return driver
