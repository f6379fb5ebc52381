"""Price lists: a tariff version with its default tax and components."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import ProtectedError, Q
from django.utils import timezone

from apps.billing import integrations
from apps.billing.contracts import ComponentKind, InvalidBillingData, TariffRetired, TaxRateInUse
from apps.billing.models import Tariff, TariffComponent, TaxRate
from apps.billing.models.tariffs import COMPONENT_MODELS
from logitrack.db import contexts


@contexts.atomic("billing")
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


# ---- tariffs and tax rates as the REST API writes them (the admin edits the same rows through its forms) ---------

NOT_OWN_TAX = "no such tax rate in the tariff's fleet"


def component_fields(kind: str) -> list[str]:
    """The fields of one component kind besides `label` and `tax` (its model's own columns)."""
    model = COMPONENT_MODELS[ComponentKind(kind)]
    return [f.name for f in model._meta.local_fields if not f.primary_key and not f.is_relation]


def _invalid(errors: dict[str, Any], message: str = "the tariff is not valid") -> InvalidBillingData:
    return InvalidBillingData(message, extra={"errors": errors})


def _fleet_tax(fleet_id: uuid.UUID, tax_id: uuid.UUID | None, field: str) -> TaxRate | None:
    if tax_id is None:
        return None
    tax = TaxRate.objects.filter(id=tax_id, fleet_id=fleet_id).first()
    if tax is None:  # another fleet's rate reads as one that does not exist
        raise _invalid({field: [NOT_OWN_TAX]})
    return tax


def _components(tariff: Tariff, given: list[dict[str, Any]]) -> list[TariffComponent]:
    rows: list[TariffComponent] = []
    errors: dict[str, Any] = {}
    for i, written in enumerate(given):
        spec = dict(written)
        kind = spec.pop("kind", None)
        if kind not in {k.value for k in COMPONENT_MODELS}:
            errors[f"components.{i}.kind"] = [f"unknown component type {str(kind)[:40]!r}"]
            continue
        label, tax_id = spec.pop("label", ""), spec.pop("tax_id", None)
        unknown = sorted(set(spec) - set(component_fields(kind)))
        if unknown:
            errors[f"components.{i}"] = [f"a {kind} has no field {', '.join(unknown)}"]
            continue
        if kind == ComponentKind.TIME_SURCHARGE and "weekdays" in spec:
            days = spec["weekdays"]
            if not isinstance(days, list) or any(type(d) is not int or not 0 <= d <= 6 for d in days):
                errors[f"components.{i}.weekdays"] = ["a list of weekdays, 0 = Monday … 6 = Sunday"]
                continue
            spec["weekdays"] = sorted(set(days))
        tax = _fleet_tax(tariff.fleet_id, tax_id, f"components.{i}.tax_id")
        rows.append(COMPONENT_MODELS[ComponentKind(kind)](tariff=tariff, position=i + 1, label=label, tax=tax, **spec))
    if errors:
        raise _invalid(errors)
    return rows


def _save(tariff: Tariff, components: list[TariffComponent]) -> Tariff:
    errors: dict[str, Any] = {}
    for where, row in (("", tariff), *((f"components.{i}.", c) for i, c in enumerate(components))):
        try:
            row.full_clean(exclude=["tariff", "default_tax"], validate_unique=False, validate_constraints=False)
        except DjangoValidationError as exc:
            errors.update({f"{where}{k}": v for k, v in exc.message_dict.items()})
    if tariff.valid_until is not None and tariff.valid_until <= tariff.valid_from:
        errors["valid_until"] = ["must be after valid_from"]
    if errors:
        raise _invalid(errors)
    tariff.save()
    for row in components:
        row.tariff = tariff
        row.save()
    return tariff


@contexts.atomic("billing")
def tariff_define(
    *,
    fleet_id: uuid.UUID,
    name: str,
    service: str,
    currency: str,
    default_tax_id: uuid.UUID,
    valid_from: dt.datetime,
    components: list[dict[str, Any]],
    vehicle_type: str = "",
    prices_include_tax: bool = True,
    valid_until: dt.datetime | None = None,
    quote_valid_minutes: int = 15,
    final_cap_bps: int | None = None,
) -> Tariff:
    """A tariff of a fleet with its components (`{"kind": "base_fare", "amount_minor": 350, ...}` in order), its
    default tax one of the fleet's rates. Everything is validated before anything is saved."""
    if currency != integrations.fleet_terms(fleet_id=fleet_id).currency:
        raise _invalid({"currency": ["a tariff is priced in its fleet's currency"]})
    tariff = Tariff(
        fleet_id=fleet_id,
        name=name,
        service=service,
        vehicle_type=vehicle_type,
        currency=currency,
        default_tax=_fleet_tax(fleet_id, default_tax_id, "default_tax_id"),
        prices_include_tax=prices_include_tax,
        valid_from=valid_from,
        valid_until=valid_until,
        quote_valid_minutes=quote_valid_minutes,
        final_cap_bps=final_cap_bps,
    )
    return _save(tariff, _components(tariff, components))


def _as_spec(component: TariffComponent) -> dict[str, Any]:
    real = component.get_real_instance()
    spec = {"kind": real.KIND.value, "label": real.label, "tax_id": real.tax_id}
    return spec | {name: getattr(real, name) for name in component_fields(real.KIND)}


@contexts.atomic("billing")
def tariff_new_version(*, tariff_id: uuid.UUID, valid_from: dt.datetime, **changes: Any) -> Tariff:
    """The next version of a tariff from `valid_from` (now or later): the current one ends there, the new one holds
    its figures with `changes` applied (`components` replaces the whole list). Quotes and fares keep pointing at
    the version they were priced with, so prices are never changed in place."""
    current = Tariff.objects.select_for_update().get(id=tariff_id)
    if valid_from < timezone.now() - dt.timedelta(minutes=1):
        raise _invalid({"valid_from": ["a new version starts now or later: past prices stay as they were"]})
    if valid_from <= current.valid_from:
        raise _invalid({"valid_from": ["must be after the current version's valid_from"]})
    if current.valid_until is not None and current.valid_until <= valid_from:
        raise TariffRetired("the tariff has ended before then; define a new one instead")
    components = changes.pop("components", None)
    if components is None:
        components = [_as_spec(c) for c in current.components.all()]
    values: dict[str, Any] = {
        "fleet_id": current.fleet_id,
        "name": current.name,
        "service": current.service,
        "vehicle_type": current.vehicle_type,
        "currency": current.currency,
        "default_tax_id": current.default_tax_id,
        "prices_include_tax": current.prices_include_tax,
        "valid_until": current.valid_until,
        "quote_valid_minutes": current.quote_valid_minutes,
        "final_cap_bps": current.final_cap_bps,
    }
    values.update(changes)
    current.valid_until = valid_from
    current.save(update_fields=["valid_until", "updated_at"])
    return tariff_define(valid_from=valid_from, components=components, **values)


@contexts.atomic("billing")
def tariff_retire(*, tariff_id: uuid.UUID, at: dt.datetime | None = None) -> Tariff:
    """The tariff prices nothing from `at` (now when not given) on; quotes already given keep their price."""
    tariff = Tariff.objects.select_for_update().get(id=tariff_id)
    at = at or timezone.now()
    if tariff.valid_until is not None and tariff.valid_until <= at:
        raise TariffRetired("the tariff has ended already")
    if at <= tariff.valid_from:
        raise _invalid({"at": ["must be after the tariff's valid_from"]})
    tariff.valid_until = at
    tariff.save(update_fields=["valid_until", "updated_at"])
    return tariff


def tax_rate_create(*, fleet_id: uuid.UUID, name: str, rate_bps: int) -> TaxRate:
    tax = TaxRate(fleet_id=fleet_id, name=name, rate_bps=rate_bps)
    try:
        tax.full_clean()
    except DjangoValidationError as exc:
        raise _invalid(exc.message_dict, "the tax rate is not valid") from None
    tax.save()
    return tax


@contexts.atomic("billing")
def tax_rate_update(*, tax_rate_id: uuid.UUID, **changes: Any) -> TaxRate:
    """A new name or rate; the tariffs charging it are touched so cached prices (`Tariff.pricing_components`,
    keyed by the tariff's `updated_at`) are priced with the new rate from now on."""
    tax = TaxRate.objects.select_for_update().get(id=tax_rate_id)
    for field, value in changes.items():
        setattr(tax, field, value)
    try:
        tax.full_clean()
    except DjangoValidationError as exc:
        raise _invalid(exc.message_dict, "the tax rate is not valid") from None
    tax.save()
    using = Q(default_tax=tax) | Q(components__tax=tax)
    Tariff.objects.filter(id__in=Tariff.objects.filter(using).values("id")).update(updated_at=timezone.now())
    return tax


def tax_rate_delete(*, tax_rate_id: uuid.UUID) -> None:
    try:
        TaxRate.objects.filter(id=tax_rate_id).delete()
    except ProtectedError:
        raise TaxRateInUse("tariffs charge this tax rate: change them first") from None
