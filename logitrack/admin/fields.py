"""Form fields that let a manager type what they mean: amounts in currency units (stored as integer minor units),
percentages (stored as basis points) and weekdays as checkboxes (stored as a list of 0 = Monday … 6 = Sunday).

Nothing is rounded: an amount finer than the currency's minor unit, or a percentage finer than a basis point, is a
form error, never silently changed.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from babel.dates import get_day_names
from django import forms

from logitrack import formatting
from logitrack.types import currency_exponent


class UnitsField(forms.DecimalField):
    """Minor units on the model, currency units in the form: 1324 is shown and typed as 13.24 (EUR)."""

    def __init__(self, *, currency: str = "EUR", **kwargs: Any) -> None:
        self.currency = currency
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault(
            "widget", forms.NumberInput(attrs={"step": str(Decimal(1).scaleb(-currency_exponent(currency)))})
        )
        super().__init__(decimal_places=currency_exponent(currency), max_digits=15, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return formatting.units(value, self.currency)
        return value

    def clean(self, value: Any) -> int | None:
        amount = super().clean(value)
        return None if amount is None else formatting.minor(amount, self.currency)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return bool(self.clean(data) != initial)
        except forms.ValidationError:
            return True


class PercentField(forms.DecimalField):
    """Basis points on the model, a percentage in the form: 1900 is shown and typed as 19 (%)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", Decimal(0))
        kwargs.setdefault("widget", forms.NumberInput(attrs={"step": "0.01"}))
        super().__init__(decimal_places=2, max_digits=7, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return Decimal(value).scaleb(-2).normalize()
        return value

    def clean(self, value: Any) -> int | None:
        percent = super().clean(value)
        return None if percent is None else int(percent.scaleb(2))

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return bool(self.clean(data) != initial)
        except forms.ValidationError:
            return True


def weekday_choices(locale: str = formatting.DEFAULT_LOCALE) -> list[tuple[int, str]]:
    names = get_day_names("wide", locale=locale)  # CLDR: 0 = Monday
    return [(day, str(names[day])) for day in range(7)]


class WeekdaysField(forms.TypedMultipleChoiceField):
    """A list of weekdays (0 = Monday) as seven checkboxes; none ticked means what the model says (often "every
    day")."""

    def __init__(self, *, locale: str = formatting.DEFAULT_LOCALE, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(choices=weekday_choices(locale), coerce=int, widget=forms.CheckboxSelectMultiple, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return [str(day) for day in value] if isinstance(value, list | tuple) else value

    def clean(self, value: Any) -> list[int]:
        return sorted(set(super().clean(value) or []))
