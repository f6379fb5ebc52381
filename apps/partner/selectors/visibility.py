"""Who may see what in the partner context, decided here once; every view and admin asks these functions.

- Drivers: platform admins see every driver; fleet managers and dispatchers those of their fleets.
  Changing a driver (suspend, reinstate, their documents) is for the fleet's managers only.
- KYC documents (the review queue): the fleet's managers.
- A stored scan: the fleet's managers, and the driver it belongs to.
- A driver's photo: the fleet's managers and dispatchers, and the driver.
- A driver's own profile: the caller's active profile (in `fleet_id`, when they drive for several fleets).

Each `…_visible` / `…_managed` function takes an optional base `queryset` (an admin's, for instance) and
narrows it; the `…_get` functions answer a row the caller may not see as one that does not exist.
"""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from apps.partner.contracts import AmbiguousDriver, DocumentNotFound, DriverNotFound
from apps.partner.models import DriverProfile, KycDocument
from logitrack.principal import Principal, Role

STAFF = (Role.FLEET_MANAGER, Role.DISPATCHER)


def _in_fleets(qs: QuerySet, principal: Principal, roles: tuple[Role, ...], field: str) -> QuerySet:
    return qs if principal.is_platform_admin else qs.filter(**{f"{field}__in": principal.fleets(*roles)})


def drivers_visible(*, principal: Principal, queryset: QuerySet | None = None) -> QuerySet:
    """Drivers of the fleets the principal manages or dispatches for (every driver for platform admins)."""
    qs = DriverProfile.objects.all() if queryset is None else queryset
    return _in_fleets(qs, principal, STAFF, "fleet_id")


def drivers_managed(*, principal: Principal, queryset: QuerySet | None = None) -> QuerySet:
    """Drivers the principal may change: those of the fleets they manage (every driver for platform admins)."""
    qs = DriverProfile.objects.all() if queryset is None else queryset
    return _in_fleets(qs, principal, (Role.FLEET_MANAGER,), "fleet_id")


def documents_managed(*, principal: Principal, queryset: QuerySet | None = None) -> QuerySet:
    """KYC documents the principal reviews: those of the fleets they manage (all for platform admins)."""
    qs = KycDocument.objects.all() if queryset is None else queryset
    return _in_fleets(qs, principal, (Role.FLEET_MANAGER,), "driver__fleet_id")


def driver_get(*, principal: Principal, driver_id: uuid.UUID, manage: bool = False) -> DriverProfile:
    """One driver the principal may see (`manage`: may change); any other id does not exist for them."""
    qs = drivers_managed(principal=principal) if manage else drivers_visible(principal=principal)
    driver = qs.filter(id=driver_id).first()
    if driver is None:
        raise DriverNotFound("no such driver")
    return driver


def document_get(*, principal: Principal, document_id: uuid.UUID) -> KycDocument:
    """One KYC document the principal reviews; any other id does not exist for them."""
    document = documents_managed(principal=principal).filter(id=document_id).first()
    if document is None:
        raise DocumentNotFound("no such document")
    return document


def document_file_get(*, principal: Principal, document_id: uuid.UUID) -> KycDocument:
    """A document with a stored scan, for the fleet's managers and for the driver it belongs to."""
    qs = KycDocument.objects.select_related("driver").filter(id=document_id).exclude(file_path="")
    if not principal.is_platform_admin:
        qs = qs.filter(
            Q(driver__fleet_id__in=principal.fleets(Role.FLEET_MANAGER)) | Q(driver__user_id=principal.user_id)
        )
    document = qs.first()
    if document is None:
        raise DocumentNotFound("no such document")
    return document


def driver_photo_get(*, principal: Principal, driver_id: uuid.UUID) -> DriverProfile:
    """A driver with a photo, for the fleet's managers and dispatchers and for the driver themselves."""
    qs = DriverProfile.objects.filter(id=driver_id).exclude(photo_path="")
    if not principal.is_platform_admin:
        qs = qs.filter(Q(fleet_id__in=principal.fleets(*STAFF)) | Q(user_id=principal.user_id))
    driver = qs.first()
    if driver is None:
        raise DriverNotFound("no such photo")
    return driver


def driver_own(*, principal: Principal, fleet_id: uuid.UUID | None) -> DriverProfile:
    """The caller's own active driver profile; with several fleets, `fleet_id` says which."""
    return driver_for_user(user_id=principal.user_id, fleet_id=fleet_id)


def driver_for_user(*, user_id: uuid.UUID, fleet_id: uuid.UUID | None) -> DriverProfile:
    """A user's active driver profile; with several fleets, `fleet_id` says which."""
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
