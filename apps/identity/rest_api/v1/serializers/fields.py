"""Field settings shared by identity's input serializers."""

from __future__ import annotations

from rest_framework import serializers

PHONE = r"^\+[1-9]\d{6,14}$"  # E.164


def password_field() -> serializers.CharField:
    """A password in a request body: never trimmed (spaces are part of a password), at most 4096 characters."""
    return serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})
