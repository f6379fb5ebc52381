"""Top-ups and unapplied payments, for platform admins only, with the "record payment" form."""

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from apps.billing import integrations, selectors
from apps.billing.admin.common import PlatformOnly, ReadOnly
from apps.billing.contracts import TopUpMismatch
from apps.billing.models import TopUp, UnappliedPayment
from apps.billing.services import topups
from logitrack.admin.fields import UnitsField
from logitrack.admin.readable import Readable
from logitrack.exceptions import ApplicationError
from logitrack.formatting import money as format_money
from logitrack.http.principal import principal
from logitrack.types import Money, currency_exponent


class TopUpConfirmForm(forms.Form):
    amount = UnitsField(label="Amount received")  # its currency's decimals: set in __init__
    currency = forms.RegexField(r"^[A-Z]{3}$", max_length=3, help_text="ISO 4217, e.g. EUR")
    reference = forms.CharField(max_length=200, help_text="the bank transfer's or cash receipt's reference")

    def __init__(self, *args, currency: str = "EUR", **kwargs):
        super().__init__(*args, **kwargs)
        typed = str(self.data.get("currency") or "").strip()
        if len(typed) == 3 and typed.isalpha() and typed.isupper():
            currency = typed  # the amount may have as many decimals as the currency it is received in
        self.fields["amount"] = UnitsField(
            currency=currency,
            min_value=Decimal(1).scaleb(-currency_exponent(currency)),
            max_value=Decimal(10**10),
            label="Amount received",
            help_text="in currency units, e.g. 25.00",
        )


@admin.register(TopUp)
class TopUpAdmin(Readable, PlatformOnly, ReadOnly, admin.ModelAdmin):
    """Customers' top-up requests. Platform admins only: a prepaid balance is the platform's, not a fleet's (it
    pays fares in every fleet), so no fleet manager may credit one. They record money received outside a payment
    provider (cash, a bank transfer) with the confirm form; providers confirm through their signed webhooks.
    Read-only otherwise: customers ask for top-ups in the app, and money moves only through the confirm form."""

    named_ids = {"customer_id": integrations.user_names}
    list_display = ("created_at", "customer_id", "amount", "status", "reason", "confirmed_via", "confirm_link")
    list_filter = ("status", "currency", "confirmed_via")
    search_fields = ("id", "customer_id", "confirmation_reference", "payment_reference")
    readonly_fields = [f.name for f in TopUp._meta.fields if f.name not in ("amount_minor", "currency")] + ["amount"]

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
        form = TopUpConfirmForm(request.POST or None, initial={"currency": topup.currency}, currency=topup.currency)
        if request.method == "POST" and form.is_valid():
            v = form.cleaned_data
            try:
                topups.topup_confirm(
                    topup_id=topup.id,
                    amount=Money(v["amount"], v["currency"]),
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
