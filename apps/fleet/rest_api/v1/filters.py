"""The query parameters of the fleet lists, as FilterSets (so the OpenAPI schema documents them).

Parameters keep the names and strictness they had (the strict filters of logitrack.http.filters): a value that
is not valid, an empty one included, is a 400 naming the parameter; an absent one filters nothing.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django.db.models import Q
from django.utils import timezone
from drf_spectacular.utils import extend_schema_field

from apps.fleet.contracts import FleetStatus, VehicleStatus, VehicleType
from apps.fleet.models import VEHICLE_MODELS, Fleet, Vehicle
from logitrack.http.filters import ChoiceFilter, IntegerFilter, UUIDFilter, choices


class FleetFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=choices(FleetStatus))
    search = django_filters.CharFilter(method="_search", help_text="in the name or legal name")

    class Meta:
        model = Fleet
        fields: list[str] = []

    def _search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(legal_name__icontains=value))


class VehicleFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(help_text="one of your fleets")
    status = ChoiceFilter(choices=choices(VehicleStatus))
    type = ChoiceFilter(choices=choices(VehicleType), method="_of_type")
    search = django_filters.CharFilter(method="_search", help_text="in the registration, make or model")
    documents_expiring_within = extend_schema_field(
        {"type": "integer", "minimum": 0, "maximum": 3650, "description": "days: a document expires within them"}
    )(IntegerFilter(method="_documents_expiring", min_value=0, max_value=3650))

    class Meta:
        model = Vehicle
        fields: list[str] = []

    def _of_type(self, queryset, name, value):
        return queryset.instance_of(VEHICLE_MODELS[value])

    def _search(self, queryset, name, value):
        return queryset.filter(
            Q(registration__icontains=value.replace(" ", "")) | Q(make__icontains=value) | Q(model__icontains=value)
        )

    def _documents_expiring(self, queryset, name, value):
        horizon = timezone.localdate() + dt.timedelta(days=value)
        return queryset.filter(documents__expires_on__lte=horizon).distinct()
