"""Billing REST serializers — Refunds of a settled trip."""

from __future__ import annotations

from rest_framework import serializers

from logitrack.http.serializers import StrictInputSerializer


class RefundApiInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=300)


class RefundApiRefundOutput(serializers.Serializer):
    transaction_id = serializers.UUIDField(source="id")
    reverses = serializers.UUIDField(source="reverses_id")
    memo = serializers.CharField()
