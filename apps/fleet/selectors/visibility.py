"""Who may see what in the fleet context, decided here once; every view and admin asks these functions.

- Fleets: platform admins see every fleet; others the fleets they hold any role in, plus the ones they
  applied for. A fleet's settings and history are its managers' (platform admins: every fleet).
- Vehicles: the fleet's managers and dispatchers see them; only managers change them, see their documents
  and scans, or add vehicles to the fleet (platform admins may name any fleet).

Each `…_visible` / `…_managed` function takes an optional base `queryset` (an admin's, for instance) and
narrows it; the `…_get` functions answer a row the caller may not see as one that does not exist (404).
"""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from apps.fleet.contracts import FleetNotFound, VehicleNotFound
from apps.fleet.models import Fleet, Vehicle, VehicleDocument
from logitrack.principal import Principal, Role

STAFF = (Role.FLEET_MANAGER, Role.DISPATCHER)


def _in_fleets(qs: QuerySet, principal: Principal, roles: tuple[Role, ...], field: str) -> QuerySet:
    return qs if principal.is_platform_admin else qs.filter(**{f"{field}__in": principal.fleets(*roles)})


def fleets_visible(*, principal: Principal, queryset: QuerySet | None = None) -> QuerySet:
    """Platform admins see every fleet; others the fleets they hold any role in, plus ones they applied for."""
    qs = Fleet.objects.all() if queryset is None else queryset
    if principal.is_platform_admin:
        return qs
    return qs.filter(Q(id__in=principal.fleets()) | Q(applicant_id=principal.user_id))


def fleets_managed(*, principal: Principal, queryset: QuerySet | None = None) -> QuerySet:
    """The fleets the principal manages (every fleet for platform admins)."""
    qs = Fleet.objects.all() if queryset is None else queryset
    return _in_fleets(qs, principal, (Role.FLEET_MANAGER,), "id")


def vehicles_visible(*, principal: Principal, queryset: QuerySet | None = None) -> QuerySet:
    """Vehicles of the fleets the principal manages or dispatches for (every vehicle for platform admins)."""
    qs = Vehicle.objects.all() if queryset is None else queryset
    return _in_fleets(qs, principal, STAFF, "fleet_id")


def vehicles_managed(*, principal: Principal, queryset: QuerySet | None = None) -> QuerySet:
    """Vehicles the principal may change: those of the fleets they manage (every vehicle for platform admins)."""
    qs = Vehicle.objects.all() if queryset is None else queryset
    return _in_fleets(qs, principal, (Role.FLEET_MANAGER,), "fleet_id")


def vehicle_documents_managed(*, principal: Principal, queryset: QuerySet | None = None) -> QuerySet:
    """Vehicle documents of the fleets the principal manages (all for platform admins)."""
    qs = VehicleDocument.objects.all() if queryset is None else queryset
    return _in_fleets(qs, principal, (Role.FLEET_MANAGER,), "vehicle__fleet_id")


def fleet_get(*, principal: Principal, fleet_id: uuid.UUID) -> Fleet:
    fleet = fleets_visible(principal=principal).filter(id=fleet_id).first()
    if fleet is None:
        raise FleetNotFound("no such fleet")
    return fleet


def fleet_managed_get(*, principal: Principal, fleet_id: uuid.UUID) -> Fleet:
    if not principal.may_act_on_fleet(fleet_id, Role.FLEET_MANAGER):
        raise FleetNotFound("no such fleet")
    return fleet_get(principal=principal, fleet_id=fleet_id)


def fleet_inventory_check(*, principal: Principal, fleet_id: uuid.UUID) -> uuid.UUID:
    """A fleet the principal may add vehicles to: one they manage; platform admins may name any id (the service
    then says whether it exists)."""
    if not principal.may_act_on_fleet(fleet_id, Role.FLEET_MANAGER):
        raise FleetNotFound("no such fleet")
    return fleet_id


def vehicle_get(*, principal: Principal, vehicle_id: uuid.UUID, manage: bool = False) -> Vehicle:
    """One vehicle the principal may see (`manage`: may change); any other id does not exist for them."""
    qs = vehicles_managed(principal=principal) if manage else vehicles_visible(principal=principal)
    vehicle = qs.select_related("fleet").filter(id=vehicle_id).first()
    if vehicle is None:
        raise VehicleNotFound("no such vehicle")
    return vehicle


def vehicle_document_file_get(
    *, principal: Principal, vehicle_id: uuid.UUID, document_id: uuid.UUID
) -> VehicleDocument:
    """A vehicle document with a stored scan, for the fleet's managers."""
    vehicle = vehicle_get(principal=principal, vehicle_id=vehicle_id, manage=True)
    document = vehicle.documents.filter(id=document_id).exclude(file_path="").first()
    if document is None:
        raise VehicleNotFound("no such document file", code="fleet.document_not_found")
    return document
