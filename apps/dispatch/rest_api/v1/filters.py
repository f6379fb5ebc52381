"""Query parameters of dispatch's list endpoints, as FilterSets (so the OpenAPI schema documents them).

Routing jobs and plans take none beyond the page; a driver's trail takes its time window. Times are parsed as
the rest of the API parses them (logitrack.http.filters.DateTimeFilter: DRF's field), so a bad one is the same
400 body it always was.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils import timezone

from apps.dispatch.models import PositionPing
from logitrack.http.filters import DateTimeFilter

MAX_TRAIL = dt.timedelta(days=7)


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

    start = DateTimeFilter(
        field_name="recorded_at", lookup_expr="gte", help_text="from (inclusive); default: an hour before `end`"
    )
    end = DateTimeFilter(field_name="recorded_at", lookup_expr="lt", help_text="until (exclusive); default: now")

    class Meta:
        model = PositionPing
        fields = ("start", "end")
        form = TrailForm

    def filter_queryset(self, queryset: QuerySet) -> QuerySet:
        window = self.form.cleaned_data  # the form filled in the defaults
        return queryset.filter(recorded_at__gte=window["start"], recorded_at__lt=window["end"])
