"""Query parameters of dispatch's list endpoints, as FilterSets (so the OpenAPI schema documents them).

Routing jobs and plans take none beyond the page; a driver's trail takes its time window. Values are parsed as
the rest of the API parses them (DRF's fields), so a bad one is the same 400 body it always was.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework import serializers

from apps.dispatch.models import PositionPing

MAX_TRAIL = dt.timedelta(days=7)


class ApiDateTimeField(forms.Field):
    """A time with its UTC offset, parsed and refused exactly as DRF's DateTimeField does."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return serializers.DateTimeField().run_validation(value)
        except serializers.ValidationError as exc:
            raise forms.ValidationError([str(e) for e in exc.detail]) from None


class ApiDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = ApiDateTimeField


class TrailForm(forms.Form):
    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        data["end"] = data.get("end") or timezone.now()
        data["start"] = data.get("start") or data["end"] - dt.timedelta(hours=1)
        if not data["start"] < data["end"] or data["end"] - data["start"] > MAX_TRAIL:
            self.add_error("start", f"start must be before end, at most {MAX_TRAIL.days} days")
        return data


class TrailFilter(django_filters.FilterSet):
    """Where a driver went between `start` and `end` (default: the last hour), at most a week."""

    start = ApiDateTimeFilter(
        field_name="recorded_at", lookup_expr="gte", help_text="from (inclusive); default: an hour before `end`"
    )
    end = ApiDateTimeFilter(field_name="recorded_at", lookup_expr="lt", help_text="until (exclusive); default: now")

    class Meta:
        model = PositionPing
        fields = ("start", "end")
        form = TrailForm

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        window = self.form.cleaned_data  # the form filled in the defaults
        return queryset.filter(recorded_at__gte=window["start"], recorded_at__lt=window["end"])
