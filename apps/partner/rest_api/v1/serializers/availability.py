"""A driver's weekly availability windows and one-off exceptions over the API."""

from __future__ import annotations

from rest_framework import serializers


class WindowSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6, help_text="0 = Monday")
    starts = serializers.TimeField()
    ends = serializers.TimeField()

    def validate(self, attrs):
        if attrs["ends"] <= attrs["starts"]:
            raise serializers.ValidationError({"ends": ["Must be after starts."]})
        return attrs


class ExceptionSerializer(serializers.Serializer):
    id = serializers.UUIDField(read_only=True)
    date = serializers.DateField()
    available = serializers.BooleanField(default=False)
    starts = serializers.TimeField(required=False, allow_null=True, default=None)
    ends = serializers.TimeField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(max_length=200, required=False, default="", allow_blank=True)


class AvailabilityOutput(serializers.Serializer):
    windows = WindowSerializer(many=True)
    exceptions = ExceptionSerializer(many=True)
