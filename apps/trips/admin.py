"""Trips in the admin for fleet managers: read-mostly; cancelling goes through the lifecycle service."""

from django.contrib import admin

from apps.trips import selectors
from apps.trips.contracts import ActorRole
from apps.trips.models import Offer, Shift, Stop, Trip, TripLogEntry
from apps.trips.services import lifecycle, shifts
from logitrack.admin import FleetScopedAdmin, apply_each
from logitrack.http.principal import principal


class TripsScoped:
    """Which rows this admin shows is decided by the trips selectors (`administered`), like every trips view."""

    fleet_field = "fleet_id"

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        return selectors.administered(rows, principal=principal(request), fleet_field=self.fleet_field)


class StopInline(admin.TabularInline):
    model = Stop
    fields = ("sequence", "kind", "address", "window_start", "window_end", "status")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class TimelineInline(admin.TabularInline):
    model = TripLogEntry
    fields = ("at", "action", "from_status", "to_status", "actor_role", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Trip)
class TripAdmin(TripsScoped, FleetScopedAdmin):
    list_display = ("id", "status", "vehicle_type", "weight_kg", "requested_for", "created_at", "driver_id")
    list_filter = ("status", "vehicle_type", "service")
    search_fields = ("id", "customer_id", "driver_id")
    readonly_fields = [f.name for f in Trip._meta.fields]
    inlines = [StopInline, TimelineInline]
    actions = ("cancel",)

    def has_add_permission(self, request):
        return False  # trips are booked through the API

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected trips (as dispatcher)")
    def cancel(self, request, queryset):
        actor = principal(request)
        apply_each(
            self,
            request,
            queryset,
            done_message="cancelled",
            fn=lambda t: lifecycle.trip_transition(
                trip_id=t.id,
                action="cancel",
                actor_id=actor.user_id if actor else None,
                role=ActorRole.DISPATCHER,
                reason="cancelled in admin",
            ),
        )


@admin.register(Shift)
class ShiftAdmin(TripsScoped, FleetScopedAdmin):
    list_display = ("starts_at", "ends_at", "driver_id", "vehicle_id", "status", "pooling")
    list_filter = ("status", "pooling")
    readonly_fields = [f.name for f in Shift._meta.fields]
    actions = ("cancel_shift",)

    def has_add_permission(self, request):
        return False  # planned through the API, where eligibility and overlaps are checked

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description="Cancel the selected planned shifts")
    def cancel_shift(self, request, queryset):
        apply_each(self, request, queryset, done_message="cancelled", fn=lambda s: shifts.shift_cancel(shift_id=s.id))


@admin.register(Offer)
class OfferAdmin(TripsScoped, FleetScopedAdmin):
    fleet_field = "trip__fleet_id"
    list_display = ("created_at", "trip", "driver_id", "status", "expires_at", "answered_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in Offer._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
