"""Query parameters of list endpoints as django-filter FilterSets: strict filters, and `FilteredList` for APIViews.

django-filter ignores a value it cannot parse; these filters refuse it. A parameter that is given but not valid,
an empty one included (`?status=`), is a 400 `validation_failed` naming it (`{"errors": {"<name>": [message]}}`);
an absent one filters nothing. The messages are the API's usual ones (DRF's for ids, integers and booleans,
`must be one of ...` for choices); a choice's message can be given where a list has always said something else.
An app's `rest_api/v1/filters.py` then holds only its FilterSets: which parameters, and how each narrows rows.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

import django_filters
from django import forms
from django.db.models import Model, QuerySet
from django.http import QueryDict
from django_filters.constants import EMPTY_VALUES
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

M = TypeVar("M", bound=Model)

UUID_INVALID = "Must be a valid UUID."
INTEGER_INVALID = "A valid integer is required."
BOOLEAN_INVALID = "Must be a valid boolean."
TEXT_BLANK = "This field may not be blank."
DATETIME_EMPTY = "Datetime has wrong format: give a time with its UTC offset, e.g. 2026-12-06T09:30:00+01:00."


def one_of(values: Iterable[str]) -> str:
    """The message for a value not among `values`, in the order given (sort them for a stable message)."""
    return f"must be one of {', '.join(values)}"


def choices(enum: type[Enum]) -> list[tuple[str, str]]:
    """An enum's values as a ChoiceFilter's choices (each labelled by its value)."""
    return [(str(member.value), str(member.value)) for member in enum]


# ---- fields: a value given empty is refused like any bad value, not taken as "no filter" -------------------------


class _GivenField(forms.Field):
    """Refuses a value given empty with the field's own message for a bad value (`empty_error`)."""

    empty_error = "invalid"

    def clean(self, value: Any) -> Any:
        if value == "":
            raise forms.ValidationError(
                self.error_messages[self.empty_error], code=self.empty_error, params={"value": value}
            )
        return super().clean(value)


class _UUIDField(_GivenField, forms.UUIDField):
    default_error_messages = {"invalid": UUID_INVALID}


class _ChoiceField(_GivenField, forms.ChoiceField):
    empty_error = "invalid_choice"


class _IntegerField(_GivenField, forms.IntegerField):
    default_error_messages = {"invalid": INTEGER_INVALID}


class _TextField(forms.CharField):
    """Free text, stripped; given empty or blank it is refused (`min_length`, `max_length` as Django's)."""

    def clean(self, value: Any) -> Any:
        if value is not None and not str(value).strip():
            raise forms.ValidationError(TEXT_BLANK, code="blank")
        return super().clean(value)


class _BooleanField(forms.Field):
    """The lower-case spellings of DRF's BooleanField (`true`, `false`, `1`, `0`, `yes`, `no`, ...), compared as
    given; anything else (`True`, empty) is refused."""

    def clean(self, value: Any) -> bool | None:
        if value is None:
            return None
        if value in serializers.BooleanField.TRUE_VALUES:
            return True
        if value in serializers.BooleanField.FALSE_VALUES:
            return False
        raise forms.ValidationError(BOOLEAN_INVALID, code="invalid")


class _DateTimeField(forms.Field):
    """A time with its UTC offset, parsed and refused exactly as DRF's DateTimeField does. Empty means absent
    (the FilterSet's default applies): the one lenient field here, as the lists that take times always were."""

    def to_python(self, value: Any) -> Any:
        if value in self.empty_values:
            return None
        try:
            return serializers.DateTimeField().run_validation(value)
        except serializers.ValidationError as exc:
            raise forms.ValidationError([str(e) for e in exc.detail]) from None


class _GivenDateTimeField(_DateTimeField):
    """As `_DateTimeField`, but a time given empty is refused: for lists that never took empty times."""

    def clean(self, value: Any) -> Any:
        if value == "":
            raise forms.ValidationError(DATETIME_EMPTY, code="invalid")
        return super().clean(value)


# ---- filters (django-filter ships no types, hence the ignores) ------------------------------------------------------


class UUIDFilter(django_filters.UUIDFilter):  # type: ignore[misc]
    """An id: `Must be a valid UUID.` when it is not one. Surrounding spaces are stripped unless `strip=False`."""

    field_class = _UUIDField


class ChoiceFilter(django_filters.ChoiceFilter):  # type: ignore[misc]
    """One of `choices`; anything else is refused with `message` (default: `must be one of <sorted values>`)."""

    field_class = _ChoiceField

    def __init__(self, *, choices: Sequence[tuple[Any, Any]], message: str | None = None, **kwargs: Any) -> None:
        if message is None:
            message = one_of(sorted(str(value) for value, _ in choices))
        super().__init__(choices=choices, error_messages={"invalid_choice": message}, **kwargs)


@extend_schema_field(OpenApiTypes.INT)
class IntegerFilter(django_filters.NumberFilter):  # type: ignore[misc]
    """A whole number (`min_value`, `max_value` as Django's IntegerField), documented as an integer."""

    field_class = _IntegerField


class TextFilter(django_filters.CharFilter):  # type: ignore[misc]
    """Free text (surrounding spaces stripped): refused blank, or shorter than `min_length` / longer than
    `max_length` with Django's messages; how it narrows rows is the FilterSet's `method`."""

    field_class = _TextField


class BooleanFilter(django_filters.BooleanFilter):  # type: ignore[misc]
    field_class = _BooleanField


class DateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = _DateTimeField


class GivenDateTimeFilter(django_filters.IsoDateTimeFilter):  # type: ignore[misc]
    field_class = _GivenDateTimeField


# ---- a FilterSet on a plain APIView -----------------------------------------------------------------------------
# (No docstring on the mixin: drf-spectacular would take it as the description of every view without one.)


if TYPE_CHECKING:  # a mixin for APIViews: typed as one, so `self.request` is DRF's Request
    from rest_framework.views import APIView as _ListView
else:
    _ListView = object


class FilteredList(_ListView):
    # For a list APIView whose rows come from a selector: `filterset_class` parses the query string (a bad value
    # is a 400 naming it) and, through `filter_backends` and `get_queryset`'s model, drf-spectacular documents it.
    # `filter_queryset(rows)` narrows the rows; `query_filters()` validates first, for a view that needs a value
    # (`.form.cleaned_data`) before it asks for rows, or that refuses bad parameters whoever asks.

    filter_backends: ClassVar[Sequence[Any]] = [DjangoFilterBackend]
    filterset_class: ClassVar[Any]  # a django_filters.FilterSet subclass

    def get_queryset(self) -> QuerySet[Any]:
        """No rows, only the model (the schema and the backend ask for it); the rows come from selectors."""
        model: type[Model] = self.filterset_class._meta.model
        return model._default_manager.none()

    def filter_queryset(self, queryset: QuerySet[M]) -> QuerySet[M]:
        if list(self.filter_backends) == [DjangoFilterBackend] and not self._asks_a_filter():
            return queryset  # none of its parameters given: the FilterSet would narrow nothing (unasked_narrow_nothing)
        for backend in self.filter_backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        return queryset

    def _asks_a_filter(self) -> bool:
        params = self.request.query_params
        return not unasked_narrow_nothing(self.filterset_class) or any(
            name in params for name in self.filterset_class.base_filters
        )

    def query_filters(self) -> Any:
        """The request's parameters through `filterset_class`, validated: a FilterSet whose `form.cleaned_data`
        holds the values and whose `filter_queryset(rows)` narrows rows."""
        found = self.filterset_class(self.request.query_params, queryset=self.get_queryset(), request=self.request)
        if not found.is_valid():
            raise translate_validation(found.errors)
        return found


@functools.cache
def unasked_narrow_nothing(filterset_class: Any) -> bool:
    """Whether a request that gives none of the FilterSet's parameters gets its rows as they are: every filter then
    cleans to an empty value, which django-filter's filters and methods skip, and the FilterSet adds no narrowing
    of its own. Then a list does not build the FilterSet's form per request (a fifth of a short list's CPU)."""
    if filterset_class.filter_queryset is not django_filters.FilterSet.filter_queryset:
        return False
    if filterset_class.__init__ is not django_filters.FilterSet.__init__:
        return False
    unasked = filterset_class(QueryDict(), queryset=filterset_class._meta.model._default_manager.none())
    return unasked.is_valid() and all(value in EMPTY_VALUES for value in unasked.form.cleaned_data.values())
