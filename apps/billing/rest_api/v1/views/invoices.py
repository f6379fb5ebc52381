"""Billing REST views — Invoices, receipts and credit notes."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from apps.billing import selectors
from apps.billing.rest_api.v1.filters import InvoiceFilter
from apps.billing.rest_api.v1.serializers.invoices import InvoiceOutput
from apps.billing.services import invoices
from logitrack.http import downloads
from logitrack.http.filters import FilteredList
from logitrack.http.pagination import KeysetPagination
from logitrack.http.params import keyset_paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import file_download
from logitrack.principal import Role


class InvoiceListApi(FilteredList, APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.FLEET_MANAGER)]
    key_scopes = {"GET": "billing:read"}  # what an integrator's API key needs (apps/identity)
    filterset_class = InvoiceFilter
    pagination_class = KeysetPagination.ordered_by("-issued_at", "-id")  # newest first, a customer's for years

    @extend_schema(
        tags=["billing"],
        responses={200: InvoiceOutput(many=True)},
        operation_id="billing_invoices_list",
        description="Newest issued first, by cursor (`next`, `previous`; `count` with `count=true`).",
    )
    def get(self, request):
        params = self.query_filters()
        visible = selectors.invoice_visibility(principal=require_principal(request))
        rows = params.filter_queryset(selectors.invoices_listed())
        return keyset_paginated(self, request, rows, InvoiceOutput, branches=visible)


class InvoicePdfApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.FLEET_MANAGER)]
    key_scopes = {"GET": "billing:read"}  # what an integrator's API key needs (apps/identity)
    renderer_classes = downloads.renderers("application/pdf")

    @extend_schema(
        tags=["billing"],
        responses=file_download("application/pdf", description="the invoice PDF"),
        operation_id="billing_invoices_pdf",
    )
    def get(self, request, invoice_id):
        invoice = selectors.invoice_visible(principal=require_principal(request), invoice_id=invoice_id)
        pdf, filename = invoices.invoice_pdf(invoice_id=invoice.id)  # rendered already by the worker, normally
        return downloads.file_response(
            request, pdf, content_type="application/pdf", as_attachment=True, filename=filename
        )
