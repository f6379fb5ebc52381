"""Admin glue shared by every context: fleet-scoped querysets for fleet managers."""

from __future__ import annotations

import uuid

from django.contrib import admin, messages

from logitrack.exceptions import ApplicationError
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


def apply_each(modeladmin, request, queryset, fn, *, done_message: str) -> int:
    """Run a service on each selected row; report refusals per row instead of failing the action."""
    done = 0
    for obj in queryset:
        try:
            fn(obj)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done_message}: {done}.", messages.SUCCESS)
    return done
