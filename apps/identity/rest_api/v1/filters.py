"""Query parameters of identity's list endpoints, as django-filter FilterSets (so the OpenAPI schema documents
them). A bad value is a 400 `validation_failed` naming the parameter, with the messages the endpoints have always
given; a parameter given empty is a bad value too, not "no filter"."""

from __future__ import annotations

import django_filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend

from apps.identity.contracts import FleetRole
from apps.identity.models import Invitation, Membership


class _UUIDField(forms.UUIDField):
    default_error_messages = {"invalid": "Must be a valid UUID."}

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("strip", False)  # as DRF's UUIDField: surrounding spaces make a bad value
        super().__init__(*args, **kwargs)

    def clean(self, value):
        if value == "":
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().clean(value)


class _ChoiceField(forms.ChoiceField):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = sorted(str(value) for value, _ in self.choices)
        self.error_messages["invalid_choice"] = f"must be one of {', '.join(allowed)}"

    def clean(self, value):
        if value == "":
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().clean(value)


class UUIDFilter(django_filters.UUIDFilter):
    field_class = _UUIDField


class ChoiceFilter(django_filters.ChoiceFilter):
    field_class = _ChoiceField


FLEET_ROLES = [(role.value, role.value) for role in FleetRole]


class MembershipFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(field_name="fleet_id", label="only this fleet")
    role = ChoiceFilter(field_name="role", choices=FLEET_ROLES, label="only this role")

    class Meta:
        model = Membership
        fields = ("fleet_id", "role")


class InvitationFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(field_name="fleet_id", label="only this fleet")

    class Meta:
        model = Invitation
        fields = ("fleet_id",)


# For an APIView's list: its query parameters come from `filterset_class`, so drf-spectacular documents them (its
# django-filter extension reads `filter_backends` and the filterset's model) and `filtered` applies them to the rows
# a selector gives, refusing a bad value with a 400. (No docstring: the schema would take it as the views'.)
class FilteredList:
    filter_backends = [DjangoFilterBackend]
    filterset_class: type[django_filters.FilterSet]

    def get_queryset(self):
        """No rows, only the model (the schema and the backend ask for it); rows come from identity's selectors."""
        return self.filterset_class._meta.model._default_manager.none()

    def filtered(self, request, queryset):
        return DjangoFilterBackend().filter_queryset(request, queryset, self)
