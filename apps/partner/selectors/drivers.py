"""What the partner context tells about drivers: lists for the managers' screens, a driver's documents,
compliance and availability for the driver app, and eligibility for work (other contexts, through api.py)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from apps.partner import domain
from apps.partner.contracts import ComplianceStatus, DutyStatus, Eligibility
from apps.partner.models import DriverProfile
from apps.partner.selectors import visibility
from logitrack.principal import Principal


def driver_list(*, principal: Principal) -> QuerySet:
    """The drivers the principal sees, in the managers' list order (filters come from the list's FilterSet)."""
    return visibility.drivers_visible(principal=principal).order_by("display_name", "id")


def driver_names(*, ids: list[uuid.UUID]) -> dict[uuid.UUID, str]:
    """Drivers' names for the admin's lists (`Readable` sources), one query; a driver without a name is left out."""
    return dict(DriverProfile.objects.filter(id__in=ids).exclude(display_name="").values_list("id", "display_name"))


def driver_documents(*, driver: DriverProfile) -> QuerySet:
    return driver.documents.order_by("-submitted_at")


def driver_compliance(*, driver: DriverProfile) -> dict[str, Any]:
    """The driver app's compliance page: status, reasons, duty, and the documents behind them."""
    return {
        "status": driver.compliance_status,
        "reasons": driver.compliance_reasons,
        "duty_status": driver.duty_status,
        "documents": driver_documents(driver=driver),
    }


def eligibility(driver: DriverProfile, *, licence_class: str = "", require_on_duty: bool = False) -> Eligibility:
    reasons: list[str] = []
    if not driver.active:
        reasons.append("inactive")
    if driver.compliance_status != ComplianceStatus.COMPLIANT:
        reasons.append(f"compliance_{driver.compliance_status}")
        reasons.extend(str(r) for r in driver.compliance_reasons if r != "suspended")
    if licence_class and not domain.licence_covers(driver.licence_class_list(), licence_class):
        reasons.append(f"licence_class_{licence_class}_missing")
    if require_on_duty and driver.duty_status != DutyStatus.ON_DUTY:
        reasons.append("off_duty")
    return Eligibility(driver_id=driver.id, eligible=not reasons, reasons=tuple(dict.fromkeys(reasons)))
