"""Fleets as their people see them: the list, and a fleet's onboarding history."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from apps.fleet.models import Fleet
from apps.fleet.selectors import visibility
from logitrack.formatting import Locality, locale_for
from logitrack.principal import Principal


def fleet_list(*, principal: Principal) -> QuerySet:
    """The fleets the principal sees, by name (filters come from the list's FilterSet)."""
    return visibility.fleets_visible(principal=principal).order_by("name")


def fleet_history(*, principal: Principal, fleet_id: uuid.UUID) -> QuerySet:
    """Every onboarding step of a fleet the principal manages, oldest first."""
    fleet = visibility.fleet_managed_get(principal=principal, fleet_id=fleet_id)
    return fleet.status_changes.order_by("created_at")


def fleet_localities(*, fleet_ids: list[uuid.UUID]) -> dict[uuid.UUID, Locality]:
    """Each fleet's locale (from its country), clock and currency, in one query; the admin's `Readable` source
    (api.fleet_localities tells other contexts the same)."""
    rows = Fleet.objects.filter(id__in=fleet_ids).values_list("id", "country", "time_zone", "currency")
    return {
        fleet_id: Locality(locale=locale_for(country), time_zone=time_zone, currency=currency)
        for fleet_id, country, time_zone, currency in rows
    }
