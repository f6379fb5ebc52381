"""A driver's compliance status: derived from their KYC documents (`domain.derive_compliance`), or forced by a
manager's suspension. Losing it takes the driver off duty."""

from __future__ import annotations

import datetime as dt
import uuid

from django.utils import timezone

from apps.partner import domain
from apps.partner.contracts import ComplianceStatus, IllegalSuspension, InvalidPartnerData, KycStatus
from apps.partner.events import ComplianceChangedV1
from apps.partner.models import DriverProfile
from apps.partner.services._shared import driver_locked
from apps.partner.services.duty import duty_force_off
from logitrack.db import contexts
from logitrack.outbox.api import publish


def _facts(driver: DriverProfile) -> list[domain.DocumentFact]:
    return [
        domain.DocumentFact(doc.kyc_type, KycStatus(doc.status), doc.expires_on, doc.submitted_at)
        for doc in driver.documents.all()
    ]


def compliance_recompute(*, driver: DriverProfile, today: dt.date | None = None) -> ComplianceStatus:
    """Derive compliance from the documents; publish and take the driver off duty when it is lost."""
    status, reasons = domain.derive_compliance(
        _facts(driver), suspended=driver.suspended_at is not None, today=today or timezone.localdate()
    )
    old = ComplianceStatus(driver.compliance_status)
    if status != old or list(reasons) != list(driver.compliance_reasons):
        driver.compliance_status, driver.compliance_reasons = status, list(reasons)
        driver.save(update_fields=["compliance_status", "compliance_reasons", "updated_at"])
    if status != old:
        publish(
            ComplianceChangedV1(
                driver_id=driver.id,
                user_id=driver.user_id,
                fleet_id=driver.fleet_id,
                old_status=old,
                new_status=status,
                reasons=reasons,
            )
        )
        if status is not ComplianceStatus.COMPLIANT:
            duty_force_off(driver)
    return status


@contexts.atomic("partner")
def driver_suspend(*, driver_id: uuid.UUID, reason: str) -> DriverProfile:
    driver = driver_locked(driver_id)
    if driver.suspended_at is not None:
        raise IllegalSuspension("the driver is already suspended")
    if not reason.strip():
        raise InvalidPartnerData("say why", extra={"errors": {"reason": ["Required."]}})
    driver.suspended_at, driver.suspension_reason = timezone.now(), reason.strip()
    driver.save(update_fields=["suspended_at", "suspension_reason", "updated_at"])
    compliance_recompute(driver=driver)
    return driver


@contexts.atomic("partner")
def driver_reinstate(*, driver_id: uuid.UUID) -> DriverProfile:
    driver = driver_locked(driver_id)
    if driver.suspended_at is None:
        raise IllegalSuspension("the driver is not suspended")
    driver.suspended_at, driver.suspension_reason = None, ""
    driver.save(update_fields=["suspended_at", "suspension_reason", "updated_at"])
    compliance_recompute(driver=driver)
    return driver
