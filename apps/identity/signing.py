"""The keys identity signs JWTs with, and simplejwt's token backend that uses them.

One active signing key (`JWT_SIGNING_KEY`, a private key) names itself in every token's `kid` header; older keys
(`JWT_VERIFICATION_KEYS`, public or private) are still accepted and published until the tokens they signed have
expired. The key set is read from settings once, and again when a test changes them.

No key configured (the embedded default, development, tests): an Ed25519 key derived from SECRET_KEY, so every
process of a development setup agrees on it without a file to share, and tokens survive restarts. It is only as
secret as SECRET_KEY; production refuses it (`checks.jwt_key_problems`, identity.E007).

simplejwt keeps one token backend per process (`rest_framework_simplejwt.state.token_backend`); `install()` puts
this one in its place (IdentityConfig.ready), so every token simplejwt makes or reads — ours, its serializers',
tests' `AccessToken.for_user` — is signed and checked here, and nothing signs with SECRET_KEY.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ed25519
from django.conf import settings
from django.test.signals import setting_changed
from rest_framework_simplejwt import state
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError, TokenBackendExpiredToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from logitrack import jwks

DEV_KEY_LABEL = b"logitrack.identity.jwt-signing-key.v1:"


def dev_key(secret_key: str) -> jwks.Key:
    """The key used when none is configured: an Ed25519 seed derived from SECRET_KEY."""
    seed = hashlib.sha256(DEV_KEY_LABEL + secret_key.encode()).digest()
    return jwks.Key.of(ed25519.Ed25519PrivateKey.from_private_bytes(seed))


@functools.cache
def key_set() -> jwks.KeySet:
    secret_key = settings.SECRET_KEY
    return jwks.key_set_from_pem(
        settings.JWT_SIGNING_KEY, settings.JWT_VERIFICATION_KEYS, default=lambda: dev_key(secret_key)
    )


def uses_dev_key() -> bool:
    return not jwks.pem_blocks(settings.JWT_SIGNING_KEY)


class VerifiedTokens:
    """Tokens whose signature and claims this process checked, with their claims, until they expire: a mobile app
    sends the same access token for minutes, and checking it again (Ed25519 and PyJWT's parsing, ~250 µs) was
    the largest part of authenticating a request. Only a token identical to one that passed is found here, and
    its expiry is checked on every use; whether its login still holds is asked after this, as before."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._claims: OrderedDict[str, tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, token: str, leeway: float) -> dict[str, Any] | None:
        with self._lock:
            found = self._claims.get(token)
            if found is None:
                return None
            if found[0] + leeway <= time.time():
                del self._claims[token]
                return None
            self._claims.move_to_end(token)
            return dict(found[1])

    def put(self, token: str, claims: dict[str, Any]) -> None:
        expires = claims.get("exp")
        if not isinstance(expires, int | float):
            return
        with self._lock:
            self._claims[token] = (float(expires), dict(claims))
            self._claims.move_to_end(token)
            while len(self._claims) > self.size:
                self._claims.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._claims.clear()


verified = VerifiedTokens()


def _reload(*, setting: str, **kwargs: Any) -> None:
    if setting in ("JWT_SIGNING_KEY", "JWT_VERIFICATION_KEYS", "SECRET_KEY", "JWT_ISSUER", "JWT_AUDIENCE"):
        key_set.cache_clear()
        verified.clear()  # a key taken out of the set stops what it signed at once
        install()


setting_changed.connect(_reload)


class KeySetBackend(TokenBackend):
    """simplejwt's backend, signing with the active key (its kid in the header) and verifying with the key a
    token's kid names, in that key's algorithm only."""

    def __init__(self) -> None:
        super().__init__(
            "EdDSA",  # simplejwt validates one algorithm; each key brings its own (EdDSA or RS256)
            audience=settings.JWT_AUDIENCE or None,
            issuer=settings.JWT_ISSUER or None,
            leeway=settings.JWT_LEEWAY_SECONDS,
            json_encoder=jwt_settings.JSON_ENCODER,
        )

    def encode(self, payload: dict[str, Any]) -> str:
        claims = dict(payload)
        if self.audience is not None:
            claims["aud"] = self.audience
        if self.issuer is not None:
            claims["iss"] = self.issuer
        return jwks.sign(claims, key_set().signing, json_encoder=self.json_encoder)

    def decode(self, token: Any, verify: bool = True) -> dict[str, Any]:
        raw = token.decode() if isinstance(token, bytes) else str(token)
        if not verify:  # simplejwt reads a token's claims so only where it has no use for them yet
            try:
                return dict(jwt.decode(raw, options={"verify_signature": False}))
            except jwt.InvalidTokenError:
                raise TokenBackendError("Token is invalid") from None
        leeway = self.get_leeway().total_seconds()
        claims = verified.get(raw, leeway)
        if claims is not None:
            return claims
        try:
            claims = jwks.verify(
                raw,
                key_set().get,
                audience=self.audience if isinstance(self.audience, str) else None,
                issuer=self.issuer,
                leeway=leeway,
                token_type=None,  # simplejwt's token classes check the type themselves
            )
        except jwks.TokenInvalid as exc:
            if exc.code == "auth.token_expired":
                raise TokenBackendExpiredToken("Token is expired") from None
            raise TokenBackendError("Token is invalid") from None
        verified.put(raw, claims)
        return claims


def install() -> None:
    """Make this the token backend of every simplejwt token in this process."""
    state.token_backend = KeySetBackend()


def jwks_document() -> dict[str, list[dict[str, str]]]:
    """The public keys, for /.well-known/jwks.json."""
    return key_set().jwks()
