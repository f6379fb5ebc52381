"""Users, for platform admins: deactivate an account (ends its sessions)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity.services import accounts
from logitrack.http.principal import HasRole
from logitrack.principal import Role


class UserDeactivateApi(APIView):
    permission_classes = [HasRole.of(Role.PLATFORM_ADMIN)]

    @extend_schema(tags=["identity"], request=None, responses={204: None}, operation_id="identity_users_deactivate")
    def post(self, request, user_id):
        accounts.user_deactivate(user_id=user_id)
        return Response(status=204)
