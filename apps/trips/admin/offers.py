"""Offers of trips to drivers in the admin: to whom, until when, answered how (read only)."""

from django.contrib import admin

from apps.trips import integrations
from apps.trips.admin._common import PEOPLE, ReadOnly, TripsScoped
from apps.trips.admin.page import reference
from apps.trips.models import Offer
from logitrack.admin import FleetScopedAdmin
from logitrack.admin.export import Exportable
from logitrack.admin.filters import DateRangeFilter
from logitrack.admin.readable import Readable


@admin.register(Offer)
class OfferAdmin(Readable, Exportable, TripsScoped, ReadOnly, FleetScopedAdmin):
    fleet_field = "trip__fleet_id"
    named_ids = {"driver_id": PEOPLE["driver_id"]}
    localities = staticmethod(integrations.fleet_localities)
    local_times = ("created_at", "updated_at", "expires_at", "answered_at")
    list_display = ("created_at", "trip_reference", "driver_id", "status", "expires_at", "answered_at")
    list_filter = ("status", ("created_at", DateRangeFilter))
    fields = ("trip_reference", "driver_id", "status", "expires_at", "answered_at", "reason", "created_at")
    readonly_fields = fields  # the trip by its reference, not "trip <uuid>"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("trip")

    @admin.display(description="Trip", ordering="trip_id")
    def trip_reference(self, obj: Offer) -> str:
        return reference(obj.trip)
