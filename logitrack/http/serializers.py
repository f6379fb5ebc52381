"""Serializer base for API input: unknown fields are an error, not silently dropped."""

from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer):
    """Rejects fields the endpoint does not know, so a typo never passes as 'accepted'."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError({"non_field_errors": ["Expected a JSON object."]})
        writable = {name for name, field in self.fields.items() if not field.read_only}
        unknown = sorted(set(data) - writable)
        value = super().to_internal_value(data)
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return value
