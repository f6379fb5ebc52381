"""How a driver profile and its compliance look over the API."""

from __future__ import annotations

from rest_framework import serializers

from apps.partner.contracts import ComplianceStatus, DutyStatus
from apps.partner.rest_api.v1.serializers.documents import DocumentOutput


class DriverOutput(serializers.Serializer):
    id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    display_name = serializers.CharField()
    phone = serializers.CharField()
    licence_classes = serializers.CharField()
    emergency_contact_name = serializers.CharField()
    emergency_contact_phone = serializers.CharField()
    active = serializers.BooleanField()
    compliance_status = serializers.ChoiceField(choices=[c.value for c in ComplianceStatus])
    compliance_reasons = serializers.ListField(child=serializers.CharField())
    suspended_at = serializers.DateTimeField(allow_null=True)
    suspension_reason = serializers.CharField()
    duty_status = serializers.ChoiceField(choices=[d.value for d in DutyStatus])
    duty_changed_at = serializers.DateTimeField(allow_null=True)
    has_photo = serializers.SerializerMethodField()

    def get_has_photo(self, driver) -> bool:
        return bool(driver.photo_path)


class ComplianceOutput(serializers.Serializer):
    status = serializers.ChoiceField(choices=[c.value for c in ComplianceStatus])
    reasons = serializers.ListField(child=serializers.CharField())
    duty_status = serializers.ChoiceField(choices=[d.value for d in DutyStatus])
    documents = DocumentOutput(many=True)
