"""What the billing admin pages share: read-only pages, pages for platform admins only, trips as links."""

from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html

from logitrack.http.principal import principal


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PlatformOnly:
    """Prepaid money is the platform's, not a fleet's: only platform admins see these pages."""

    @staticmethod
    def _platform_admin(request) -> bool:
        found = principal(request)
        return found is not None and found.is_platform_admin

    def has_module_permission(self, request):
        return self._platform_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._platform_admin(request)


def trip_reference(trip_id) -> str:
    """A trip as people quote it: the first eight characters of its id."""
    return str(trip_id)[:8]


def trip_link(trip_id):
    """A trip's short reference, linking to its page in the trips admin: billing may not call trips (it sits above
    billing on the context map), so the link goes by URL name and the trips admin decides what the user may see."""
    if trip_id is None:
        return "–"
    try:
        url = reverse("admin:trips_trip_change", args=[trip_id])
    except NoReverseMatch:  # an admin site without the trips admin
        return trip_reference(trip_id)
    return format_html('<a href="{}">{}</a>', url, trip_reference(trip_id))
