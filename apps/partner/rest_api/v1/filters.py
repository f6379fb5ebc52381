"""The query parameters of the partner lists, as FilterSets (so the OpenAPI schema documents them).

Parameters keep the names and strictness they had: a value that is not valid, an empty one included, is a
400 naming the parameter (`{"errors": {"<name>": [...]}}`); an absent one filters nothing.
"""

from __future__ import annotations

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import serializers

from apps.partner.contracts import ComplianceStatus, DutyStatus, KycStatus
from apps.partner.models import DriverProfile, KycDocument

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


class _StrictBooleanField(forms.Field):
    def clean(self, value):
        if value is None:
            return None
        if value in serializers.BooleanField.TRUE_VALUES:
            return True
        if value in serializers.BooleanField.FALSE_VALUES:
            return False
        raise forms.ValidationError("Must be a valid boolean.", code="invalid")


class UUIDFilter(django_filters.UUIDFilter):
    field_class = _StrictUUIDField


class ChoiceFilter(django_filters.ChoiceFilter):
    field_class = _StrictChoiceField


class BooleanFilter(django_filters.BooleanFilter):
    field_class = _StrictBooleanField


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


class DriverFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(help_text="one of your fleets")
    compliance_status = ChoiceFilter(choices=_choices(ComplianceStatus))
    duty_status = ChoiceFilter(choices=_choices(DutyStatus))
    search = django_filters.CharFilter(field_name="display_name", lookup_expr="icontains", help_text="in the name")
    include_inactive = BooleanFilter(method="_inactive_too", help_text="also list deactivated drivers")

    class Meta:
        model = DriverProfile
        fields: list[str] = []

    def _inactive_too(self, queryset, name, value):
        return queryset  # applied in filter_queryset: without it only active drivers are listed

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset if self.form.cleaned_data.get("include_inactive") else queryset.filter(active=True)


class DocumentFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(field_name="driver__fleet_id", help_text="one of your fleets")
    status = ChoiceFilter(choices=_choices(KycStatus), help_text="`submitted` (the review queue) unless given")

    class Meta:
        model = KycDocument
        fields: list[str] = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset if self.form.cleaned_data.get("status") else queryset.filter(status=KycStatus.SUBMITTED)
