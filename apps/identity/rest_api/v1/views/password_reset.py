"""The password reset: ask for an emailed link, then set a new password with its token."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from apps.identity.rest_api.v1.serializers.fields import password_field
from apps.identity.rest_api.v1.views.auth import AuthApi
from apps.identity.services import passwords
from logitrack.http.serializers import StrictInputSerializer


class PasswordResetRequestApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField()

    @extend_schema(
        tags=["identity"],
        request=InputSerializer,
        responses={202: None},
        operation_id="identity_password_reset_request",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        passwords.password_reset_request(email=data.validated_data["email"])
        return Response(status=202)  # the same answer whether or not the account exists


class PasswordResetConfirmApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        token = serializers.CharField(max_length=200)
        new_password = password_field()

    @extend_schema(
        tags=["identity"],
        request=InputSerializer,
        responses={204: None},
        operation_id="identity_password_reset_confirm",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        passwords.password_reset_confirm(**data.validated_data)
        return Response(status=204)
