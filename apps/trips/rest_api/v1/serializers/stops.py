"""A stop's steps (done with its proof of delivery, failed with a reason) and the proof as it is shown."""

from __future__ import annotations

from rest_framework import serializers

from logitrack.http.serializers import StrictInputSerializer


class DoneSerializer(StrictInputSerializer):
    recipient_name = serializers.CharField(max_length=150, required=False, default="", allow_blank=True)
    signature = serializers.FileField(
        required=False, allow_empty_file=True, help_text="PNG of the signature, at most 5 MB; stored re-encoded as PNG"
    )
    photo = serializers.FileField(
        required=False,
        allow_empty_file=True,
        help_text="JPEG or PNG, at most 5 MB and 40 MP; stored re-encoded as JPEG, no metadata",
    )
    pin = serializers.RegexField(r"^\d{4}$", required=False, default="")


class FailSerializer(StrictInputSerializer):
    reason = serializers.CharField(max_length=300)


class ProofOutput(serializers.Serializer):
    recipient_name = serializers.CharField()
    pin_verified = serializers.BooleanField()
    captured_at = serializers.DateTimeField()
    has_signature = serializers.SerializerMethodField()
    has_photo = serializers.SerializerMethodField()

    def get_has_signature(self, proof) -> bool:
        return bool(proof.signature_path)

    def get_has_photo(self, proof) -> bool:
        return bool(proof.photo_path)
