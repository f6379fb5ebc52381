"""Integrators' service accounts and API keys as fleet managers see them: never a secret, except once on issue."""

from __future__ import annotations

from rest_framework import serializers

from apps.identity.contracts import API_KEY_PREFIX, ApiScope

SCOPES = [s.value for s in ApiScope]


class ServiceAccountOutput(serializers.Serializer):
    id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    name = serializers.CharField()
    created_at = serializers.DateTimeField()
    revoked_at = serializers.DateTimeField(allow_null=True)
    working_keys = serializers.IntegerField(default=0, help_text="keys neither revoked nor expired")


class ApiKeyOutput(serializers.Serializer):
    id = serializers.UUIDField()
    service_account_id = serializers.UUIDField()
    prefix = serializers.SerializerMethodField(help_text="the key's start, to recognise it: lt_<prefix>_…")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=SCOPES))
    expires_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True, help_text="to the minute: written at most once a minute")
    created_at = serializers.DateTimeField()
    rotated_at = serializers.DateTimeField(allow_null=True)
    replaced_by_id = serializers.UUIDField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)

    def get_prefix(self, key) -> str:
        return f"{API_KEY_PREFIX}{key.prefix}"


class IssuedApiKeyOutput(serializers.Serializer):
    id = serializers.UUIDField()
    service_account_id = serializers.UUIDField()
    prefix = serializers.SerializerMethodField()
    secret = serializers.CharField(help_text="the whole key: shown this once, stored nowhere; keep it safe")
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=SCOPES))
    expires_at = serializers.DateTimeField()

    def get_prefix(self, issued) -> str:
        return f"{API_KEY_PREFIX}{issued.prefix}"


class ApiScopeOutput(serializers.Serializer):
    scope = serializers.ChoiceField(choices=SCOPES)
    description = serializers.CharField()
