"""Read use cases of the fleet context."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from apps.fleet.contracts import FleetStatus, VehicleDocumentKind, VehicleStatus
from apps.fleet.models import Fleet, MaintenanceWindow, Vehicle, VehicleDocument
from logitrack.principal import Principal, Role

REQUIRED_VEHICLE_DOCUMENTS = (VehicleDocumentKind.REGISTRATION, VehicleDocumentKind.INSURANCE)


def fleets_visible(*, principal: Principal) -> QuerySet:
    """Platform admins see every fleet; others the fleets they hold any role in, plus ones they applied for."""
    qs = Fleet.objects.all()
    if principal.is_platform_admin:
        return qs
    return qs.filter(Q(id__in=principal.fleets()) | Q(applicant_id=principal.user_id))


def fleet_list(*, principal: Principal, status: str | None = None, search: str | None = None) -> QuerySet:
    qs = fleets_visible(principal=principal).order_by("name")
    if status:
        qs = qs.filter(status=status)
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(legal_name__icontains=search))
    return qs


def vehicles_of(*, fleet_ids: frozenset[uuid.UUID] | None) -> QuerySet:
    qs = Vehicle.objects.select_related("fleet").order_by("registration")
    return qs if fleet_ids is None else qs.filter(fleet_id__in=fleet_ids)


def vehicle_fleets(principal: Principal) -> frozenset[uuid.UUID] | None:
    """Fleets whose vehicles the principal may see (managers and dispatchers); None = all."""
    if principal.is_platform_admin:
        return None
    return principal.fleets(Role.FLEET_MANAGER, Role.DISPATCHER)


def vehicle_list(
    *,
    principal: Principal,
    fleet_id: uuid.UUID | None = None,
    status: str | None = None,
    vehicle_type: str | None = None,
    search: str | None = None,
    documents_expiring_within: int | None = None,
) -> QuerySet:
    qs = vehicles_of(fleet_ids=vehicle_fleets(principal))
    if fleet_id:
        qs = qs.filter(fleet_id=fleet_id)
    if status:
        qs = qs.filter(status=status)
    if vehicle_type:
        from apps.fleet.models import VEHICLE_MODELS

        qs = qs.instance_of(VEHICLE_MODELS[vehicle_type])
    if search:
        qs = qs.filter(
            Q(registration__icontains=search.replace(" ", "")) | Q(make__icontains=search) | Q(model__icontains=search)
        )
    if documents_expiring_within is not None:
        horizon = timezone.localdate() + dt.timedelta(days=documents_expiring_within)
        qs = qs.filter(documents__expires_on__lte=horizon).distinct()
    return qs


def _valid_document(kind: VehicleDocumentKind, until: dt.date):
    return Exists(VehicleDocument.objects.filter(vehicle=OuterRef("pk"), kind=kind, expires_on__gte=until))


def vehicles_assignable(*, fleet_id: uuid.UUID, starts_at: dt.datetime, ends_at: dt.datetime) -> QuerySet:
    """Active vehicles of an active fleet, free of maintenance in the window, with registration and
    insurance valid until the window ends."""
    until = timezone.localdate(ends_at) if timezone.is_aware(ends_at) else ends_at.date()
    busy = MaintenanceWindow.objects.filter(vehicle=OuterRef("pk"), starts_at__lt=ends_at, ends_at__gt=starts_at)
    qs = Vehicle.objects.filter(
        fleet_id=fleet_id, fleet__status=FleetStatus.ACTIVE, status=VehicleStatus.ACTIVE
    ).exclude(Exists(busy))
    for kind in REQUIRED_VEHICLE_DOCUMENTS:
        qs = qs.filter(_valid_document(kind, until))
    return qs.order_by("registration")


def documents_expiring(*, fleet_ids: frozenset[uuid.UUID] | None, within_days: int) -> QuerySet:
    qs = VehicleDocument.objects.select_related("vehicle").filter(
        expires_on__lte=timezone.localdate() + dt.timedelta(days=within_days)
    )
    return qs if fleet_ids is None else qs.filter(vehicle__fleet_id__in=fleet_ids)
