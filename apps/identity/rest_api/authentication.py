"""API keys on the REST API: `Authorization: Bearer lt_…` or `X-Api-Key: lt_…`, and the scopes views declare.

First of DEFAULT_AUTHENTICATION_CLASSES: it answers only for a key (a JWT never starts with `lt_`; anything else
goes on to JWT and session authentication). A key's request is checked against the view's `key_scopes` right
here, as it authenticates, so no view can forget it: a view without `key_scopes`, or whose method's scope the key
lacks, answers 403 `auth.scope_missing` before any permission class or handler runs.

    key_scopes = {"GET": "trips:read", "POST": "trips:book"}   # "*" for every method not named
"""

from __future__ import annotations

import uuid
from typing import Any

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework_simplejwt import authentication as simplejwt

from apps.identity.contracts import API_KEY_PREFIX, API_SCOPE_DESCRIPTIONS
from logitrack.http.principal import required_scope
from logitrack.http.remote_auth import TokenCaller
from logitrack.principal import Principal

HEADER = "HTTP_X_API_KEY"
REALM = 'Bearer realm="api"'  # what the JWT authentication answers too, so 401s look alike


class KeyRejected(exceptions.AuthenticationFailed):
    problem_title = "API key rejected"

    def __init__(self, detail: str, *, code: str) -> None:
        super().__init__(detail)
        self.problem_code = code


class ScopeMissing(exceptions.PermissionDenied):
    problem_title = "API key lacks a scope"
    problem_code = "auth.scope_missing"

    def __init__(self, detail: str, *, scope: str | None) -> None:
        super().__init__({"detail": detail, "scope": scope} if scope else {"detail": detail})


class ServiceAccountCaller:
    """request.user for a key: the service account, carrying its principal (logitrack.http.principal reads it)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False

    def __init__(self, *, service_account_id: uuid.UUID, name: str, principal: Principal) -> None:
        self.pk = self.id = service_account_id
        self.display_name = name
        self.logitrack_principal = principal

    def __str__(self) -> str:
        return f"service account {self.display_name}"


class JWTAuthentication(simplejwt.JWTAuthentication):
    """simplejwt's access tokens, with the user resolved through identity's principal cache: warm, a request costs
    one cache round trip and no query. The checks are simplejwt's (active, password unchanged since the token was
    issued) plus one it lacks: the token's login was not ended (logout, refresh-token reuse)."""

    def get_user(self, validated_token: Any) -> TokenCaller:  # type: ignore[override]  # not the user model
        from apps.identity import principals

        user_id, principal = principals.token_principal(validated_token)
        return TokenCaller(user_id=user_id, principal=principal)


class JWTScheme(SimpleJWTScheme):
    """The OpenAPI document describes ours as simplejwt's bearer token."""

    target_class = "apps.identity.rest_api.authentication.JWTAuthentication"


def presented_key(request: Any) -> str | None:
    """The key of a request, from `X-Api-Key` or a Bearer credential that starts like a key."""
    header = request.META.get(HEADER)
    if header:
        return str(header).strip()
    parts = get_authorization_header(request).split()
    if len(parts) == 2 and parts[0].lower() == b"bearer" and parts[1].startswith(API_KEY_PREFIX.encode()):
        return parts[1].decode("latin-1")
    return None


class ApiKeyAuthentication(BaseAuthentication):
    def authenticate(self, request: Any) -> tuple[ServiceAccountCaller, Any] | None:
        raw = presented_key(request)
        if raw is None:
            return None
        # imported here: DRF imports this class with rest_framework.views, which may be before models can load
        from apps.identity.services import api_keys

        try:
            key, principal = api_keys.api_key_authenticate(raw=raw)
        except api_keys.KeyRejected as exc:
            raise KeyRejected(exc.message, code=exc.code) from None
        view = (getattr(request, "parser_context", None) or {}).get("view")
        scope = required_scope(view, request.method)
        if scope is None:
            raise ScopeMissing("API keys may not call this endpoint", scope=None)
        if not principal.has_scope(scope):
            raise ScopeMissing(f"this API key lacks the scope {scope}", scope=scope)
        caller = ServiceAccountCaller(
            service_account_id=key.service_account_id, name=key.service_account.name, principal=principal
        )
        return caller, key

    def authenticate_header(self, request: Any) -> str:
        return REALM


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """The key in the OpenAPI document: a security scheme, listed only on operations a key may call, each
    operation naming its scope (logitrack.http.schema adds it to the description)."""

    target_class = "apps.identity.rest_api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        scopes = "\n".join(f"- `{s.value}`: {d}" for s, d in API_SCOPE_DESCRIPTIONS.items())
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "An integrator's API key (`lt_<prefix>_<secret>`), made by a fleet manager for a service "
            "account of one fleet (`/api/v1/identity/service-accounts/`). Send it as `X-Api-Key` or as "
            "`Authorization: Bearer <key>`. It acts in its fleet only, and only where an operation names one of its "
            f"scopes:\n\n{scopes}",
        }

    def get_security_requirement(self, auto_schema: Any) -> Any:
        return {self.name: []} if required_scope(auto_schema.view, auto_schema.method) else []
