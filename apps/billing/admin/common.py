"""What the billing admin pages share: read-only pages, and pages for platform admins only."""

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
