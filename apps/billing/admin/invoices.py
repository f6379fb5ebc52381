"""Invoices, receipts and credit notes, with a PDF download link (selectors.invoices_managed)."""

from django.contrib import admin
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html

from apps.billing import integrations, selectors
from apps.billing.admin.common import ReadOnly, trip_link
from apps.billing.admin.fares import BillingReadable
from apps.billing.models import Invoice
from apps.billing.services import invoices
from logitrack.admin import FleetScopedAdmin
from logitrack.admin.export import Exportable
from logitrack.admin.filters import DateRangeFilter
from logitrack.http.principal import principal


@admin.register(Invoice)
class InvoiceAdmin(BillingReadable, Exportable, ReadOnly, FleetScopedAdmin):
    named_ids = {**BillingReadable.named_ids, "customer_id": integrations.user_names}
    money = {"net_minor": "currency", "tax_minor": "currency", "total_minor": "currency"}
    local_times = ("issued_at",)
    list_display = ("number", "kind", "issued_at", "customer_id", "trip", "period", "total_minor", "pdf_link")
    export_columns = (
        "number", "kind", "issued_at", "customer_id", "period", "net_minor", "tax_minor", "total_minor", "currency",
        "fleet_id",
    )  # fmt: skip
    list_filter = (("issued_at", DateRangeFilter), "kind", "year")
    search_fields = ("number", "trip_id")
    fields = (
        "number", "kind", "issued_at", "fleet_id", "customer_id", "trip", "period",
        "net_minor", "tax_minor", "total_minor", "pdf_link",
    )  # fmt: skip
    readonly_fields = fields

    @admin.display(description="Trip", ordering="trip_id")
    def trip(self, invoice):
        return trip_link(invoice.trip_id) if invoice.trip_id else "–"

    def get_queryset(self, request):
        return selectors.invoices_managed(principal=principal(request))

    def get_urls(self):
        return [
            path("<uuid:invoice_id>/pdf/", self.admin_site.admin_view(self.pdf_view), name="billing_invoice_pdf"),
            *super().get_urls(),
        ]

    @admin.display(description="PDF")
    def pdf_link(self, invoice):
        url = reverse("admin:billing_invoice_pdf", args=[invoice.id])
        return format_html('<a href="{}" download>PDF {}</a>', url, invoice.number)

    def pdf_view(self, request, invoice_id):
        if not self.get_queryset(request).filter(id=invoice_id).exists():
            raise Http404("no such invoice")
        pdf, filename = invoices.invoice_pdf(invoice_id=invoice_id)
        return FileResponse(pdf, content_type="application/pdf", as_attachment=True, filename=filename)
