"""Memberships: fleet managers list their fleets' members and revoke a role."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity import selectors
from apps.identity.rest_api.v1.filters import MembershipFilter
from apps.identity.rest_api.v1.serializers.memberships import MemberOutput
from apps.identity.services import memberships
from logitrack.http.filters import FilteredList
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.principal import Role


class MembershipListApi(FilteredList, APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]
    filterset_class = MembershipFilter

    @extend_schema(
        tags=["identity"], responses={200: MemberOutput(many=True)}, operation_id="identity_memberships_list"
    )
    def get(self, request):
        qs = self.filter_queryset(selectors.membership_list(principal=require_principal(request)))
        return paginated(self, request, qs, MemberOutput)


class MembershipRevokeApi(APIView):
    permission_classes = [HasRole.of(Role.FLEET_MANAGER)]

    @extend_schema(tags=["identity"], responses={204: None}, operation_id="identity_memberships_revoke")
    def delete(self, request, membership_id):
        memberships.membership_revoke(membership_id=membership_id, principal=require_principal(request))
        return Response(status=204)
