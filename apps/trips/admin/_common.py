"""What every trips ModelAdmin shares: the rows the trips selectors say it may show, and names instead of ids."""

from __future__ import annotations

from django.contrib import admin

from apps.trips import integrations, selectors
from logitrack.http.principal import principal


class TripsScoped:
    """Which rows this admin shows is decided by the trips selectors (`administered`), like every trips view."""

    fleet_field = "fleet_id"

    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        return selectors.administered(rows, principal=principal(request), fleet_field=self.fleet_field)


class ReadOnly:
    """Rows made by the API and the services only: nobody adds or deletes them here."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# the names of other contexts' ids, looked up once per page (logitrack/admin/readable.py)
PEOPLE = {
    "customer_id": integrations.user_names,
    "driver_id": integrations.driver_names,
    "vehicle_id": integrations.vehicle_names,
    "fleet_id": integrations.fleet_names,
}
