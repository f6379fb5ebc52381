"""Invoices, receipts and credit notes, with a PDF download link (selectors.invoices_managed)."""

from django.contrib import admin
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html

from apps.billing import selectors
from apps.billing.admin.common import ReadOnly
from apps.billing.models import Invoice
from apps.billing.services import invoices
from logitrack.admin import FleetScopedAdmin
from logitrack.http.principal import principal


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
