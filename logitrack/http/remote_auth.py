"""REST authentication for a process that is not the platform (an extracted service such as billing run on its
own): access tokens are verified with the public keys identity publishes at its JWKS address, and the caller's
principal is read from the token's claims. No database of identity's, no shared secret.

Selected by settings (`LOGITRACK_AUTH=jwks`, with `JWT_JWKS_URL`): then it is the only REST authentication.
What it cannot know without identity: a logout, a password change or a changed membership reaches it only when
the access token expires (`JWT_ACCESS_MINUTES`, 5); API keys and sessions are not accepted (they live in identity's
tables). See docs/production.md, "JWT signing keys".
"""

from __future__ import annotations

import functools
import uuid
from typing import Any

from django.conf import settings
from django.test.signals import setting_changed
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header

from logitrack import jwks
from logitrack.principal import Principal

REALM = 'Bearer realm="api"'


@functools.cache
def jwks_client() -> jwks.JWKSClient:
    """This process's JWKS client (one cache for every request), built from settings on first use."""
    url = settings.JWT_JWKS_URL
    if not url:
        raise exceptions.APIException("JWT_JWKS_URL is not set")  # settings refuse this; a 500 if bypassed
    return jwks.JWKSClient(
        url,
        max_age=settings.JWT_JWKS_MAX_AGE_SECONDS,
        min_refetch=settings.JWT_JWKS_MIN_REFETCH_SECONDS,
        timeout=settings.JWT_JWKS_TIMEOUT_SECONDS,
    )


def _forget_client(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("JWT_JWKS_"):
        jwks_client.cache_clear()


setting_changed.connect(_forget_client)


class TokenRejected(exceptions.AuthenticationFailed):
    problem_title = "Token rejected"

    def __init__(self, detail: str, *, code: str) -> None:
        super().__init__(detail)
        self.problem_code = code


class KeysUnavailable(exceptions.APIException):
    """identity's key set cannot be fetched and none is cached: the token can be judged neither way."""

    status_code = 503
    problem_code = "auth.keys_unavailable"
    problem_title = "Signing keys unavailable"
    default_detail = "the token's signing keys cannot be fetched now; try again shortly"


class TokenCaller:
    """request.user for a verified access token: the user's id and principal (from identity's principal cache, or
    in a service split out from the token's claims), without reading a user row (views that need the account load
    it by id)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False

    def __init__(self, *, user_id: uuid.UUID, principal: Principal) -> None:
        self.pk = self.id = user_id
        self.logitrack_principal = principal
        self.is_superuser = principal.is_platform_admin

    def __str__(self) -> str:
        return f"user {self.pk}"


def caller_from_token(raw: str) -> tuple[TokenCaller, dict[str, Any]]:
    """The caller of an access token verified against the JWKS. Raises TokenRejected or KeysUnavailable."""
    try:
        claims = jwks.verify(
            raw,
            jwks_client().key,
            audience=settings.JWT_AUDIENCE or None,
            issuer=settings.JWT_ISSUER or None,
            leeway=settings.JWT_LEEWAY_SECONDS,
            token_type="access",
        )
    except jwks.TokenInvalid as exc:
        raise TokenRejected(exc.message, code=exc.code) from None
    except jwks.KeysUnavailable:
        raise KeysUnavailable() from None
    try:
        user_id = uuid.UUID(str(claims["sub"]))
        principal = Principal.from_claims(user_id=user_id, claims=claims)
    except (KeyError, ValueError):
        raise TokenRejected("the token does not say who is calling", code="auth.token_invalid") from None
    return TokenCaller(user_id=user_id, principal=principal), claims


class JWKSAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[TokenCaller, dict[str, Any]] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2:
            raise TokenRejected("send Authorization: Bearer <access token>", code="auth.token_invalid")
        return caller_from_token(parts[1].decode("latin-1"))

    def authenticate_header(self, request: Any) -> str:
        return REALM


class JWKSScheme(OpenApiAuthenticationExtension):
    """The OpenAPI document describes it as the platform's bearer token (it is the same token)."""

    target_class = "logitrack.http.remote_auth.JWKSAuthentication"
    name = "jwtAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
