"""A date-range filter for admin lists: presets (today, last 7 / 30 days, this and last month) and a from/to form.

Days are read on the admin's `filter_time_zone(request)` clock (`Readable` gives the fleet's when the user
manages one fleet), so "today" on a Berlin fleet's trips starts at midnight in Berlin. `to` is inclusive.
Use it as `list_filter = (("created_at", DateRangeFilter), ...)`; a date that does not parse is the list's
usual "invalid filter" message, never an error page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qsl

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import models
from django.utils import timezone


def _day(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise IncorrectLookupParameters(f"{text[:20]!r} is not a date (YYYY-MM-DD)") from None


class DateRangeFilter(admin.FieldListFilter):
    template = "admin/logitrack/date_range_filter.html"

    def __init__(self, field: Any, request: Any, params: Any, model: Any, model_admin: Any, field_path: str) -> None:
        self.from_key, self.to_key = f"{field_path}__from", f"{field_path}__to"
        self.tz = getattr(model_admin, "filter_time_zone", lambda _r: timezone.get_current_timezone())(request)
        self.today = timezone.now().astimezone(self.tz).date()
        super().__init__(field, request, params, model, model_admin, field_path)
        # the base class moved our two parameters from `params` into `used_parameters`
        self.start = _day(self._param(self.from_key))
        self.end = _day(self._param(self.to_key))
        if self.start and self.end and self.end < self.start:
            raise IncorrectLookupParameters("the range ends before it starts")

    def _param(self, key: str) -> str | None:
        value: Any = self.used_parameters.get(key)
        if isinstance(value, list | tuple):
            value = value[-1] if value else None
        return str(value) if value else None

    def expected_parameters(self) -> list[str | None]:
        return [self.from_key, self.to_key]

    def has_output(self) -> bool:
        return True

    def _bound(self, day: dt.date) -> object:
        if isinstance(self.field, models.DateTimeField):
            return dt.datetime.combine(day, dt.time.min, tzinfo=self.tz)
        return day

    def queryset(self, request: Any, queryset: Any) -> Any:
        if self.start:
            queryset = queryset.filter(**{f"{self.field_path}__gte": self._bound(self.start)})
        if self.end:
            queryset = queryset.filter(**{f"{self.field_path}__lt": self._bound(self.end + dt.timedelta(days=1))})
        return queryset

    def presets(self) -> list[tuple[str, dt.date | None, dt.date | None]]:
        today = self.today
        first = today.replace(day=1)
        last_month_end = first - dt.timedelta(days=1)
        return [
            ("Any date", None, None),
            ("Today", today, today),
            ("Last 7 days", today - dt.timedelta(days=6), today),
            ("Last 30 days", today - dt.timedelta(days=29), today),
            ("This month", first, today),
            ("Last month", last_month_end.replace(day=1), last_month_end),
        ]

    def choices(self, changelist: Any) -> Any:
        # the form keeps the list's other filters, its search and its order as hidden fields
        keep = changelist.get_query_string({}, [self.from_key, self.to_key, "p"]).lstrip("?")
        self.hidden = parse_qsl(keep)
        for title, start, end in self.presets():
            params = {k: v.isoformat() for k, v in ((self.from_key, start), (self.to_key, end)) if v}
            yield {
                "selected": (start, end) == (self.start, self.end),
                "query_string": changelist.get_query_string(params, [self.from_key, self.to_key, "p"]),
                "display": title,
            }

    @property
    def start_text(self) -> str:
        return self.start.isoformat() if self.start else ""

    @property
    def end_text(self) -> str:
        return self.end.isoformat() if self.end else ""
