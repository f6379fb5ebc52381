"""Shifts in the admin: who drives which vehicle when, on the fleet's clock. Cancelling goes through the service."""

from django.contrib import admin

from apps.trips import integrations
from apps.trips.admin._common import PEOPLE, ReadOnly, TripsScoped
from apps.trips.models import Shift
from apps.trips.services import shifts
from logitrack.admin import FleetScopedAdmin, apply_each
from logitrack.admin.export import Exportable
from logitrack.admin.filters import DateRangeFilter
from logitrack.admin.readable import Readable


@admin.register(Shift)
class ShiftAdmin(Readable, Exportable, TripsScoped, ReadOnly, FleetScopedAdmin):
    named_ids = {**PEOPLE, "planned_by_id": integrations.user_names}
    localities = staticmethod(integrations.fleet_localities)
    local_times = ("starts_at", "ends_at", "started_at", "ended_at", "created_at", "updated_at")
    list_display = ("starts_at", "ends_at", "driver_id", "vehicle_id", "status", "pooling", "fleet_id")
    list_filter = ("status", "pooling", ("starts_at", DateRangeFilter))
    readonly_fields = [f.name for f in Shift._meta.fields]
    actions = ("cancel_shift",)

    @admin.action(description="Cancel the selected planned shifts")
    def cancel_shift(self, request, queryset):
        apply_each(self, request, queryset, done_message="cancelled", fn=lambda s: shifts.shift_cancel(shift_id=s.id))
