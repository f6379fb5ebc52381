"""Auth tokens: log in for a token pair, rotate it, log out. Credentials travel in the body."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.identity import signing, tokens
from apps.identity.rest_api.v1.serializers.auth import TokenPairSerializer, token_pair_data
from apps.identity.rest_api.v1.serializers.fields import password_field
from apps.identity.services import logins
from logitrack.http.renderers import JSONRenderer
from logitrack.http.schema import problems
from logitrack.http.serializers import StrictInputSerializer
from logitrack.http.throttling import ScopedRateThrottle


class AuthApi(APIView):
    """Credentials travel in the body: no session or bearer authentication, throttled per IP."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"


class TokenObtainApi(AuthApi):
    class InputSerializer(StrictInputSerializer):
        email = serializers.EmailField()
        password = password_field()

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
        pair = logins.user_login(request=request, **data.validated_data)
        return Response(token_pair_data(pair))


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
        return Response(token_pair_data(tokens.token_pair_rotate(raw_refresh=data.validated_data["refresh"])))


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


class JwkSetRenderer(JSONRenderer):
    media_type = "application/jwk-set+json"  # RFC 7517's own type, which some JWKS clients ask for


class JwksApi(APIView):
    """The public keys tokens are signed with, for anyone verifying them without identity (extracted services)."""

    renderer_classes = [JSONRenderer, JwkSetRenderer]
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []  # public and unchanging between rotations; verifiers behind one address share it

    @extend_schema(
        tags=["auth"],
        responses={
            200: inline_serializer(
                "JsonWebKeySet",
                {
                    "keys": serializers.ListField(
                        child=serializers.DictField(child=serializers.CharField()),
                        help_text="RFC 7517 public keys (`kty`, `crv`/`n`/`e`, `x`, `kid`, `alg`, `use`): the key "
                        "signing new tokens first, then older keys still accepted",
                    )
                },
            )
        },
        operation_id="auth_jwks",
        auth=[],
    )
    def get(self, request):
        response = Response(signing.jwks_document())
        response["Cache-Control"] = f"public, max-age={settings.JWKS_MAX_AGE_SECONDS}"
        return response
