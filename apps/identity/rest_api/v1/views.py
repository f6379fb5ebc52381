"""Identity REST API: auth tokens, registration, my account, password reset, invitations, memberships."""

from __future__ import annotations

import uuid

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity import selectors, services, tokens
from apps.identity.contracts import FleetRole
from logitrack.http.params import paginated, query_choice, query_uuid
from logitrack.http.principal import HasRole, IsAuthenticatedPrincipal, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.http.throttling import ScopedRateThrottle
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role

PASSWORD = {"max_length": 4096, "trim_whitespace": False, "style": {"input_type": "password"}}


class TokenPairSerializer(serializers.Serializer):
    token_type = serializers.CharField(default="Bearer")
    access = serializers.CharField()
    refresh = serializers.CharField()
    access_expires_at = serializers.DateTimeField()
    refresh_expires_at = serializers.DateTimeField()


def _pair(pair: tokens.TokenPair) -> dict:
    return TokenPairSerializer(
        {
            "token_type": "Bearer",
            "access": pair.access,
            "refresh": pair.refresh,
            "access_expires_at": pair.access_expires_at,
            "refresh_expires_at": pair.refresh_expires_at,
        }
    ).data


class AuthApi(APIView):
    """Credentials travel in the body: no session or bearer authentication, throttled per IP."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class TokenObtainApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField()
        password = serializers.CharField(**PASSWORD)

    @extend_schema(
        tags=["auth"],
        request=InputSerializer,
        responses={
            200: TokenPairSerializer,
            **problems(
                **{
                    "401": "wrong email or password (`auth.invalid_credentials`)",
                    "429": "too many failed logins for the account or from the address (`auth.locked_out`), or too "
                    "many calls (`throttled`); retry after `Retry-After` seconds",
                }
            ),
        },
        operation_id="auth_token_obtain",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        pair = services.user_login(request=request, **data.validated_data)
        return Response(_pair(pair))


class TokenRefreshApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        refresh = serializers.CharField(max_length=4096)

    @extend_schema(
        tags=["auth"],
        request=InputSerializer,
        responses={
            200: TokenPairSerializer,
            **problems(**{"401": "the refresh token is invalid, expired, revoked or reused (`auth.token_*`)"}),
        },
        operation_id="auth_token_refresh",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(_pair(tokens.token_pair_rotate(raw_refresh=data.validated_data["refresh"])))


class LogoutApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        refresh = serializers.CharField(max_length=4096)

    @extend_schema(
        tags=["auth"],
        request=InputSerializer,
        responses={204: None, **problems(**{"401": "the refresh token is invalid (`auth.token_invalid`)"})},
        operation_id="auth_logout",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        tokens.token_family_revoke(raw_refresh=data.validated_data["refresh"])
        return Response(status=204)


class UserOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    display_name = serializers.CharField()
    phone = serializers.CharField()
    is_customer = serializers.BooleanField()
    date_joined = serializers.DateTimeField()


class MembershipOutput(serializers.Serializer):
    id = serializers.UUIDField()
    user_id = serializers.UUIDField()
    fleet_id = serializers.UUIDField()
    role = serializers.ChoiceField(choices=[r.value for r in FleetRole])
    created_at = serializers.DateTimeField()


class RegisterApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField(max_length=254)
        password = serializers.CharField(**PASSWORD)
        display_name = serializers.CharField(max_length=150)
        phone = serializers.RegexField(r"^\+[1-9]\d{6,14}$", required=False, default="", allow_blank=True)
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
        user = services.user_register(**data.validated_data)
        return Response(UserOutput(user).data, status=201)


class MeApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class UpdateSerializer(StrictInputSerializer):
        display_name = serializers.CharField(max_length=150, required=False)
        phone = serializers.RegexField(r"^\+[1-9]\d{6,14}$", required=False, allow_blank=True)

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
        return self._render(request, request.user)

    @extend_schema(
        tags=["identity"], request=UpdateSerializer, responses={200: MeOutput}, operation_id="identity_me_update"
    )
    @idempotent
    def patch(self, request):
        data = self.UpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_profile_update(user_id=request.user.id, **data.validated_data)
        return self._render(request, user)


class PasswordChangeApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class InputSerializer(StrictInputSerializer):
        old_password = serializers.CharField(**PASSWORD)
        new_password = serializers.CharField(**PASSWORD)

    @extend_schema(
        tags=["identity"], request=InputSerializer, responses={204: None}, operation_id="identity_password_change"
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.user_password_change(user_id=request.user.id, **data.validated_data)
        return Response(status=204)


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


class MyDataExportApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    @extend_schema(tags=["identity"], responses={200: UserExport}, operation_id="identity_me_export")
    def get(self, request):
        response = Response(selectors.user_export(user_id=request.user.id))
        response["Content-Disposition"] = 'attachment; filename="logitrack-my-data.json"'
        return response


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
        services.password_reset_request(email=data.validated_data["email"])
        return Response(status=202)  # the same answer whether or not the account exists


class PasswordResetConfirmApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        token = serializers.CharField(max_length=200)
        new_password = serializers.CharField(**PASSWORD)

    @extend_schema(
        tags=["identity"],
        request=InputSerializer,
        responses={204: None},
        operation_id="identity_password_reset_confirm",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.password_reset_confirm(**data.validated_data)
        return Response(status=204)


class InvitationOutput(serializers.Serializer):
    id = serializers.UUIDField()
    email = serializers.EmailField()
    fleet_id = serializers.UUIDField()
    role = serializers.ChoiceField(choices=[r.value for r in FleetRole])
    expires_at = serializers.DateTimeField()
    created_at = serializers.DateTimeField()
    accepted_at = serializers.DateTimeField(allow_null=True)
    revoked_at = serializers.DateTimeField(allow_null=True)


FLEET_FILTER = OpenApiParameter("fleet_id", uuid.UUID, description="only this fleet")


class InvitationListCreateApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField(max_length=254)
        fleet_id = serializers.UUIDField()
        role = serializers.ChoiceField(choices=[r.value for r in FleetRole])

    @extend_schema(
        tags=["identity"],
        parameters=[FLEET_FILTER],
        responses={200: InvitationOutput(many=True)},
        operation_id="identity_invitations_list",
    )
    def get(self, request):
        qs = selectors.invitation_list(principal=require_principal(request), fleet_id=query_uuid(request, "fleet_id"))
        return paginated(self, request, qs, InvitationOutput)

    @extend_schema(
        tags=["identity"],
        request=InputSerializer,
        responses={201: InvitationOutput, **problems(**{"404": "you manage no fleet by that id (`fleet.not_found`)"})},
        operation_id="identity_invitations_create",
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invitation, _ = services.invitation_create(
            principal=require_principal(request),
            email=data.validated_data["email"],
            fleet_id=data.validated_data["fleet_id"],
            role=FleetRole(data.validated_data["role"]),
        )
        return Response(InvitationOutput(invitation).data, status=201)


class InvitationRevokeApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    @extend_schema(tags=["identity"], responses={204: None}, operation_id="identity_invitations_revoke")
    def delete(self, request, invitation_id):
        services.invitation_revoke(principal=require_principal(request), invitation_id=invitation_id)
        return Response(status=204)


class InvitationAcceptApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        token = serializers.CharField(max_length=200)
        password = serializers.CharField(**PASSWORD)
        display_name = serializers.CharField(max_length=150, required=False, default="")

    @extend_schema(
        tags=["identity"],
        request=InputSerializer,
        responses={
            201: MembershipOutput,
            **problems(
                **{
                    "401": "the email has an account: send its password (`auth.invalid_credentials`)",
                    "429": "that account is locked out after failed logins (`auth.locked_out`, `Retry-After`)",
                }
            ),
        },
        operation_id="identity_invitations_accept",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = services.invitation_accept(request=request, **data.validated_data)
        return Response(MembershipOutput(membership).data, status=201)


class MemberOutput(MembershipOutput):
    display_name = serializers.CharField(source="user.display_name")
    email = serializers.EmailField(source="user.email")


class MembershipListApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    @extend_schema(
        tags=["identity"],
        parameters=[FLEET_FILTER, OpenApiParameter("role", str, enum=[r.value for r in FleetRole])],
        responses={200: MemberOutput(many=True)},
        operation_id="identity_memberships_list",
    )
    def get(self, request):
        qs = selectors.membership_list(
            principal=require_principal(request),
            fleet_id=query_uuid(request, "fleet_id"),
            role=query_choice(request, "role", [r.value for r in FleetRole]),
        )
        return paginated(self, request, qs, MemberOutput)


class MembershipRevokeApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    @extend_schema(tags=["identity"], responses={204: None}, operation_id="identity_memberships_revoke")
    def delete(self, request, membership_id):
        services.membership_revoke(membership_id=membership_id, principal=require_principal(request))
        return Response(status=204)


class UserDeactivateApi(APIView):
    permission_classes = [HasRole.of(Role.PLATFORM_ADMIN)]

    @extend_schema(tags=["identity"], request=None, responses={204: None}, operation_id="identity_users_deactivate")
    def post(self, request, user_id):
        services.user_deactivate(user_id=user_id)
        return Response(status=204)
