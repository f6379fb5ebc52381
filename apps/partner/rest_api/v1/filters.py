"""The query parameters of the partner lists, as FilterSets (so the OpenAPI schema documents them).

Parameters keep the names and strictness they had (the strict filters of logitrack.http.filters): a value that
is not valid, an empty one included, is a 400 naming the parameter; an absent one filters nothing.
"""

from __future__ import annotations

import django_filters

from apps.partner.contracts import ComplianceStatus, DutyStatus, KycStatus
from apps.partner.models import DriverProfile, KycDocument
from logitrack.http.filters import BooleanFilter, ChoiceFilter, UUIDFilter, choices


class DriverFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(help_text="one of your fleets")
    compliance_status = ChoiceFilter(choices=choices(ComplianceStatus))
    duty_status = ChoiceFilter(choices=choices(DutyStatus))
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
    status = ChoiceFilter(choices=choices(KycStatus), help_text="`submitted` (the review queue) unless given")

    class Meta:
        model = KycDocument
        fields: list[str] = []

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        return queryset if self.form.cleaned_data.get("status") else queryset.filter(status=KycStatus.SUBMITTED)
