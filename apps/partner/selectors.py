"""Read use cases of the partner context."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo

from django.db.models import QuerySet
from django.utils import timezone

from apps.partner import domain, integrations
from apps.partner.contracts import (
    AmbiguousDriver,
    ComplianceStatus,
    DriverNotFound,
    DutyStatus,
    Eligibility,
    KycStatus,
)
from apps.partner.models import DriverProfile, KycDocument
from logitrack.principal import Principal, Role


def managed_fleets(principal: Principal) -> frozenset[uuid.UUID] | None:
    """Fleets whose drivers the principal may see (managers and dispatchers); None = every fleet."""
    return None if principal.is_platform_admin else principal.fleets(Role.FLEET_MANAGER, Role.DISPATCHER)


def driver_list(
    *,
    fleets: frozenset[uuid.UUID] | None,
    fleet_id: uuid.UUID | None = None,
    compliance: str | None = None,
    duty: str | None = None,
    active: bool | None = True,
    search: str | None = None,
) -> QuerySet:
    qs = DriverProfile.objects.order_by("display_name", "id")
    if fleets is not None:
        qs = qs.filter(fleet_id__in=fleets)
    if fleet_id:
        qs = qs.filter(fleet_id=fleet_id)
    if compliance:
        qs = qs.filter(compliance_status=compliance)
    if duty:
        qs = qs.filter(duty_status=duty)
    if active is not None:
        qs = qs.filter(active=active)
    if search:
        qs = qs.filter(display_name__icontains=search)
    return qs


def driver_for_user(*, user_id: uuid.UUID, fleet_id: uuid.UUID | None) -> DriverProfile:
    """The caller's own driver profile; with several fleets, `fleet_id` says which."""
    profiles = list(DriverProfile.objects.filter(user_id=user_id, active=True))
    if fleet_id is not None:
        profiles = [p for p in profiles if p.fleet_id == fleet_id]
    if not profiles:
        raise DriverNotFound("you have no active driver profile here")
    if len(profiles) > 1:
        raise AmbiguousDriver(
            "you drive for several fleets: add ?fleet_id=", extra={"fleets": [str(p.fleet_id) for p in profiles]}
        )
    return profiles[0]


def documents_for_review(
    *, fleets: frozenset[uuid.UUID] | None, fleet_id: uuid.UUID | None, status: str | None
) -> QuerySet:
    qs = KycDocument.objects.select_related("driver").order_by("submitted_at")
    if fleets is not None:
        qs = qs.filter(driver__fleet_id__in=fleets)
    if fleet_id:
        qs = qs.filter(driver__fleet_id=fleet_id)
    if status:
        qs = qs.filter(status=status)
    return qs


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


def drivers_available(*, fleet_id: uuid.UUID, starts_at: dt.datetime, ends_at: dt.datetime) -> list[DriverProfile]:
    """Compliant, active drivers of the fleet whose availability covers the window (fleet local time)."""
    tz = zoneinfo.ZoneInfo(integrations.fleet_time_zone(fleet_id=fleet_id))
    local_start, local_end = timezone.localtime(starts_at, tz), timezone.localtime(ends_at, tz)
    drivers = (
        DriverProfile.objects.filter(fleet_id=fleet_id, active=True, compliance_status=ComplianceStatus.COMPLIANT)
        .prefetch_related("availability", "availability_exceptions")
        .order_by("display_name", "id")
    )
    found = []
    for driver in drivers:
        weekly = [(w.weekday, w.starts, w.ends) for w in driver.availability.all()]
        exceptions: dict[dt.date, list] = {}
        for ex in driver.availability_exceptions.all():
            exceptions.setdefault(ex.date, []).append((ex.available, ex.starts, ex.ends))
        if domain.window_covered(weekly=weekly, exceptions=exceptions, starts_at=local_start, ends_at=local_end):
            found.append(driver)
    return found


def documents_expiring(*, fleets: frozenset[uuid.UUID] | None, within_days: int) -> QuerySet:
    qs = KycDocument.objects.filter(
        status=KycStatus.APPROVED, expires_on__lte=timezone.localdate() + dt.timedelta(days=within_days)
    )
    return qs if fleets is None else qs.filter(driver__fleet_id__in=fleets)
