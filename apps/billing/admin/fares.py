"""Tariffs with their polymorphic components inline, tax rates, quotes and fare records. Fleet managers see
only their own fleets' rows, and pick only their own fleets and tax rates."""

from django import forms
from django.contrib import admin
from polymorphic.admin import PolymorphicInlineSupportMixin, StackedPolymorphicInline
from polymorphic.formsets import BasePolymorphicInlineFormSet

from apps.billing import integrations
from apps.billing.admin.common import ReadOnly
from apps.billing.models import FareRecord, Quote, Tariff, TariffComponent, TaxRate
from apps.billing.models.tariffs import COMPONENT_MODELS
from logitrack.admin import FleetScopedAdmin, ScopedChoices


@admin.register(TaxRate)
class TaxRateAdmin(FleetScopedAdmin):
    list_display = ("name", "rate_bps", "fleet_id")
    search_fields = ("name",)
    foreign_ids = {"fleet_id": integrations.fleet_choices}


NOT_THE_TARIFFS_FLEET = "Pick a tax rate of the tariff's own fleet."


class ComponentFormSet(BasePolymorphicInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            tax = getattr(form, "cleaned_data", {}).get("tax")
            if tax is not None and tax.fleet_id != self.instance.fleet_id:
                form.add_error("tax", NOT_THE_TARIFFS_FLEET)


def _child_inline(component: type[TariffComponent]) -> type[StackedPolymorphicInline.Child]:
    """The inline of one component kind, named after its model (e.g. BaseFareInline)."""

    class Inline(ScopedChoices, StackedPolymorphicInline.Child):
        model = component

    Inline.__name__ = Inline.__qualname__ = f"{component.__name__}Inline"
    return Inline


class ComponentInline(StackedPolymorphicInline):
    """One form per component kind (contracts.ComponentKind; its model in models.tariffs.COMPONENT_MODELS)."""

    model = TariffComponent
    formset = ComponentFormSet
    child_inlines = [_child_inline(m) for m in COMPONENT_MODELS.values()]


class TariffForm(forms.ModelForm):
    def clean(self):
        data = super().clean()
        tax, fleet_id = data.get("default_tax"), data.get("fleet_id")
        if tax is not None and fleet_id is not None and tax.fleet_id != fleet_id:
            self.add_error("default_tax", NOT_THE_TARIFFS_FLEET)
        return data


@admin.register(Tariff)
class TariffAdmin(PolymorphicInlineSupportMixin, FleetScopedAdmin):
    list_display = (
        "name",
        "service",
        "vehicle_type",
        "currency",
        "valid_from",
        "valid_until",
        "prices_include_tax",
        "fleet_id",
    )
    list_filter = ("service", "vehicle_type", "prices_include_tax")
    search_fields = ("name",)
    inlines = [ComponentInline]
    form = TariffForm
    foreign_ids = {"fleet_id": integrations.fleet_choices}  # default_tax: TaxRateAdmin's rows (logitrack.admin)


@admin.register(Quote)
class QuoteAdmin(ReadOnly, FleetScopedAdmin):
    list_display = ("id", "fleet_id", "vehicle_type", "total_minor", "currency", "expires_at")


@admin.register(FareRecord)
class FareRecordAdmin(ReadOnly, FleetScopedAdmin):
    list_display = ("trip_id", "kind", "total_minor", "currency", "capped", "created_at")
    list_filter = ("kind", "capped")
    search_fields = ("trip_id",)
