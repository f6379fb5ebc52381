"""Query parameters of the trips list endpoints, as FilterSets (so the OpenAPI schema documents them). A bad value
is a 400 naming the parameter, with the messages these lists always gave; so is a parameter given empty."""

from __future__ import annotations

import django_filters

from apps.trips.contracts import TripStatus
from apps.trips.models import Shift, Trip

UUID_INVALID = "Must be a valid UUID."


def _one_of(values) -> str:
    return f"must be one of {', '.join(sorted(values))}"


class StrictFilterSet(django_filters.FilterSet):
    """A parameter that is present must be valid: `?status=` is refused like `?status=nonsense`, not ignored."""

    def is_valid(self) -> bool:
        valid = super().is_valid()
        for name, field in self.form.fields.items():
            if self.data.get(name, None) == "" and name not in self.form.errors:
                self.form.add_error(
                    name, field.error_messages["invalid_choice" if getattr(field, "choices", None) else "invalid"]
                )
                valid = False
        return valid


def _choice(values, help_text: str) -> django_filters.ChoiceFilter:
    return django_filters.ChoiceFilter(
        choices=[(v, v) for v in values], error_messages={"invalid_choice": _one_of(values)}, help_text=help_text
    )


def _fleet() -> django_filters.UUIDFilter:
    return django_filters.UUIDFilter(error_messages={"invalid": UUID_INVALID}, help_text="only this fleet's")


class TripFilter(StrictFilterSet):
    status = _choice([s.value for s in TripStatus], "only trips in this status")
    fleet_id = _fleet()

    class Meta:
        model = Trip
        fields = ("status", "fleet_id")


class ShiftFilter(StrictFilterSet):
    fleet_id = _fleet()
    status = _choice(Shift.Status.values, "only shifts in this status")

    class Meta:
        model = Shift
        fields = ("fleet_id", "status")
