"""What the partner views share: who may call them, and the driver app's `fleet_id` parameter."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter

from apps.partner.models import DriverProfile
from apps.partner.selectors import visibility
from logitrack.http.params import query_uuid
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.principal import Role

STAFF = HasRole.of(Role.FLEET_MANAGER, Role.DISPATCHER)
MANAGERS = HasRole.of(Role.FLEET_MANAGER)
DRIVERS = HasRole.of(Role.DRIVER)
FLEET_PARAM = OpenApiParameter("fleet_id", uuid.UUID, description="which fleet, when you drive for several")
# every /me/ endpoint: the caller must have an active driver profile (in that fleet)
ME = problems(**{"404": "you have no active driver profile (in that fleet): `partner.driver_not_found`"})


def me(request) -> DriverProfile:
    """The caller's own driver profile (`?fleet_id=` when they drive for several fleets)."""
    return visibility.driver_own(principal=require_principal(request), fleet_id=query_uuid(request, "fleet_id"))
