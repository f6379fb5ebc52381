"""Fleets as their people see them: the list, and a fleet's onboarding history."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from apps.fleet.selectors import visibility
from logitrack.principal import Principal


def fleet_list(*, principal: Principal) -> QuerySet:
    """The fleets the principal sees, by name (filters come from the list's FilterSet)."""
    return visibility.fleets_visible(principal=principal).order_by("name")


def fleet_history(*, principal: Principal, fleet_id: uuid.UUID) -> QuerySet:
    """Every onboarding step of a fleet the principal manages, oldest first."""
    fleet = visibility.fleet_managed_get(principal=principal, fleet_id=fleet_id)
    return fleet.status_changes.order_by("created_at")
