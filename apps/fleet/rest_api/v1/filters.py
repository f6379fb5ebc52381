"""The query parameters of the fleet lists, as FilterSets (so the OpenAPI schema documents them).

Parameters keep the names and strictness they had: a value that is not valid, an empty one included, is a
400 naming the parameter (`{"errors": {"<name>": [...]}}`); an absent one filters nothing.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from apps.fleet.contracts import FleetStatus, VehicleStatus, VehicleType
from apps.fleet.models import VEHICLE_MODELS, Fleet, Vehicle

# ---- strict parameters (as the views' hand parsing was: `?x=` is a 400, not "no filter") ----------------


class _StrictUUIDField(forms.UUIDField):
    default_error_messages = {"invalid": "Must be a valid UUID."}

    def clean(self, value):
        if value is None:
            return None
        if value == "":
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().clean(value)


class _StrictChoiceField(forms.Field):
    def __init__(self, *, choices, **kwargs):
        self.allowed = {str(value) for value, _ in choices}
        super().__init__(**kwargs)

    def clean(self, value):
        if value is not None and value not in self.allowed:
            raise forms.ValidationError(f"must be one of {', '.join(sorted(self.allowed))}", code="invalid_choice")
        return value


class UUIDFilter(django_filters.UUIDFilter):
    field_class = _StrictUUIDField


class ChoiceFilter(django_filters.ChoiceFilter):
    field_class = _StrictChoiceField


class _StrictIntegerField(forms.IntegerField):
    default_error_messages = {"invalid": "A valid integer is required."}

    def clean(self, value):
        if value is None:
            return None
        if value == "":
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().clean(value)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):
    field_class = _StrictIntegerField


def _choices(enum) -> list[tuple[str, str]]:
    return [(member.value, member.value) for member in enum]


class FilteredList:
    """For a list APIView: `filterset_class` parses the query string (bad values are 400s) and documents it."""

    filter_backends = [DjangoFilterBackend]
    filterset_class: type[django_filters.FilterSet]

    def get_queryset(self):  # what the schema generator reads the model from; never evaluated
        return self.filterset_class._meta.model._default_manager.none()

    def filter_queryset(self, queryset):
        for backend in self.filter_backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset


# ---- the lists ------------------------------------------------------------------------------------------


class FleetFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=_choices(FleetStatus))
    search = django_filters.CharFilter(method="_search", help_text="in the name or legal name")

    class Meta:
        model = Fleet
        fields: list[str] = []

    def _search(self, queryset, name, value):
        return queryset.filter(Q(name__icontains=value) | Q(legal_name__icontains=value))


class VehicleFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(help_text="one of your fleets")
    status = ChoiceFilter(choices=_choices(VehicleStatus))
    type = ChoiceFilter(choices=_choices(VehicleType), method="_of_type")
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
