"""Billing REST views — Invoices, receipts and credit notes."""

from __future__ import annotations

import uuid

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.views import APIView

from apps.billing.models import Invoice
from apps.billing.rest_api.v1.serializers.invoices import InvoiceOutput
from apps.billing.services import invoices
from logitrack import files
from logitrack.exceptions import NotFound
from logitrack.http import downloads
from logitrack.http.params import paginated, query_uuid
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import file_download
from logitrack.principal import Role


def _invoices_for(principal):
    if principal.is_platform_admin:
        return Invoice.objects.all()
    return Invoice.objects.filter(
        Q(customer_id=principal.user_id) | Q(fleet_id__in=principal.fleets(Role.FLEET_MANAGER))
    )


class InvoiceListApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["billing"],
        parameters=[
            OpenApiParameter("kind", str, enum=["invoice", "receipt", "credit_note"]),
            OpenApiParameter(
                "trip_id",
                uuid.UUID,
                description="documents of one trip: its receipt and credit note (a monthly invoice names no trip)",
            ),
        ],
        responses={200: InvoiceOutput(many=True)},
        operation_id="billing_invoices_list",
    )
    def get(self, request):
        qs = _invoices_for(require_principal(request)).order_by("-issued_at")
        kind = request.query_params.get("kind")
        if kind is not None:
            if kind not in ("invoice", "receipt", "credit_note"):
                raise serializers.ValidationError({"kind": ["must be invoice, receipt or credit_note"]})
            qs = qs.filter(kind=kind)
        trip_id = query_uuid(request, "trip_id")
        if trip_id is not None:
            qs = qs.filter(trip_id=trip_id)
        return paginated(self, request, qs, InvoiceOutput)


class InvoicePdfApi(APIView):
    permission_classes = [HasRole.of(Role.CUSTOMER, Role.FLEET_MANAGER)]
    renderer_classes = downloads.renderers("application/pdf")

    @extend_schema(
        tags=["billing"],
        responses=file_download("application/pdf", description="the invoice PDF"),
        operation_id="billing_invoices_pdf",
    )
    def get(self, request, invoice_id):
        invoice = _invoices_for(require_principal(request)).filter(id=invoice_id).first()
        if invoice is None:
            raise NotFound("no such invoice", code="billing.invoice_not_found")
        invoice = invoices.invoice_render(invoice_id=invoice.id)  # normally done already by the worker
        return downloads.file_response(
            request,
            files.open_private(invoice.pdf_path),
            content_type="application/pdf",
            as_attachment=True,
            filename=f"{invoice.number}.pdf",
        )
