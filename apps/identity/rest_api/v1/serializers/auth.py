"""Token pairs as the auth endpoints answer them."""

from __future__ import annotations

from rest_framework import serializers

from apps.identity import tokens


class TokenPairSerializer(serializers.Serializer):
    token_type = serializers.CharField(default="Bearer")
    access = serializers.CharField()
    refresh = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()


def token_pair_data(pair: tokens.TokenPair) -> dict:
    return TokenPairSerializer(
        {
            "token_type": "Bearer",
            "access": pair.access,
            "refresh": pair.refresh,
            "access_expires_at": pair.access_expires_at,
            "refresh_expires_at": pair.refresh_expires_at,
        }
    ).data
