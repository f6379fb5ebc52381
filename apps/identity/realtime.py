"""Websocket authentication: a JWT access token (query string `?token=` or the subprotocols
`["bearer", "<token>"]`) or the session cookie, resolved to a principal before any consumer runs."""

from __future__ import annotations

from urllib.parse import parse_qs

from channels.auth import AuthMiddlewareStack
from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken, TokenError

from logitrack.http.principal import principal_for_user

BEARER = "bearer"


def _token_from(scope) -> tuple[str | None, str | None]:
    """(token, subprotocol to echo on accept)."""
    protocols = scope.get("subprotocols") or []
    if len(protocols) >= 2 and protocols[0].lower() == BEARER:
        return protocols[1], protocols[0]
    values = parse_qs(scope.get("query_string", b"").decode()).get("token")
    return (values[0], None) if values else (None, None)


@database_sync_to_async
def _resolve(raw: str | None, session_user):
    """(user, principal, expires_at) — a presented token must be valid; it never falls back to the session."""
    if raw is not None:
        auth = JWTAuthentication()
        try:
            validated = auth.get_validated_token(raw.encode())
            user = auth.get_user(validated)
        except (InvalidToken, TokenError, AuthenticationFailed):
            return AnonymousUser(), None, None
        return user, principal_for_user(user), float(validated["exp"])
    if session_user is not None and getattr(session_user, "is_authenticated", False):
        return session_user, principal_for_user(session_user), None
    return AnonymousUser(), None, None


class JWTAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        raw, subprotocol = _token_from(scope)
        user, principal, expires_at = await _resolve(raw, scope.get("user"))
        scope = {
            **scope,
            "user": user,
            "principal": principal,
            "auth_expires_at": expires_at,
            "auth_subprotocol": subprotocol,
        }
        return await super().__call__(scope, receive, send)


def AuthStack(inner):
    """Session auth first (cookies), then a JWT when one is presented."""
    return AuthMiddlewareStack(JWTAuthMiddleware(inner))
