"""Drivers going on and off duty: by themselves from the app, or forced off when they can no longer work."""

from __future__ import annotations

import uuid

from django.utils import timezone

from apps.partner.contracts import ComplianceStatus, DutyStatus, NotCompliant
from apps.partner.events import DutyStatusChangedV1
from apps.partner.models import DriverProfile
from apps.partner.services._shared import driver_locked
from logitrack.db import contexts
from logitrack.outbox.api import publish


def duty_force_off(driver: DriverProfile) -> None:
    """The platform takes the driver off duty (compliance lost, role revoked, erased); the caller holds the lock."""
    if driver.duty_status == DutyStatus.ON_DUTY:
        driver.duty_status, driver.duty_changed_at = DutyStatus.OFF_DUTY, timezone.now()
        driver.save(update_fields=["duty_status", "duty_changed_at", "updated_at"])
        publish(
            DutyStatusChangedV1(
                driver_id=driver.id,
                user_id=driver.user_id,
                fleet_id=driver.fleet_id,
                duty_status=DutyStatus.OFF_DUTY,
                forced=True,
            )
        )


@contexts.atomic("partner")
def duty_set(*, driver_id: uuid.UUID, on_duty: bool) -> DriverProfile:
    driver = driver_locked(driver_id)
    target = DutyStatus.ON_DUTY if on_duty else DutyStatus.OFF_DUTY
    if driver.duty_status == target:
        return driver
    if on_duty and (not driver.active or driver.compliance_status != ComplianceStatus.COMPLIANT):
        raise NotCompliant(
            "you can go on duty once your documents are approved and valid",
            extra={"compliance_status": driver.compliance_status, "reasons": driver.compliance_reasons},
        )
    driver.duty_status, driver.duty_changed_at = target, timezone.now()
    driver.save(update_fields=["duty_status", "duty_changed_at", "updated_at"])
    publish(
        DutyStatusChangedV1(driver_id=driver.id, user_id=driver.user_id, fleet_id=driver.fleet_id, duty_status=target)
    )
    return driver
