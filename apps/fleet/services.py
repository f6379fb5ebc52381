"""Write use cases of the fleet context. One transaction each."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.fleet import domain, integrations
from apps.fleet.contracts import (
    FleetNotActive,
    FleetNotFound,
    FleetStatus,
    IllegalFleetTransition,
    IllegalVehicleTransition,
    InvalidFleetData,
    MaintenanceOverlap,
    RegistrationTaken,
    VehicleDocumentKind,
    VehicleStatus,
    VehicleType,
)
from apps.fleet.events import (
    FleetActivatedV1,
    FleetSuspendedV1,
    VehicleAddedV1,
    VehicleDocumentExpiredV1,
    VehicleDocumentExpiringV1,
    VehicleStatusChangedV1,
)
from apps.fleet.models import VEHICLE_MODELS, Fleet, FleetStatusChange, MaintenanceWindow, Vehicle, VehicleDocument
from logitrack import files, images
from logitrack.outbox.api import publish

FLEET_SETTINGS = (
    "name",
    "legal_name",
    "address_line1",
    "address_line2",
    "postal_code",
    "city",
    "tax_id",
    "time_zone",
    "auto_dispatch",
    "default_service_minutes",
    "service_center_lat",
    "service_center_lng",
    "service_radius_m",
    "service_polygon",
    "proof_of_delivery",
)
ADMIN_ONLY_SETTINGS = ("commission_bps", "currency", "country")
VEHICLE_FIELDS = ("make", "model", "year", "capacity_kg", "capacity_volume_m3", "seats", "parcels")
TYPE_FIELDS = {
    VehicleType.BIKE: ("electric", "cargo_box"),
    VehicleType.CAR: ("body", "wheelchair_accessible"),
    VehicleType.VAN: ("tail_lift", "refrigerated"),
    VehicleType.TRUCK: ("axles", "gross_weight_kg", "licence_class"),
}
DOCUMENT_MAX_BYTES = 10 * 1024 * 1024


def _validate(instance, exclude: list[str] | None = None) -> None:
    """Field rules as 400s; uniqueness is left to the database, whose IntegrityError we answer with 409."""
    try:
        instance.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        raise InvalidFleetData("some values are not valid", extra={"errors": errors}) from None


# ---- fleets ------------------------------------------------------------------------------


@transaction.atomic
def fleet_apply(*, applicant_id: uuid.UUID, data: dict[str, Any]) -> Fleet:
    """An operator applies to run a fleet on the platform; a platform admin reviews it."""
    fleet = Fleet(applicant_id=applicant_id, status=FleetStatus.APPLIED)
    for field in (*FLEET_SETTINGS, *ADMIN_ONLY_SETTINGS):
        if field in data:
            setattr(fleet, field, data[field])
    _validate(fleet)
    fleet.save()
    FleetStatusChange.objects.create(
        fleet=fleet,
        from_status=FleetStatus.APPLIED,
        to_status=FleetStatus.APPLIED,
        actor_id=applicant_id,
        reason="applied",
    )
    return fleet


@transaction.atomic
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


@transaction.atomic
def fleet_settings_update(*, fleet_id: uuid.UUID, data: dict[str, Any], as_platform_admin: bool = False) -> Fleet:
    fleet = Fleet.objects.select_for_update().get(id=fleet_id)
    allowed = FLEET_SETTINGS + (ADMIN_ONLY_SETTINGS if as_platform_admin else ())
    refused = sorted(set(data) - set(allowed))
    if refused:
        raise InvalidFleetData(
            "only a platform admin may change these", extra={"errors": {f: ["Not editable by you."] for f in refused}}
        )
    changed = [f for f in allowed if f in data and getattr(fleet, f) != data[f]]
    for field in changed:
        setattr(fleet, field, data[field])
    if changed:
        _validate(fleet)
        fleet.save(update_fields=[*changed, "updated_at"])
    if "name" in changed:
        integrations.fleet_name_tell(fleet_id=fleet.id, name=fleet.name)
    return fleet


# ---- vehicles ----------------------------------------------------------------------------


def normalise_registration(raw: str) -> str:
    return re.sub(r"[\s-]+", "", raw or "").upper()


def _require_active_fleet(fleet: Fleet) -> None:
    if fleet.status not in (FleetStatus.ACTIVE, FleetStatus.UNDER_REVIEW, FleetStatus.APPLIED):
        raise FleetNotActive(f"fleet {fleet.name} is {fleet.status}: its inventory is frozen")


@transaction.atomic
def vehicle_add(*, fleet_id: uuid.UUID, vehicle_type: VehicleType, data: dict[str, Any]) -> Vehicle:
    fleet = Fleet.objects.select_for_update().filter(id=fleet_id).first()
    if fleet is None:  # a platform admin may name any fleet, including one that does not exist
        raise FleetNotFound(f"fleet {fleet_id} does not exist")
    _require_active_fleet(fleet)
    model = VEHICLE_MODELS[VehicleType(vehicle_type)]
    vehicle = model(
        fleet=fleet,
        registration=normalise_registration(data.get("registration", "")),
        registration_country=data.get("registration_country") or fleet.country,
    )
    for field in (*VEHICLE_FIELDS, *TYPE_FIELDS[VehicleType(vehicle_type)]):
        if field in data:
            setattr(vehicle, field, data[field])
    _validate(vehicle, exclude=["fleet"])
    try:
        with transaction.atomic():
            vehicle.save()
    except IntegrityError:
        raise RegistrationTaken(
            f"{vehicle.registration} is already registered in {vehicle.registration_country}"
        ) from None
    publish(
        VehicleAddedV1(
            vehicle_id=vehicle.id,
            fleet_id=fleet.id,
            vehicle_type=VehicleType(vehicle_type),
            capacity_kg=vehicle.capacity_kg,
            seats=vehicle.seats,
        )
    )
    return vehicle


@transaction.atomic
def vehicle_update(*, vehicle_id: uuid.UUID, data: dict[str, Any]) -> Vehicle:
    vehicle = Vehicle.objects.select_for_update().get(id=vehicle_id).get_real_instance()
    if vehicle.status == VehicleStatus.RETIRED:
        raise IllegalVehicleTransition("a retired vehicle cannot be changed")
    fields = (*VEHICLE_FIELDS, *TYPE_FIELDS[vehicle.TYPE])
    refused = sorted(set(data) - set(fields))
    if refused:
        raise InvalidFleetData(
            "these fields cannot be changed", extra={"errors": {f: ["Not editable."] for f in refused}}
        )
    changed = [f for f in fields if f in data and getattr(vehicle, f) != data[f]]
    for field in changed:
        setattr(vehicle, field, data[field])
    if changed:
        _validate(vehicle, exclude=["fleet"])
        vehicle.save()
    return vehicle


@transaction.atomic
def vehicle_status_change(*, vehicle_id: uuid.UUID, status: VehicleStatus) -> Vehicle:
    vehicle = Vehicle.objects.select_for_update().get(id=vehicle_id)
    current = VehicleStatus(vehicle.status)
    if current == status:
        return vehicle
    if not domain.vehicle_may_become(current, status):
        raise IllegalVehicleTransition(
            f"a vehicle that is {current.replace('_', ' ')} cannot become {status.replace('_', ' ')}",
            extra={"current_status": current.value},
        )
    vehicle.status = status
    vehicle.save(update_fields=["status", "updated_at"])
    publish(
        VehicleStatusChangedV1(vehicle_id=vehicle.id, fleet_id=vehicle.fleet_id, old_status=current, new_status=status)
    )
    return vehicle


@transaction.atomic
def vehicle_document_add(
    *,
    vehicle_id: uuid.UUID,
    kind: VehicleDocumentKind,
    expires_on: dt.date,
    number: str = "",
    issued_on: dt.date | None = None,
    upload=None,
) -> VehicleDocument:
    vehicle = Vehicle.objects.select_for_update().get(id=vehicle_id)
    document = VehicleDocument(vehicle=vehicle, kind=kind, expires_on=expires_on, number=number, issued_on=issued_on)
    if issued_on and issued_on > expires_on:
        raise InvalidFleetData(
            "a document cannot expire before it was issued", extra={"errors": {"expires_on": ["Before issued_on."]}}
        )
    if upload is not None:
        stored = files.store_private(
            upload,
            folder="vehicle-documents",
            allowed=("pdf", "jpeg", "png"),
            max_bytes=DOCUMENT_MAX_BYTES,
            image=images.SCAN,
        )
        document.file_path, document.content_type = stored.path, stored.content_type
    _validate(document, exclude=["vehicle"])
    try:
        document.save()
    except Exception:
        files.delete_private(document.file_path)
        raise
    return document


@transaction.atomic
def maintenance_schedule(
    *, vehicle_id: uuid.UUID, starts_at: dt.datetime, ends_at: dt.datetime, reason: str = ""
) -> MaintenanceWindow:
    vehicle = Vehicle.objects.select_for_update().get(id=vehicle_id)
    if ends_at <= starts_at:
        raise InvalidFleetData(
            "maintenance must end after it starts", extra={"errors": {"ends_at": ["Not after starts_at."]}}
        )
    if vehicle.maintenance_windows.filter(starts_at__lt=ends_at, ends_at__gt=starts_at).exists():
        raise MaintenanceOverlap("this vehicle already has maintenance planned in that window")
    return MaintenanceWindow.objects.create(vehicle=vehicle, starts_at=starts_at, ends_at=ends_at, reason=reason)


def uploads_sanitize(*, dry_run: bool = False) -> files.RecheckReport:
    """Operator's re-check of stored vehicle document files (`fleet_sanitize_uploads`): images stored before
    uploads were re-encoded are re-encoded now, those that cannot be made safe are quarantined, PDFs refused
    today are flagged for a person. One transaction per file; a second run finds nothing to do."""
    report = files.RecheckReport()
    for document_id in VehicleDocument.objects.exclude(file_path="").order_by("id").values_list("id", flat=True):
        _document_file_recheck(document_id, report, dry_run)
    return report


@transaction.atomic
def _document_file_recheck(document_id: uuid.UUID, report: files.RecheckReport, dry_run: bool) -> None:
    document = VehicleDocument.objects.select_for_update().filter(id=document_id).exclude(file_path="").first()
    if document is None:
        return
    label = f"vehicle document {document.id}"
    result = files.recheck_and_tally(document.file_path, image=images.SCAN, label=label, report=report, dry_run=dry_run)
    if dry_run or result.outcome not in ("rewritten", "quarantined"):
        return
    document.file_path = result.stored.path if result.stored else ""
    document.content_type = result.stored.content_type if result.stored else ""
    document.save(update_fields=["file_path", "content_type"])


# ---- the periodic document check ------------------------------------------------------------


@transaction.atomic
def vehicle_documents_check(*, today: dt.date | None = None, warn_days: int | None = None) -> tuple[int, int]:
    """Publish 'expiring' once per document `warn_days` ahead, and 'expired' once when it lapses."""
    today = today or timezone.localdate()
    warn_days = settings.DOCUMENT_EXPIRY_WARNING_DAYS if warn_days is None else warn_days
    now = timezone.now()
    warned = expired = 0
    expiring = (
        VehicleDocument.objects.select_for_update(skip_locked=True)
        .select_related("vehicle")
        .filter(
            expiry_warned_at__isnull=True, expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=warn_days)
        )
    )
    for doc in expiring:
        publish(
            VehicleDocumentExpiringV1(
                document_id=doc.id,
                vehicle_id=doc.vehicle_id,
                fleet_id=doc.vehicle.fleet_id,
                kind=VehicleDocumentKind(doc.kind),
                expires_on=doc.expires_on,
            )
        )
        doc.expiry_warned_at = now
        doc.save(update_fields=["expiry_warned_at"])
        warned += 1
    lapsed = (
        VehicleDocument.objects.select_for_update(skip_locked=True)
        .select_related("vehicle")
        .filter(expired_notified_at__isnull=True, expires_on__lt=today)
    )
    for doc in lapsed:
        publish(
            VehicleDocumentExpiredV1(
                document_id=doc.id,
                vehicle_id=doc.vehicle_id,
                fleet_id=doc.vehicle.fleet_id,
                kind=VehicleDocumentKind(doc.kind),
                expires_on=doc.expires_on,
            )
        )
        doc.expired_notified_at = now
        doc.save(update_fields=["expired_notified_at"])
        expired += 1
    return warned, expired
