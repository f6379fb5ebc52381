"""Field helpers the billing tables share."""

from __future__ import annotations

from django.core.validators import RegexValidator

CURRENCY = RegexValidator(r"^([A-Z]{3}|PTS)$", "An ISO 4217 code, or PTS for loyalty points.")


def choices_of(enum_cls):
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in enum_cls]
