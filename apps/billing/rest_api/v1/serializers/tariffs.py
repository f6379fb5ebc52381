"""Billing REST serializers — Tariffs with their components, and tax rates. Amounts are integer minor units and
rates basis points, as everywhere in the API (`amount_minor: 350` is 3.50 EUR; `rate_bps: 1900` is 19 %)."""

from __future__ import annotations

from rest_framework import serializers

from apps.billing.contracts import ComponentKind, Service
from apps.billing.rest_api.v1.serializers.common import CURRENCY, MAX_MINOR
from apps.billing.services.tariffs import component_fields
from logitrack.http.serializers import StrictInputSerializer

KINDS = [k.value for k in ComponentKind]
SERVICES = [s.value for s in Service]
MAX_BPS = 10_000 * 100  # a surcharge or cap may exceed 100 %, never absurdly


def _amount(used_by: str) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=MAX_MINOR, required=False, help_text=used_by)


def _count(used_by: str) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=0, max_value=32_767, required=False, help_text=used_by)


class _ComponentFields(StrictInputSerializer):
    """One priced element; which fields apply depends on `kind` (a field the kind lacks is a 400)."""

    kind = serializers.ChoiceField(choices=KINDS)
    label = serializers.CharField(max_length=60, required=False, default="", allow_blank=True)  # type: ignore[assignment]  # a field named like Field.label
    tax_id = serializers.UUIDField(
        required=False, allow_null=True, help_text="one of the fleet's tax rates; empty: the tariff's default tax"
    )
    amount_minor = _amount("base_fare, minimum_fare, zone_surcharge, cancellation_fee")
    amount_minor_per_km = _amount("per_km")
    amount_minor_per_minute = _amount("per_minute, waiting_time")
    amount_minor_per_stop = _amount("per_stop")
    free_km = _count("per_km")
    free_minutes = _count("per_minute, cancellation_fee")
    free_stops = _count("per_stop")
    grace_minutes = _count("waiting_time")
    percent_bps = serializers.IntegerField(min_value=0, max_value=MAX_BPS, required=False, help_text="time_surcharge")
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        max_length=7,
        help_text="time_surcharge: 0 = Monday … 6 = Sunday; empty: every day",
    )
    center_lat = serializers.FloatField(min_value=-90, max_value=90, required=False, help_text="zone_surcharge")
    center_lng = serializers.FloatField(min_value=-180, max_value=180, required=False, help_text="zone_surcharge")
    radius_m = serializers.IntegerField(min_value=1, max_value=10**6, required=False, help_text="zone_surcharge")


class ComponentInput(_ComponentFields):
    starts = serializers.TimeField(required=False, allow_null=True, help_text="time_surcharge: local time")
    ends = serializers.TimeField(required=False, allow_null=True, help_text="time_surcharge: local time")

    def validate(self, attrs):
        allowed = {"kind", "label", "tax_id", *component_fields(attrs["kind"])}
        wrong = sorted(set(attrs) - allowed)
        if wrong:
            raise serializers.ValidationError({name: [f"a {attrs['kind']} has no {name}"] for name in wrong})
        return attrs


class ComponentOutput(_ComponentFields):
    """A component as stored: its id, `kind`, `label`, `tax_id` and the fields of its kind only."""

    id = serializers.UUIDField(read_only=True)
    starts = serializers.CharField(allow_null=True, required=False, help_text="time_surcharge: local time, HH:MM")
    ends = serializers.CharField(allow_null=True, required=False, help_text="time_surcharge: local time, HH:MM")

    def to_representation(self, instance):
        real = instance.get_real_instance()
        fields = {name: getattr(real, name) for name in component_fields(real.KIND)}
        for name in ("starts", "ends"):
            if fields.get(name) is not None:
                fields[name] = fields[name].isoformat(timespec="minutes" if not fields[name].second else "seconds")
        tax_id = str(real.tax_id) if real.tax_id else None
        return {"id": str(real.id), "kind": real.KIND.value, "label": real.label, "tax_id": tax_id, **fields}


class TariffOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    name = serializers.CharField()
    service = serializers.ChoiceField(choices=SERVICES)
    vehicle_type = serializers.CharField()
    currency = serializers.CharField()
    default_tax_id = serializers.UUIDField()
    prices_include_tax = serializers.BooleanField()
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField(allow_null=True)
    quote_valid_minutes = serializers.IntegerField()
    final_cap_bps = serializers.IntegerField(allow_null=True)
    components = ComponentOutput(many=True, source="components.all")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class _TariffFigures(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    service = serializers.ChoiceField(choices=SERVICES, default=Service.DELIVERY.value)
    vehicle_type = serializers.CharField(max_length=20, required=False, default="", allow_blank=True)
    default_tax_id = serializers.UUIDField(help_text="one of the fleet's tax rates")
    prices_include_tax = serializers.BooleanField(required=False, default=True)
    valid_until = serializers.DateTimeField(required=False, allow_null=True, default=None)
    quote_valid_minutes = serializers.IntegerField(min_value=1, max_value=32_767, required=False, default=15)
    final_cap_bps = serializers.IntegerField(min_value=0, max_value=MAX_BPS, required=False, allow_null=True)
    components = serializers.ListField(child=ComponentInput(), max_length=50)


class TariffCreateInput(_TariffFigures):
    fleet_id = serializers.UUIDField()
    currency = CURRENCY
    valid_from = serializers.DateTimeField()


class TariffVersionInput(_TariffFigures):
    """What changes from the new version on; what is left out stays as it was (`components` replaces the list)."""

    valid_from = serializers.DateTimeField(required=False, help_text="now or later; default: now")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            if field.default is not serializers.empty:
                field.default = serializers.empty


class TariffRetireInput(StrictInputSerializer):
    at = serializers.DateTimeField(required=False, help_text="default: now")


class TaxRateOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    name = serializers.CharField()
    rate_bps = serializers.IntegerField(help_text="basis points: 1900 = 19 %")
    created_at = serializers.DateTimeField()


class TaxRateInput(StrictInputSerializer):
    fleet_id = serializers.UUIDField()
    name = serializers.CharField(max_length=60)
    rate_bps = serializers.IntegerField(min_value=0, max_value=10_000, help_text="basis points: 1900 = 19 %")


class TaxRateUpdateInput(StrictInputSerializer):
    name = serializers.CharField(max_length=60, required=False)
    rate_bps = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
