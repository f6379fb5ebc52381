"""Billing REST serializers — Invoices, receipts and credit notes."""

from __future__ import annotations

from rest_framework import serializers


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
