"""Billing in the admin: tariffs with their polymorphic components inline, the ledger read-only, and
payout approval. Fleet managers see only their own fleets' rows."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from polymorphic.admin import PolymorphicInlineSupportMixin, StackedPolymorphicInline
from polymorphic.formsets import BasePolymorphicInlineFormSet

from apps.billing import integrations, selectors
from apps.billing.contracts import TopUpMismatch
from apps.billing.models import (
    Account,
    FareRecord,
    Invoice,
    JournalTransaction,
    Payout,
    Posting,
    Quote,
    Tariff,
    TariffComponent,
    TaxRate,
    TopUp,
    UnappliedPayment,
)
from apps.billing.models.tariffs import COMPONENT_MODELS
from apps.billing.money_format import format_money
from apps.billing.services import invoices, payouts, topups
from logitrack.admin import FleetScopedAdmin, ScopedChoices
from logitrack.exceptions import ApplicationError
from logitrack.http.principal import principal
from logitrack.types import Money


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class PlatformOnly:
    """Prepaid money is the platform's, not a fleet's: only platform admins see these pages."""

    @staticmethod
    def _platform_admin(request) -> bool:
        found = principal(request)
        return found is not None and found.is_platform_admin

    def has_module_permission(self, request):
        return self._platform_admin(request)

    def has_view_permission(self, request, obj=None):
        return self._platform_admin(request)


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


class ComponentInline(StackedPolymorphicInline):
    """One form per component kind (contracts.ComponentKind; its model in models.tariffs.COMPONENT_MODELS)."""

    model = TariffComponent
    formset = ComponentFormSet
    child_inlines = tuple(
        type(f"{m.__name__}Inline", (ScopedChoices, StackedPolymorphicInline.Child), {"model": m})
        for m in COMPONENT_MODELS.values()
    )


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


@admin.register(Account)
class AccountAdmin(ReadOnly, FleetScopedAdmin):
    list_display = ("kind", "owner_id", "fleet_id", "currency", "balance_minor", "floor_minor")
    list_filter = ("kind", "currency")
    search_fields = ("owner_id",)

    def get_queryset(self, request):
        return selectors.accounts_managed(principal=principal(request))


class PostingInline(ReadOnly, admin.TabularInline):
    model = Posting
    fields = ("account", "amount_minor", "currency")
    readonly_fields = fields
    extra = 0


@admin.register(JournalTransaction)
class JournalTransactionAdmin(ReadOnly, FleetScopedAdmin):
    list_display = ("posted_at", "kind", "idempotency_key", "reference_id", "memo")
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "reference_id")
    inlines = [PostingInline]


@admin.register(Payout)
class PayoutAdmin(FleetScopedAdmin):
    list_display = ("created_at", "driver_id", "amount_minor", "currency", "status", "decided_at", "reason")
    list_filter = ("status", "currency")
    readonly_fields = (
        "driver_id",
        "fleet_id",
        "request_key",
        "currency",
        "amount_minor",
        "status",
        "decided_by_id",
        "decided_at",
        "reason",
    )
    actions = ("approve", "mark_paid", "reject")

    def get_queryset(self, request):
        return selectors.payouts_managed(principal=principal(request))

    def has_add_permission(self, request):
        return False  # drivers request payouts from the app

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, approve):
        actor = principal(request)
        done = 0
        for payout in queryset:
            try:
                payouts.payout_decide(
                    payout_id=payout.id,
                    approve=approve,
                    actor_id=actor.user_id if actor else None,
                    reason="" if approve else "rejected in admin",
                )
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{payout}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{'Approved' if approve else 'Rejected'} {done} payout(s).", messages.SUCCESS)

    @admin.action(description="Approve the selected payouts (the money stays held until paid)")
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description="Mark the selected payouts as paid (transfer sent)")
    def mark_paid(self, request, queryset):
        done = 0
        for payout in queryset:
            try:
                payouts.payout_mark_paid(payout_id=payout.id, bank_reference="admin")
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{payout}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"Paid {done} payout(s).", messages.SUCCESS)

    @admin.action(description="Reject the selected payouts (money returns to the wallet)")
    def reject(self, request, queryset):
        self._decide(request, queryset, False)


@admin.register(Invoice)
class InvoiceAdmin(ReadOnly, FleetScopedAdmin):
    list_display = ("number", "kind", "period", "total_minor", "currency", "issued_at", "pdf_link")
    list_filter = ("kind", "year")
    search_fields = ("number", "trip_id")

    def get_queryset(self, request):
        return selectors.invoices_managed(principal=principal(request))

    def get_urls(self):
        return [
            path("<uuid:invoice_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_invoice_pdf"),
            *super().get_urls(),
        ]

    @admin.display(description="PDF")
    def pdf_link(self, invoice):
        return format_html('<a href="{}">download</a>', reverse("admin:billing_invoice_pdf", args=[invoice.id]))

    def pdf_view(self, request, invoice_id):
        if not self.get_queryset(request).filter(id=invoice_id).exists():
            raise Http404("no such invoice")
        pdf, filename = invoices.invoice_pdf(invoice_id=invoice_id)
        return FileResponse(pdf, content_type="application/pdf", as_attachment=True, filename=filename)


class TopUpConfirmForm(forms.Form):
    amount_minor = forms.IntegerField(
        min_value=1, max_value=10**12, label="Amount received", help_text="in minor units (cents, pence)"
    )
    currency = forms.RegexField(r"^[A-Z]{3}$", max_length=3, help_text="ISO 4217, e.g. EUR")
    reference = forms.CharField(max_length=200, help_text="the bank transfer's or cash receipt's reference")


@admin.register(TopUp)
class TopUpAdmin(PlatformOnly, ReadOnly, admin.ModelAdmin):
    """Customers' top-up requests. Platform admins only: a prepaid balance is the platform's, not a fleet's (it
    pays fares in every fleet), so no fleet manager may credit one. They record money received outside a payment
    provider (cash, a bank transfer) with the confirm form; providers confirm through their signed webhooks.
    Read-only otherwise: customers ask for top-ups in the app, and money moves only through the confirm form."""

    list_display = ("created_at", "customer_id", "amount", "status", "reason", "confirmed_via", "confirm_link")
    list_filter = ("status", "currency", "confirmed_via")
    search_fields = ("id", "customer_id", "confirmation_reference", "payment_reference")
    readonly_fields = [f.name for f in TopUp._meta.fields]

    def get_urls(self):
        return [
            path(
                "<uuid:topup_id>/confirm/",
                self.admin_site.admin_view(self.confirm_view),
                name="billing_topup_confirm",
            ),
            *super().get_urls(),
        ]

    @admin.display(description="Amount", ordering="amount_minor")
    def amount(self, topup):
        return format_money(topup.amount_minor, topup.currency)

    @admin.display(description="Payment")
    def confirm_link(self, topup):
        if topup.status != TopUp.Status.PENDING:
            return "—"
        return format_html('<a href="{}">record payment</a>', reverse("admin:billing_topup_confirm", args=[topup.id]))

    def confirm_view(self, request, topup_id):
        if not self._platform_admin(request):
            raise PermissionDenied
        topup = selectors.topups_visible(principal=principal(request)).filter(id=topup_id).first()
        if topup is None:
            raise Http404("no such top-up")
        form = TopUpConfirmForm(request.POST or None, initial={"currency": topup.currency})
        if request.method == "POST" and form.is_valid():
            v = form.cleaned_data
            try:
                topups.topup_confirm(
                    topup_id=topup.id,
                    amount=Money(v["amount_minor"], v["currency"]),
                    via=TopUp.STAFF,
                    reference=v["reference"],
                    actor_id=principal(request).user_id,
                )
            except TopUpMismatch as exc:  # a top-up failed before staff mismatches were refused: show where it stands
                self.message_user(request, f"Not credited: {exc.message}", messages.ERROR)
                return HttpResponseRedirect(reverse("admin:billing_topup_change", args=[topup.id]))
            except ApplicationError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    f"Credited {format_money(topup.amount_minor, topup.currency)} to the prepaid balance.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:billing_topup_changelist"))
        return TemplateResponse(
            request,
            "admin/billing/topup/confirm.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "topup": topup,
                "form": form,
                "requested": format_money(topup.amount_minor, topup.currency),
                "title": "Record payment received",
            },
        )


@admin.register(UnappliedPayment)
class UnappliedPaymentAdmin(PlatformOnly, ReadOnly, admin.ModelAdmin):
    """Money payment providers received that credited no balance (another amount than asked, a second payment):
    what to refund at the provider. Platform admins only, like top-ups; read-only (it is a record of what came)."""

    list_display = ("created_at", "provider", "payment_reference", "amount", "topup_id", "reason")
    list_filter = ("provider", "currency")
    search_fields = ("payment_reference", "event_id", "topup__id", "topup__customer_id")
    readonly_fields = [f.name for f in UnappliedPayment._meta.fields]

    @admin.display(description="Amount", ordering="amount_minor")
    def amount(self, row):
        return format_money(row.amount_minor, row.currency)
