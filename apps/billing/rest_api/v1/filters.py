"""Query parameters of billing's list endpoints, as FilterSets, so the OpenAPI schema documents them.

Names, validation and 400 bodies are those the views checked by hand before: an unknown choice or a malformed id is
`400 validation_failed` naming the parameter, and a parameter given empty is refused like any other bad value
(absent means "no filter"). The rows come from the visibility selectors; a FilterSet only narrows them.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import QuerySet
from django_filters.fields import ChoiceField
from django_filters.utils import translate_validation

from apps.billing.models import Invoice, Payout, TopUp

UUID_INVALID = "Must be a valid UUID."


class _GivenChoiceField(ChoiceField):
    def clean(self, value):
        if value == "":  # `?status=`: a bad value, as before, not "no filter"
            raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return super().clean(value)


class _GivenUUIDField(forms.UUIDField):
    def clean(self, value):
        if value == "":
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().clean(value)


class ChoiceFilter(django_filters.ChoiceFilter):
    """One of `choices`; anything else (empty too) is a 400 saying `message`."""

    field_class = _GivenChoiceField

    def __init__(self, *, choices, message: str, **kwargs):
        super().__init__(choices=choices, error_messages={"invalid_choice": message}, **kwargs)


class UUIDFilter(django_filters.UUIDFilter):
    field_class = _GivenUUIDField

    def __init__(self, **kwargs):
        super().__init__(error_messages={"invalid": UUID_INVALID}, **kwargs)


def one_of(values) -> str:
    return f"must be one of {', '.join(values)}"


def valid(filterset_class: type[django_filters.FilterSet], request) -> django_filters.FilterSet:
    """The request's query parameters through `filterset_class`, checked before anything is looked up (a bad
    parameter is a 400 whoever asks); `.filter_queryset(rows)` then narrows the rows a selector gave."""
    found = filterset_class(request.query_params, queryset=filterset_class._meta.model.objects.none(), request=request)
    if not found.is_valid():
        raise translate_validation(found.errors)
    return found


class PayoutFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=Payout.Status.choices, message=one_of(Payout.Status.values))
    fleet_id = UUIDFilter(
        method="_as_driver_in",
        help_text="which fleet, when you drive for several",  # managers see their fleets' payouts whatever it says
    )

    class Meta:
        model = Payout
        fields = ["status", "fleet_id"]

    def _as_driver_in(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # it picks whose payouts a driver sees (selectors.payouts_visible), it narrows nothing


class TopUpFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=TopUp.Status.choices, message=one_of(sorted(TopUp.Status.values)))

    class Meta:
        model = TopUp
        fields = ["status"]


class InvoiceFilter(django_filters.FilterSet):
    kind = ChoiceFilter(choices=Invoice.Kind.choices, message="must be invoice, receipt or credit_note")
    trip_id = UUIDFilter(
        help_text="documents of one trip: its receipt and credit note (a monthly invoice names no trip)",
    )

    class Meta:
        model = Invoice
        fields = ["kind", "trip_id"]
