"""Query parameters of the trips list endpoints, as FilterSets (so the OpenAPI schema documents them). A bad value
is a 400 naming the parameter, with the messages these lists always gave; so is a parameter given empty
(logitrack.http.filters)."""

from __future__ import annotations

import django_filters

from apps.trips import selectors
from apps.trips.contracts import TripStatus
from apps.trips.models import Shift, Trip
from logitrack.http.filters import ChoiceFilter, TextFilter, UUIDFilter, choices
from logitrack.http.principal import require_principal


class TripFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=choices(TripStatus), help_text="only trips in this status")
    fleet_id = UUIDFilter(help_text="only this fleet's")
    search = TextFilter(
        method="search_trips",
        min_length=selectors.SEARCH_MIN_LENGTH,
        max_length=100,
        help_text="trips whose id starts with it (hex, with or without dashes), with a stop whose address contains it, "
        "or (fleet staff only, on their fleets' trips) whose customer's name or email contains it (case-insensitive; "
        "at least 2 characters)",
    )

    class Meta:
        model = Trip
        fields = ("status", "fleet_id", "search")

    def search_trips(self, queryset, name, value):
        return selectors.trips_matching(trips=queryset, text=value, principal=require_principal(self.request))


class ShiftFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(help_text="only this fleet's")
    status = ChoiceFilter(choices=choices(Shift.Status), help_text="only shifts in this status")

    class Meta:
        model = Shift
        fields = ("fleet_id", "status")
