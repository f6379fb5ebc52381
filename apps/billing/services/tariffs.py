"""Price lists: a tariff version with its default tax and components."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction

from apps.billing import integrations
from apps.billing.contracts import ComponentKind, InvalidBillingData
from apps.billing.models import Tariff, TaxRate
from apps.billing.models.tariffs import COMPONENT_MODELS


@transaction.atomic
def tariff_create(
    *,
    fleet_id: uuid.UUID,
    name: str,
    service: str,
    currency: str,
    tax_name: str,
    tax_bps: int,
    valid_from: dt.datetime,
    components: list[tuple[str, dict[str, Any]]],
    vehicle_type: str = "",
    prices_include_tax: bool = True,
    final_cap_bps: int | None = None,
) -> Tariff:
    """A price list version with its default tax and components, in the order given (the admin's inlines do the
    same one row at a time). Every row is validated before anything is saved."""
    if currency != integrations.fleet_terms(fleet_id=fleet_id).currency:
        raise InvalidBillingData(
            "a tariff is priced in its fleet's currency", extra={"errors": {"currency": [currency]}}
        )
    unknown = sorted({kind for kind, _ in components} - set(COMPONENT_MODELS))
    if unknown:
        raise InvalidBillingData("unknown component type", extra={"errors": {"components": unknown}})
    tax = TaxRate(fleet_id=fleet_id, name=tax_name, rate_bps=tax_bps)
    tariff = Tariff(
        fleet_id=fleet_id,
        name=name,
        service=service,
        vehicle_type=vehicle_type,
        currency=currency,
        default_tax=tax,
        prices_include_tax=prices_include_tax,
        final_cap_bps=final_cap_bps,
        valid_from=valid_from,
    )
    rows = [
        COMPONENT_MODELS[ComponentKind(kind)](tariff=tariff, position=i, **fields)
        for i, (kind, fields) in enumerate(components, 1)
    ]
    try:
        for row in (tax, tariff, *rows):
            row.full_clean(exclude=["tariff", "default_tax"], validate_unique=False, validate_constraints=False)
    except DjangoValidationError as exc:
        raise InvalidBillingData("the tariff is not valid", extra={"errors": exc.message_dict}) from None
    tax.save()
    tariff.default_tax = tax
    tariff.save()
    for row in rows:
        row.tariff = tariff
        row.save()
    return tariff
