"""Accounts as their owner sees them, and the data export (everything identity holds about you)."""

from __future__ import annotations

from rest_framework import serializers

from apps.identity.contracts import FleetRole


class UserOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    phone = serializers.CharField()
    is_customer = serializers.BooleanField()
    date_joined = serializers.DateTimeField()


class ExportUser(UserOutput):
    last_login = serializers.DateTimeField(allow_null=True)


class ExportMembership(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    role = serializers.ChoiceField(choices=[r.value for r in FleetRole])
    since = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)


class ExportInvitation(serializers.Serializer):
    fleet_id = serializers.UUIDField()
    role = serializers.ChoiceField(choices=[r.value for r in FleetRole])
    sent = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)


class UserExport(serializers.Serializer):
    """Everything identity holds about you (a data-subject access request)."""

    user = ExportUser()
    memberships = ExportMembership(many=True)
    invitations_received = ExportInvitation(many=True)
