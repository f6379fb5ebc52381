"""Offers: making one to a shift's driver, the driver's answer, and the offer's body."""

from __future__ import annotations

from rest_framework import serializers

from apps.trips.models import Offer
from logitrack.http.serializers import StrictInputSerializer


class OfferOutput(serializers.Serializer):
    id = serializers.UUIDField()
    trip_id = serializers.UUIDField()
    shift_id = serializers.UUIDField()
    driver_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=Offer.Status.values)
    expires_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    reason = serializers.CharField()


class OfferInput(StrictInputSerializer):
    shift_id = serializers.UUIDField()
    timeout_seconds = serializers.IntegerField(min_value=10, max_value=600, required=False)


class AnswerInput(StrictInputSerializer):
    reason = serializers.CharField(max_length=300, required=False, default="", allow_blank=True)
