"""Billing REST serializers — Invoices, receipts and credit notes."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from logitrack.http.serializers import iso_datetime, text


class StatementRowOutput(serializers.Serializer):
    trip_id = serializers.UUIDField()
    description = serializers.CharField()
    receipt = serializers.CharField(help_text="the number of the trip's receipt, its tax document")
    gross = serializers.IntegerField(help_text="minor units, as on the receipt")


class InvoiceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    number = serializers.CharField()
    kind = serializers.ChoiceField(choices=["invoice", "receipt", "credit_note"])
    fleet_id = serializers.UUIDField()
    period = serializers.CharField()
    trip_id = serializers.UUIDField(allow_null=True)
    currency = serializers.CharField()
    net_minor = serializers.IntegerField()
    tax_minor = serializers.IntegerField()
    total_minor = serializers.IntegerField()
    issued_at = serializers.DateTimeField()
    statement = StatementRowOutput(
        many=True,
        help_text="monthly invoices: the month's trips invoiced by their own receipts, for information (not in the "
        "totals, no tax charged again)",
    )

    # Written out rather than DRF's walk over the fields (a bound field and a conversion per value and row): the
    # declared fields still make the schema; test_list_bodies keeps this equal to DRF's rendering.
    def to_representation(self, invoice) -> dict:
        statement = invoice.statement
        return {
            "id": text(invoice.id),
            "number": text(invoice.number),
            "kind": text(invoice.kind),
            "fleet_id": text(invoice.fleet_id),
            "period": text(invoice.period),
            "trip_id": text(invoice.trip_id),
            "currency": text(invoice.currency),
            "net_minor": invoice.net_minor,
            "tax_minor": invoice.tax_minor,
            "total_minor": invoice.total_minor,
            "issued_at": iso_datetime(invoice.issued_at, timezone.get_current_timezone()),
            "statement": None
            if statement is None
            else [
                {
                    "trip_id": text(row["trip_id"]),
                    "description": text(row["description"]),
                    "receipt": text(row["receipt"]),
                    "gross": row["gross"],
                }
                for row in statement
            ],
        }
