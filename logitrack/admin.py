"""Admin glue shared by every context: fleet-scoped querysets for fleet managers."""

from __future__ import annotations

import uuid

from django.contrib import admin

from logitrack.http.principal import principal
from logitrack.principal import Role


def managed_fleets(request) -> frozenset[uuid.UUID] | None:
    """Fleets the admin user manages; None for platform admins (every fleet)."""
    found = principal(request)
    if found is None:
        return frozenset()
    if found.is_platform_admin:
        return None
    return found.fleets(Role.FLEET_MANAGER)


class FleetScopedAdmin(admin.ModelAdmin):
    """A fleet manager sees and changes only rows of fleets they manage (`fleet_field`)."""

    fleet_field = "fleet_id"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        fleets = managed_fleets(request)
        return qs if fleets is None else qs.filter(**{f"{self.fleet_field}__in": fleets})
