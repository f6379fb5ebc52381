"""Field helpers the billing tables share."""

from __future__ import annotations

import re

from django.core.validators import RegexValidator

from logitrack.formatting import units

CURRENCY = RegexValidator(r"^([A-Z]{3}|PTS)$", "An ISO 4217 code, or PTS for loyalty points.")


def choices_of(enum_cls):
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in enum_cls]


_UUID = re.compile(r"\b([0-9a-f]{8})-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)


def short_ids(text: str) -> str:
    """Ids in a text (a journal memo) as the first eight characters people quote them by."""
    return _UUID.sub(r"\1", text)


def amount_text(amount_minor: int, currency: str) -> str:
    """An amount in a row's name: "13.24 EUR", never minor units (PTS: points, no decimals)."""
    if currency == "PTS":
        return f"{amount_minor} PTS"
    return f"{units(amount_minor, currency)} {currency}"
