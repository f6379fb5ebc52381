"""Public in-process API of the partner context: keyword-only functions, contracts in and out.

Only other apps' `integrations.py` (and `config`) may import this module.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import QuerySet

from apps.partner.contracts import (
    ComplianceStatus,
    DriverNotFound,
    DriverRef,
    DutyStatus,
    Eligibility,
    KycExpiry,
    KycQueue,
    KycStatus,
)
from apps.partner.models import KYC_MODELS as _KYC_MODELS
from apps.partner.models import DriverProfile as _DriverProfile
from apps.partner.models import KycDocument as _KycDocument
from apps.partner.selectors import availability as _availability
from apps.partner.selectors import documents as _documents
from apps.partner.selectors import drivers as _drivers
from apps.partner.selectors import visibility as _visibility


def driver_get(*, driver_id: uuid.UUID) -> DriverRef:
    driver = _DriverProfile.objects.filter(id=driver_id).first()
    if driver is None:
        raise DriverNotFound(f"driver {driver_id} does not exist")
    return _ref(driver)


def driver_for_user(*, user_id: uuid.UUID, fleet_id: uuid.UUID | None) -> DriverRef:
    """The active driver profile of a user in a fleet (from a driver-app request's principal).
    Without `fleet_id` the user must drive for exactly one fleet (else AmbiguousDriver)."""
    return _ref(_visibility.driver_for_user(user_id=user_id, fleet_id=fleet_id))


def drivers_get(*, driver_ids: list[uuid.UUID]) -> list[DriverRef]:
    """The drivers that exist among `driver_ids` (unknown ids are left out), in one query."""
    return [_ref(d) for d in _DriverProfile.objects.filter(id__in=driver_ids)]


def drivers_of_user(*, user_id: uuid.UUID) -> list[DriverRef]:
    """Every driver profile a user has (one per fleet they drive for)."""
    return [_ref(d) for d in _DriverProfile.objects.filter(user_id=user_id).order_by("created_at")]


def driver_eligibility(*, driver_id: uuid.UUID, licence_class: str = "", require_on_duty: bool = False) -> Eligibility:
    """May this driver be given work? A driver who is not compliant never is. Unknown ids are not eligible."""
    return drivers_eligibility(driver_ids=[driver_id], licence_class=licence_class, require_on_duty=require_on_duty)[0]


def drivers_eligibility(
    *, driver_ids: list[uuid.UUID], licence_class: str = "", require_on_duty: bool = False
) -> list[Eligibility]:
    """One answer per requested id, in the order asked."""
    found = {d.id: d for d in _DriverProfile.objects.filter(id__in=driver_ids)}
    return [
        _drivers.eligibility(found[i], licence_class=licence_class, require_on_duty=require_on_duty)
        if i in found
        else Eligibility(driver_id=i, eligible=False, reasons=("unknown_driver",))
        for i in driver_ids
    ]


def drivers_available(*, fleet_id: uuid.UUID, starts_at: dt.datetime, ends_at: dt.datetime) -> list[DriverRef]:
    """Compliant drivers of the fleet whose weekly availability and exceptions cover the window."""
    return [_ref(d) for d in _availability.drivers_available(fleet_id=fleet_id, starts_at=starts_at, ends_at=ends_at)]


def documents_expiring(*, driver_ids: list[uuid.UUID], on_or_before: dt.date) -> list[KycExpiry]:
    """The drivers' approved documents that run out by `on_or_before`, one per driver and type: the one that lasts
    longest (a renewed licence supersedes the old one). In one query; soonest first."""
    return _expiring(_KycDocument.objects.non_polymorphic().filter(driver_id__in=driver_ids), on_or_before)


def kyc_documents_expiring(*, fleet_ids: list[uuid.UUID], on_or_before: dt.date) -> list[KycExpiry]:
    """`documents_expiring` for every driver of these fleets (the manager's overview), in one query."""
    return _expiring(_KycDocument.objects.non_polymorphic().filter(driver__fleet_id__in=fleet_ids), on_or_before)


def kyc_review_queue(*, fleet_ids: list[uuid.UUID], limit: int = 8) -> KycQueue:
    """Documents of these fleets' drivers waiting for review: how many, the oldest submission, the oldest few with
    the driver's name and the document's type."""
    return _documents.review_queue_summary(fleet_ids=fleet_ids, limit=limit)


def _expiring(documents: QuerySet[Any], on_or_before: dt.date) -> list[KycExpiry]:
    latest: dict[tuple[uuid.UUID, str], tuple[dt.date, uuid.UUID]] = {}
    rows = documents.filter(status=KycStatus.APPROVED, expires_on__isnull=False)
    for doc_id, driver_id, model, expires_on in rows.values_list(
        "id", "driver_id", "polymorphic_ctype__model", "expires_on"
    ):
        key = (driver_id, model)
        if expires_on is None:
            continue  # filtered out above; the type checker cannot tell
        if key not in latest or expires_on > latest[key][0]:
            latest[key] = (expires_on, doc_id)
    types = {m._meta.model_name: t for t, m in _KYC_MODELS.items()}
    found = [
        KycExpiry(driver_id=driver_id, document_type=types[model], expires_on=expires_on, document_id=doc_id)
        for (driver_id, model), (expires_on, doc_id) in latest.items()
        if expires_on <= on_or_before and model in types
    ]
    return sorted(found, key=lambda e: (e.expires_on, str(e.driver_id), e.document_type))


def driver_ids_named(*, text: str, fleet_ids: list[uuid.UUID] | None, limit: int) -> list[uuid.UUID]:
    """Ids of up to `limit` driver profiles whose name contains `text` (case-insensitive), in these fleets (None:
    any fleet, for a platform admin's search)."""
    drivers = _DriverProfile.objects.filter(display_name__icontains=text)
    if fleet_ids is not None:
        drivers = drivers.filter(fleet_id__in=fleet_ids)
    return list(drivers.order_by("display_name").values_list("id", flat=True)[:limit])


def _ref(driver: _DriverProfile) -> DriverRef:
    return DriverRef(
        id=driver.id,
        user_id=driver.user_id,
        fleet_id=driver.fleet_id,
        display_name=driver.display_name,
        licence_classes=driver.licence_class_list(),
        compliance_status=ComplianceStatus(driver.compliance_status),
        duty_status=DutyStatus(driver.duty_status),
        active=driver.active,
    )
