"""What every partner admin builds on: rows from the visibility selectors, names and the fleet's clock."""

from collections.abc import Callable

from django.db.models import QuerySet

from apps.partner import integrations
from apps.partner.selectors import drivers as driver_selectors
from logitrack.admin import FleetScoped
from logitrack.http.principal import principal


class Visible(FleetScoped):
    """The rows an admin shows come from the app's visibility selector (`visible(principal=, queryset=)`), the
    one place partner decides who sees what; pickers elsewhere that point here offer the same rows."""

    visible: Callable[..., QuerySet]  # a visibility selector, set with staticmethod(...)

    def get_queryset(self, request):
        base = super(FleetScoped, self).get_queryset(request)  # the admin's own queryset and ordering, unscoped
        found = principal(request)
        return base.none() if found is None else self.visible(principal=found, queryset=base)


# `Readable` sources (names(ids=[...]) -> {id: name}; localities(fleet_ids=[...]) -> {id: Locality})
driver_names = driver_selectors.driver_names
user_names = integrations.user_names
fleet_names = integrations.fleet_names
fleet_localities = integrations.fleet_localities
