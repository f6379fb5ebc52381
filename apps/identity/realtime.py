"""Websocket authentication: a JWT access token (query string `?token=` or the subprotocols
`["bearer", "<token>"]`) or the session cookie, resolved to a principal before any consumer runs.

A token goes through the REST API's own check (`principals.token_principal`: the principal cache, a changed password,
an ended login), so a logged-out token is refused here as it is there. The scope carries
`auth_check`, which asks the same again, for the consumer's periodic re-check of an open socket
(logitrack.realtime, REALTIME_AUTH_RECHECK_SECONDS)."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from apps.identity import principals
from logitrack.http.principal import principal_for_user

BEARER = "bearer"


def _token_from(scope) -> tuple[str | None, str | None]:
    """(token, subprotocol to echo on accept)."""
    protocols = scope.get("subprotocols") or []
    if len(protocols) >= 2 and protocols[0].lower() == BEARER:
        return protocols[1], protocols[0]
    values = parse_qs(scope.get("query_string", b"").decode()).get("token")
    return (values[0], None) if values else (None, None)


def _still_valid(validated) -> bool:
    try:
        principals.token_principal(validated)
    except AuthenticationFailed:  # logged out, password changed, deactivated or erased since the socket opened
        return False
    return True


class _TokenUser:
    """scope["user"] for a token: who it is, without reading the user's row (consumers use the principal)."""

    is_authenticated = True
    is_anonymous = False
    is_active = True

    def __init__(self, user_id) -> None:
        self.pk = self.id = user_id


@database_sync_to_async
def _resolve(raw: str | None, session_user):
    """(user, principal, expires_at, check) — a presented token must be valid; it never falls back to the session.
    `check` (tokens only) answers whether the token still holds."""
    if raw is not None:
        try:
            validated = JWTAuthentication().get_validated_token(raw.encode())  # signature, expiry, token type
            user_id, principal = principals.token_principal(validated)
        except (InvalidToken, TokenError, AuthenticationFailed):
            return AnonymousUser(), None, None, None
        check = database_sync_to_async(lambda: _still_valid(validated))
        return _TokenUser(user_id), principal, float(validated["exp"]), check
    if session_user is not None and getattr(session_user, "is_authenticated", False):
        return session_user, principal_for_user(session_user), None, None
    return AnonymousUser(), None, None, None


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        raw, subprotocol = _token_from(scope)
        user, principal, expires_at, check = await _resolve(raw, scope.get("user"))
        scope = {
            **scope,
            "user": user,
            "principal": principal,
            "auth_expires_at": expires_at,
            "auth_check": check,
            "auth_subprotocol": subprotocol,
        }
        return await super().__call__(scope, receive, send)


def AuthStack(inner):
    """Session auth first (cookies), then a JWT when one is presented."""
    return AuthMiddlewareStack(JWTAuthMiddleware(inner))
