"""Invitations: fleet managers invite, list and revoke; the invitee accepts with the emailed token."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity import selectors
from apps.identity.contracts import FleetRole
from apps.identity.rest_api.v1.filters import InvitationFilter
from apps.identity.rest_api.v1.serializers.fields import password_field
from apps.identity.rest_api.v1.serializers.invitations import InvitationOutput
from apps.identity.rest_api.v1.serializers.memberships import MembershipOutput
from apps.identity.rest_api.v1.views.auth import AuthApi
from apps.identity.services import invitations
from logitrack.http.filters import FilteredList
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class InvitationListCreateApi(FilteredList, APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]
    filterset_class = InvitationFilter

    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField(max_length=254)
        fleet_id = serializers.UUIDField()
        role = serializers.ChoiceField(choices=[r.value for r in FleetRole])

    @extend_schema(
        tags=["identity"],
        responses={200: InvitationOutput(many=True)},
        operation_id="identity_invitations_list",
    )
    def get(self, request):
        qs = self.filter_queryset(selectors.invitation_list(principal=require_principal(request)))
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
        invitation, _ = invitations.invitation_create(
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
        invitations.invitation_revoke(principal=require_principal(request), invitation_id=invitation_id)
        return Response(status=204)


class InvitationAcceptApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        token = serializers.CharField(max_length=200)
        password = password_field()
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
        membership = invitations.invitation_accept(request=request, **data.validated_data)
        return Response(MembershipOutput(membership).data, status=201)
