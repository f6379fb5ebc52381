"""Fleet memberships: one's own, and a fleet's members as their managers see them."""

from __future__ import annotations

from rest_framework import serializers

from apps.identity.contracts import FleetRole


class MembershipOutput(serializers.Serializer):
    id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    role = serializers.ChoiceField(choices=[r.value for r in FleetRole])
    created_at = serializers.DateTimeField()


class MemberOutput(MembershipOutput):
    display_name = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")
