"""Memberships: fleet managers list their fleets' members and revoke a role."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity import selectors
from apps.identity.contracts import FleetRole
from apps.identity.rest_api.v1.serializers.memberships import MemberOutput
from apps.identity.rest_api.v1.views.invitations import FLEET_FILTER
from apps.identity.services import memberships
from logitrack.http.params import paginated, query_choice, query_uuid
from logitrack.http.principal import HasRole, require_principal
from logitrack.principal import Role


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
        memberships.membership_revoke(membership_id=membership_id, principal=require_principal(request))
        return Response(status=204)
