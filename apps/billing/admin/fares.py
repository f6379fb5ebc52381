"""Tariffs with their polymorphic components inline, tax rates, quotes and fare records. Fleet managers see
only their own fleets' rows, and pick only their own fleets and tax rates. Amounts are typed in currency units and
shown in the fleet's locale, rates in percent, weekdays as checkboxes; fleets, drivers and customers by name."""

from __future__ import annotations

from csp.decorators import csp_replace
from django import forms
from django.contrib import admin
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from polymorphic.admin import PolymorphicInlineSupportMixin, StackedPolymorphicInline
from polymorphic.formsets import BasePolymorphicInlineFormSet

from apps.billing import integrations
from apps.billing.admin.common import ReadOnly, trip_link
from apps.billing.admin.common import trip_reference as short_reference
from apps.billing.models import (
    BaseFare,
    CancellationFee,
    FareRecord,
    MinimumFare,
    PerKm,
    PerMinute,
    PerStop,
    Quote,
    Tariff,
    TariffComponent,
    TaxRate,
    TimeSurcharge,
    WaitingTime,
    ZoneSurcharge,
)
from apps.billing.models.tariffs import COMPONENT_MODELS
from logitrack import formatting
from logitrack.admin import FleetScopedAdmin, ScopedChoices, managed_fleets
from logitrack.admin.export import Exportable
from logitrack.admin.fields import PercentField, UnitsField, WeekdaysField
from logitrack.admin.filters import DateRangeFilter
from logitrack.admin.readable import Readable


class BillingReadable(Readable):
    """Billing's rows in their fleet's locale and clock, with the fleet by name."""

    localities = staticmethod(integrations.fleet_localities)
    named_ids = {"fleet_id": integrations.fleet_names}


def _label(field_name: str, verbose: str) -> str:
    """ "amount minor per km" -> "Amount per km"; "final cap bps" -> "Final cap"."""
    words = [w for w in verbose.split() if w not in ("minor", "bps")]
    return " ".join(words).capitalize()


def units_or_percent(db_field, *, currency: str, **kwargs) -> forms.Field | None:
    """The form field a person types a billing amount or rate in; None for any other field."""
    name = db_field.name
    common = {"required": not db_field.blank, "help_text": kwargs.get("help_text", "")}
    if name.endswith("_minor") or "_minor_" in name:
        return UnitsField(currency=currency, label=f"{_label(name, str(db_field.verbose_name))} ({currency})", **common)
    if name.endswith("_bps"):
        return PercentField(label=f"{_label(name, str(db_field.verbose_name))} (%)", **common)
    return None


# ---- tax rates ----------------------------------------------------------------------------------------------------


class TaxRateForm(forms.ModelForm):
    rate_bps = PercentField(label="Rate (%)", max_value=100, help_text="e.g. 19 or 7.5")

    class Meta:
        model = TaxRate
        fields = ("fleet_id", "name", "rate_bps")


@admin.register(TaxRate)
class TaxRateAdmin(BillingReadable, FleetScopedAdmin):
    form = TaxRateForm
    percents = ("rate_bps",)
    list_display = ("name", "rate_bps", "fleet_id")
    search_fields = ("name",)
    foreign_ids = {"fleet_id": integrations.fleet_choices}


# ---- tariffs ------------------------------------------------------------------------------------------------------

NOT_THE_TARIFFS_FLEET = "Pick a tax rate of the tariff's own fleet."


class ComponentFormSet(BasePolymorphicInlineFormSet):
    def clean(self):
        super().clean()
        for form in self.forms:
            tax = getattr(form, "cleaned_data", {}).get("tax")
            if tax is not None and tax.fleet_id != self.instance.fleet_id:
                form.add_error("tax", NOT_THE_TARIFFS_FLEET)


def tariff_currency(request, tariff: Tariff | None) -> str:
    """The currency a tariff's amounts are typed in: its own; on a new one the currency typed beside them, else the
    manager's fleet's (only the number of decimals depends on it)."""
    if tariff is not None and tariff.currency:
        return tariff.currency
    typed = (request.POST.get("currency") or "").strip().upper()
    if len(typed) == 3 and typed.isalpha():
        return typed
    fleets = managed_fleets(request)
    if fleets:
        found = integrations.fleet_localities(fleet_ids=sorted(fleets, key=str)[:1])
        for place in found.values():
            return place.currency
    return "EUR"


def _child_inline(component: type[TariffComponent]) -> type[StackedPolymorphicInline.Child]:
    """The inline of one component kind, named after its model (e.g. BaseFareInline)."""

    class Inline(ScopedChoices, StackedPolymorphicInline.Child):
        model = component
        currency = "EUR"

        def get_formset(self, request, obj=None, **kwargs):
            self.currency = tariff_currency(request, obj)  # inline instances are made per request
            return super().get_formset(request, obj, **kwargs)

        def formfield_for_dbfield(self, db_field, request, **kwargs):
            if db_field.name == "weekdays":
                return WeekdaysField(label="Weekdays", help_text="none ticked: every day")
            if db_field.name == "percent_bps":
                return PercentField(label="Surcharge (%)", help_text="e.g. 25 for +25 %")
            made = units_or_percent(db_field, currency=self.currency)
            return made or super().formfield_for_dbfield(db_field, request, **kwargs)

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


def _per(amount: str, unit: str, free: int, free_unit: str) -> str:
    return f"{amount}/{unit}" + (f" after {free} {free_unit}" if free else "")


def component_summary(c: TariffComponent, currency: str, locale: str) -> str:
    """One component as a manager reads it: "base 3,50 €", "1,20 €/km", "+25 % 22:00–06:00"."""

    def m(minor: int) -> str:
        return formatting.money(minor, currency, locale)

    match c:
        case BaseFare():
            return f"base {m(c.amount_minor)}"
        case PerKm():
            return _per(m(c.amount_minor_per_km), "km", c.free_km, "km")
        case PerMinute():
            return _per(m(c.amount_minor_per_minute), "min", c.free_minutes, "min")
        case PerStop():
            return _per(m(c.amount_minor_per_stop), "stop", c.free_stops, "stops")
        case WaitingTime():
            return "waiting " + _per(m(c.amount_minor_per_minute), "min", c.grace_minutes, "min")
        case MinimumFare():
            return f"min {m(c.amount_minor)}"
        case TimeSurcharge():
            window = f" {c.starts:%H:%M}–{c.ends:%H:%M}" if c.starts and c.ends else ""
            return f"+{formatting.rate_bps(c.percent_bps, locale)}{window}"
        case ZoneSurcharge():
            return f"{c.label or 'zone'} {m(c.amount_minor)}"
        case CancellationFee():
            return f"cancellation {m(c.amount_minor)}"
    return str(c)


# django-polymorphic's inline script writes its add-component menu with style="display: none;". The tariff page
# allows exactly that attribute, by its hash, instead of loosening style-src for the whole admin (a replace:
# django-csp 4 updates only directives the settings already name).
MENU_STYLE_HASH = "'sha256-biLFinpqYMtWHmXfkA1BPeCY0/fNt46SAZ+BBk5YUog='"  # of "display: none;"
POLYMORPHIC_MENU_STYLE = {"style-src-attr": ["'unsafe-hashes'", MENU_STYLE_HASH]}


@admin.register(Tariff)
class TariffAdmin(BillingReadable, PolymorphicInlineSupportMixin, FleetScopedAdmin):
    list_display = ("name", "service", "vehicle", "prices", "valid_from", "valid_until", "fleet_id")
    list_filter = ("service", "vehicle_type", "prices_include_tax")
    search_fields = ("name",)
    inlines = [ComponentInline]
    form = TariffForm
    local_times = ("valid_from", "valid_until")
    foreign_ids = {"fleet_id": integrations.fleet_choices}  # default_tax: TaxRateAdmin's rows (logitrack.admin)

    class Media:
        css = {"all": ("billing/admin/tariffs.css",)}

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("components")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "final_cap_bps":
            return PercentField(
                label="Final fare cap (%)",
                required=False,
                help_text="the final fare may exceed the quote by at most this much; empty: no cap",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="Prices")
    def prices(self, tariff: Tariff) -> str:
        place = self.locality(tariff)
        parts = [component_summary(c, tariff.currency, place.locale) for c in tariff.components.all()]
        if tariff.prices_include_tax:
            parts.append("incl. tax")
        return " · ".join(p.replace(" ", "\xa0") for p in parts) or "–"  # lines break between components only

    @admin.display(description="Vehicle type", ordering="vehicle_type")
    def vehicle(self, tariff: Tariff) -> str:
        return tariff.vehicle_type or "any"

    @method_decorator(csp_replace(POLYMORPHIC_MENU_STYLE))
    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        # valid from/until are typed and shown on the fleet's clock, as the list shows them
        tariff = self.get_object(request, object_id) if object_id else None
        if tariff is not None:
            place = self.locality(tariff)
        else:
            fleets = managed_fleets(request)
            found = integrations.fleet_localities(fleet_ids=sorted(fleets, key=str)) if fleets else {}
            place = next(iter(found.values()), None) if len(found) == 1 else None
        if place is None:
            return super().changeform_view(request, object_id, form_url, extra_context)
        request.tariff_time_zone = place.time_zone
        with timezone.override(formatting.zone(place.time_zone)):
            response = super().changeform_view(request, object_id, form_url, extra_context)
            if hasattr(response, "render"):
                response.render()  # the form shows its times while the fleet's clock is on, not later
            return response

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)  # a new class per call: its fields are ours to label
        zone = getattr(request, "tariff_time_zone", None)
        for name in ("valid_from", "valid_until"):
            if zone and name in form.base_fields:
                form.base_fields[name].help_text = f"{zone} time"
        return form


# ---- quotes and fares ---------------------------------------------------------------------------------------------


def _breakdown_lines(admin_: Readable, row, breakdown: dict):
    place = admin_.locality(row)
    currency = breakdown.get("currency") or row.currency
    lines = [
        (x.get("description") or x.get("code", ""), formatting.money(x.get("gross", 0), currency, place.locale))
        for x in breakdown.get("lines", [])
    ]
    lines += [
        (f"{tax.get('name', 'tax')} ({formatting.rate_bps(tax.get('rate_bps', 0), place.locale)})",
         formatting.money(tax.get("tax", 0), currency, place.locale))
        for tax in breakdown.get("taxes", [])
    ]  # fmt: skip
    return format_html(
        "<table><tbody>{}</tbody></table>", format_html_join("", "<tr><td>{}</td><td>{}</td></tr>", lines)
    )


@admin.register(Quote)
class QuoteAdmin(BillingReadable, ReadOnly, FleetScopedAdmin):
    named_ids = {**BillingReadable.named_ids, "customer_id": integrations.user_names}
    money = {"total_minor": "currency"}
    local_times = ("created_at", "expires_at")
    list_display = ("created_at", "fleet_id", "customer_id", "vehicle_type", "service", "total_minor", "expires_at")
    list_filter = ("service", "vehicle_type")
    fields = ("fleet_id", "customer_id", "tariff", "service", "vehicle_type", "total_minor", "lines", "expires_at")
    readonly_fields = fields

    @admin.display(description="Breakdown")
    def lines(self, quote: Quote):
        return _breakdown_lines(self, quote, quote.breakdown or {})


@admin.register(FareRecord)
class FareRecordAdmin(BillingReadable, Exportable, ReadOnly, FleetScopedAdmin):
    named_ids = {
        **BillingReadable.named_ids,
        "driver_id": integrations.driver_names,
        "customer_id": integrations.user_names,
    }
    money = {"net_minor": "currency", "tax_minor": "currency", "total_minor": "currency"}
    local_times = ("created_at",)
    list_display = ("created_at", "trip", "kind", "customer_id", "driver_id", "total_minor", "capped", "fleet_id")
    export_columns = (
        "created_at", "trip_reference", "kind", "customer_id", "driver_id",
        "net_minor", "tax_minor", "total_minor", "currency", "capped", "fleet_id",
    )  # fmt: skip
    list_filter = (("created_at", DateRangeFilter), "kind", "capped")
    search_fields = ("trip_id",)
    fields = (
        "trip", "kind", "fleet_id", "customer_id", "driver_id",
        "net_minor", "tax_minor", "total_minor", "capped", "lines", "created_at",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Trip", ordering="trip_id")
    def trip(self, fare: FareRecord):
        return trip_link(fare.trip_id)

    @admin.display(description="Trip")
    def trip_reference(self, fare: FareRecord) -> str:
        return short_reference(fare.trip_id)

    @admin.display(description="Breakdown")
    def lines(self, fare: FareRecord):
        return _breakdown_lines(self, fare, fare.breakdown or {})
