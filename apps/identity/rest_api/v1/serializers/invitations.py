"""Invitations as the fleet managers who sent them see them."""

from __future__ import annotations

from rest_framework import serializers

from apps.identity.contracts import FleetRole


class InvitationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    fleet_id = serializers.UUIDField()
    role = serializers.ChoiceField(choices=[r.value for r in FleetRole])
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)
