"""Integrators' service accounts and their API keys: fleet managers create, list, rotate and revoke them. A key's
secret is in the answer that issues it and nowhere else, ever. Keys themselves may not call these endpoints (no
`key_scopes`): a key never makes or sees keys."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity import selectors
from apps.identity.contracts import API_SCOPE_DESCRIPTIONS, ApiScope, ServiceAccountNotFound
from apps.identity.rest_api.v1.serializers.api_keys import (
    SCOPES,
    ApiKeyOutput,
    ApiScopeOutput,
    IssuedApiKeyOutput,
    ServiceAccountOutput,
)
from apps.identity.services import api_keys
from logitrack.http.params import paginated
from logitrack.http.principal import HasRole, require_principal
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.idempotency.drf import idempotent
from logitrack.principal import Role

MANAGERS = HasRole.of(Role.FLEET_MANAGER)
ACCOUNT_404 = {"404": "no service account by that id among your fleets' (`identity.service_account_not_found`)"}
KEY_404 = {
    "404": "no such service account (`identity.service_account_not_found`) or key (`identity.api_key_not_found`)"
}


class ApiScopeListApi(APIView):
    permission_classes = [AllowAny]  # documentation: the same for everyone
    paginated = False  # the whole catalogue

    @extend_schema(
        tags=["identity"],
        responses={200: ApiScopeOutput(many=True)},
        operation_id="identity_api_scopes",
        description="What an API key may be allowed to do. Each operation a key may call says which scope it "
        "needs; keys reach nothing else (`403 auth.scope_missing`).",
    )
    def get(self, request):
        return Response([{"scope": s.value, "description": API_SCOPE_DESCRIPTIONS[s]} for s in ApiScope])


class ServiceAccountListCreateApi(APIView):
    permission_classes = [MANAGERS]

    class InputSerializer(StrictInputSerializer):
        fleet_id = serializers.UUIDField()
        name = serializers.CharField(max_length=120, help_text='the integration, e.g. "Shopify connector"')

    @extend_schema(
        tags=["identity"], responses={200: ServiceAccountOutput(many=True)}, operation_id="identity_service_accounts"
    )
    def get(self, request):
        qs = selectors.service_account_list(principal=require_principal(request))
        return paginated(self, request, qs, ServiceAccountOutput)

    @extend_schema(
        tags=["identity"],
        request=InputSerializer,
        responses={
            201: ServiceAccountOutput,
            **problems(
                **{
                    "404": "you manage no fleet by that id (`fleet.not_found`)",
                    "409": "the fleet has an integration by that name (`identity.service_account_exists`)",
                }
            ),
        },
        operation_id="identity_service_accounts_create",
    )
    @idempotent
    def post(self, request):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = api_keys.service_account_create(principal=require_principal(request), **data.validated_data)
        return Response(ServiceAccountOutput(account).data, status=201)


class ServiceAccountApi(APIView):
    permission_classes = [MANAGERS]

    @extend_schema(
        tags=["identity"],
        responses={200: ServiceAccountOutput, **problems(**ACCOUNT_404)},
        operation_id="identity_service_accounts_get",
    )
    def get(self, request, service_account_id):
        found = selectors.service_account_list(principal=require_principal(request)).filter(id=service_account_id)
        account = found.first()
        if account is None:
            raise ServiceAccountNotFound("no such service account")
        return Response(ServiceAccountOutput(account).data)

    @extend_schema(
        tags=["identity"],
        responses={
            204: None,
            **problems(**ACCOUNT_404, **{"409": "already revoked (`identity.service_account_revoked`)"}),
        },
        operation_id="identity_service_accounts_revoke",
        description="Switch the integration off: the account and every one of its keys stop working at once.",
    )
    def delete(self, request, service_account_id):
        api_keys.service_account_revoke(principal=require_principal(request), service_account_id=service_account_id)
        return Response(status=204)


class ApiKeyListCreateApi(APIView):
    permission_classes = [MANAGERS]

    class InputSerializer(StrictInputSerializer):
        scopes = serializers.ListField(child=serializers.ChoiceField(choices=SCOPES), min_length=1, max_length=20)
        expires_at = serializers.DateTimeField(
            required=False, allow_null=True, default=None, help_text="default: API_KEY_DEFAULT_DAYS from now"
        )

    @extend_schema(
        tags=["identity"],
        responses={200: ApiKeyOutput(many=True), **problems(**ACCOUNT_404)},
        operation_id="identity_api_keys",
    )
    def get(self, request, service_account_id):
        qs = selectors.api_key_list(principal=require_principal(request), service_account_id=service_account_id)
        return paginated(self, request, qs, ApiKeyOutput)

    @extend_schema(
        tags=["identity"],
        request=InputSerializer,
        responses={
            201: IssuedApiKeyOutput,
            **problems(
                **ACCOUNT_404,
                **{
                    "400": "unknown scopes, or an expiry in the past or too far ahead (`identity.api_key_invalid`)",
                    "409": "the service account is revoked (`identity.service_account_revoked`)",
                },
            ),
        },
        operation_id="identity_api_keys_create",
        description="A new key. Its `secret` is in this answer only: it is stored as a keyed hash and never shown "
        "again. Send it as `Authorization: Bearer <secret>` or `X-Api-Key: <secret>`.",
    )
    # not @idempotent: a replay store would keep the answer, and with it the secret, in the database
    def post(self, request, service_account_id):
        data = self.InputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = api_keys.api_key_create(
            principal=require_principal(request), service_account_id=service_account_id, **data.validated_data
        )
        return Response(IssuedApiKeyOutput(issued).data, status=201)


class ApiKeyRevokeApi(APIView):
    permission_classes = [MANAGERS]

    @extend_schema(
        tags=["identity"],
        responses={204: None, **problems(**KEY_404, **{"409": "already revoked (`identity.api_key_revoked`)"})},
        operation_id="identity_api_keys_revoke",
    )
    def delete(self, request, service_account_id, key_id):
        api_keys.api_key_revoke(
            principal=require_principal(request), service_account_id=service_account_id, key_id=key_id
        )
        return Response(status=204)


class ApiKeyRotateApi(APIView):
    permission_classes = [MANAGERS]

    @extend_schema(
        tags=["identity"],
        request=None,
        responses={
            201: IssuedApiKeyOutput,
            **problems(
                **KEY_404,
                **{
                    "409": "the key is revoked or expired (`identity.api_key_revoked`) or was rotated already "
                    "(`identity.api_key_rotated`)"
                },
            ),
        },
        operation_id="identity_api_keys_rotate",
        description="A successor key with the same scopes (its `secret` shown this once). The old key keeps "
        "working for API_KEY_ROTATION_GRACE_HOURS, then answers `401 auth.key_rotated`.",
    )
    # not @idempotent: a replay store would keep the answer, and with it the secret, in the database
    def post(self, request, service_account_id, key_id):
        issued = api_keys.api_key_rotate(
            principal=require_principal(request), service_account_id=service_account_id, key_id=key_id
        )
        return Response(IssuedApiKeyOutput(issued).data, status=201)
