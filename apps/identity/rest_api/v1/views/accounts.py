"""Accounts: self-registration, my profile, my password, my data."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity import selectors
from apps.identity.rest_api.v1.serializers.accounts import UserExport, UserOutput
from apps.identity.rest_api.v1.serializers.fields import PHONE, password_field
from apps.identity.rest_api.v1.serializers.memberships import MembershipOutput
from apps.identity.rest_api.v1.views.auth import AuthApi
from apps.identity.services import accounts, passwords
from logitrack.http.principal import IsAuthenticatedPrincipal, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent


class RegisterApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField(max_length=254)
        password = password_field()
        display_name = serializers.CharField(max_length=150)
        phone = serializers.RegexField(PHONE, required=False, default="", allow_blank=True)
        is_customer = serializers.BooleanField(
            required=False,
            default=True,
            help_text="false for an operator who registers to apply for a fleet: the account then holds no role "
            "until one is granted",
        )

    @extend_schema(
        tags=["identity"],
        request=InputSerializer,
        responses={
            201: UserOutput,
            **problems(**{"409": "an account with this email exists (`identity.email_taken`)"}),
        },
        operation_id="identity_register",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = accounts.user_register(**data.validated_data)
        return Response(UserOutput(user).data, status=201)


class MeApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class UpdateSerializer(StrictInputSerializer):
        display_name = serializers.CharField(max_length=150, required=False)
        phone = serializers.RegexField(PHONE, required=False, allow_blank=True)

    class MeOutput(UserOutput):
        roles = serializers.ListField(child=serializers.CharField())
        memberships = MembershipOutput(many=True)

    def _render(self, request, user):
        principal = require_principal(request)
        body = {**UserOutput(user).data, "roles": sorted(principal.roles)}
        body["memberships"] = MembershipOutput(selectors.memberships_of(user_id=user.id), many=True).data
        return Response(body)

    @extend_schema(tags=["identity"], responses={200: MeOutput}, operation_id="identity_me_get")
    def get(self, request):
        return self._render(request, selectors.user_get(user_id=request.user.id))  # request.user may be the id only

    @extend_schema(
        tags=["identity"], request=UpdateSerializer, responses={200: MeOutput}, operation_id="identity_me_update"
    )
    @idempotent
    def patch(self, request):
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = accounts.user_profile_update(user_id=request.user.id, **data.validated_data)
        return self._render(request, user)


class PasswordChangeApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class InputSerializer(StrictInputSerializer):
        old_password = password_field()
        new_password = password_field()

    @extend_schema(
        tags=["identity"], request=InputSerializer, responses={204: None}, operation_id="identity_password_change"
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        passwords.user_password_change(user_id=request.user.id, **data.validated_data)
        return Response(status=204)


class MyDataExportApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(tags=["identity"], responses={200: UserExport}, operation_id="identity_me_export")
    def get(self, request):
        response = Response(selectors.user_export(user_id=request.user.id))
        response["Content-Disposition"] = 'attachment; filename="logitrack-my-data.json"'
        return response
