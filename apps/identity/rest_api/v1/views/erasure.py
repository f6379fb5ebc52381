"""GDPR erasure over REST (services.erasure.user_erase_as has the rules): a platform admin erases a user by id;
a user erases their own account, confirming with their password. The account row stays, pseudonymous; every other
context is told (UserErasedV1) to anonymise what it holds."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity.rest_api.v1.serializers.fields import password_field
from apps.identity.services import erasure
from logitrack.http.principal import HasRole, IsAuthenticatedPrincipal, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role


class ErasedOutput(serializers.Serializer):
    id = serializers.UUIDField()
    erased_at = serializers.DateTimeField()


REFUSED = {
    "409": "a platform admin's account (`identity.erase_admin`: remove the admin rights first), or one erased "
    "already (`identity.already_erased`)",
}


class UserEraseApi(APIView):
    permission_classes = [HasRole.of(Role.PLATFORM_ADMIN)]

    @extend_schema(
        tags=["identity"],
        request=None,
        responses={200: ErasedOutput, **problems(404, **REFUSED)},
        operation_id="identity_users_erase",
        description="Erase a user's personal data (GDPR, irreversible). Platform admins only.",
    )
    @idempotent
    def post(self, request, user_id):
        user = erasure.user_erase_as(principal=require_principal(request), user_id=user_id)
        return Response(ErasedOutput(user).data)


class MyErasureApi(APIView):
    permission_classes = [IsAuthenticatedPrincipal]

    class InputSerializer(StrictInputSerializer):
        password = password_field()

    @extend_schema(
        tags=["identity"],
        request=InputSerializer,
        responses={
            200: ErasedOutput,
            **problems(**{"403": "the password is wrong (`identity.wrong_password`)"}, **REFUSED),
        },
        operation_id="identity_me_erase",
        description="Erase your own account (GDPR, irreversible): you are signed out everywhere and can no longer "
        "sign in. Confirm with your current password.",
    )
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        principal = require_principal(request)
        user = erasure.user_erase_as(
            principal=principal, user_id=principal.user_id, password=data.validated_data["password"]
        )
        return Response(ErasedOutput(user).data)
