"""Billing REST serializers — A driver's wallet with its statement, a customer's balances, and redeeming points."""

from __future__ import annotations

from django.utils import timezone
from rest_framework import serializers

from apps.billing.rest_api.v1.serializers.common import CURRENCY, MAX_MINOR
from logitrack.http.serializers import StrictInputSerializer, iso_datetime, text


class StatementLineOutput(serializers.Serializer):
    posted_at = serializers.DateTimeField(source="transaction.posted_at")
    kind = serializers.CharField(source="transaction.kind")
    memo = serializers.CharField(source="transaction.memo")
    reference_id = serializers.UUIDField(source="transaction.reference_id", allow_null=True)
    amount_minor = serializers.SerializerMethodField(help_text="positive: money in; negative: money out")
    currency = serializers.CharField()

    def get_amount_minor(self, posting) -> int:
        return -posting.amount_minor  # a wallet is a liability: credits are money in for its owner

    # Written out rather than DRF's walk over the fields (a bound field, a dotted look-up and a conversion per value
    # and row): the declared fields still make the schema; test_list_bodies keeps this equal to DRF's rendering.
    def to_representation(self, posting) -> dict:
        tx, zone = posting.transaction, timezone.get_current_timezone()
        return {
            "posted_at": iso_datetime(tx.posted_at, zone),
            "kind": text(tx.kind),
            "memo": text(tx.memo),
            "reference_id": text(tx.reference_id),
            "amount_minor": -posting.amount_minor,
            "currency": text(posting.currency),
        }


class WalletApiWalletOutput(serializers.Serializer):
    driver_id = serializers.UUIDField()
    currency = serializers.CharField()
    balance_minor = serializers.IntegerField()
    held_for_payouts_minor = serializers.IntegerField()
    statement = StatementLineOutput(many=True)
    statement_count = serializers.IntegerField(required=False, help_text="all the postings; only with `count=true`")
    next = serializers.URLField(allow_null=True, help_text="the statement's next (older) page; null on the last")
    previous = serializers.URLField(allow_null=True, help_text="the statement's newer page; null on the first")


class BalanceApiBalanceOutput(serializers.Serializer):
    prepaid = serializers.DictField(child=serializers.IntegerField(), help_text="currency → minor units")
    owed = serializers.DictField(child=serializers.IntegerField(), help_text="currency → minor units still to pay")
    loyalty_points = serializers.IntegerField()


class PointsRedeemApiInput(StrictInputSerializer):
    points = serializers.IntegerField(min_value=1, max_value=MAX_MINOR)
    currency = CURRENCY
    request_id = serializers.UUIDField()
