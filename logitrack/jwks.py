"""Asymmetric JWT keys, their JSON Web Key Set (RFC 7517), and verifying tokens with only the public keys.

Identity signs access and refresh tokens with one active private key and names it in the token's `kid` header;
it publishes the public half of every key it still accepts at `/.well-known/jwks.json`. Any other process (an
extracted service) verifies with `JWKSClient` + `verify`: no shared secret, no database.

Keys are Ed25519 (`EdDSA`, preferred: small, fast, no parameters to get wrong) or RSA of 2048+ bits (`RS256`, for
verifiers that lack EdDSA). A key's id is its RFC 7638 thumbprint, so it never has to be configured and two
processes given the same key agree on its name. A token is checked against the one key its `kid` names, with that
key's algorithm only: a token that names another algorithm (`HS256` signed with some secret, `none`) is refused.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import jwt
import structlog
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

log = structlog.get_logger(__name__)

PrivateKey = ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey
PublicKey = ed25519.Ed25519PublicKey | rsa.RSAPublicKey
MIN_RSA_BITS = 2048
_PEM_BEGIN = "-----BEGIN "


class UnusableKey(ValueError):
    """A configured or published key that cannot be used (wrong type, too weak, unreadable)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _int_b64(n: int) -> str:
    return _b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def thumbprint(jwk: Mapping[str, str]) -> str:
    """RFC 7638: sha256 over the key's required members in lexicographic order, base64url."""
    members = {"OKP": ("crv", "kty", "x"), "RSA": ("e", "kty", "n")}[jwk["kty"]]
    canonical = json.dumps({m: jwk[m] for m in members}, separators=(",", ":"), sort_keys=True)
    return _b64(hashlib.sha256(canonical.encode()).digest())


@dataclasses.dataclass(frozen=True)
class Key:
    """One key: always its public half, and the private half where this process signs with it."""

    kid: str
    alg: str
    public: PublicKey
    private: PrivateKey | None = dataclasses.field(default=None, repr=False)

    @classmethod
    def of(cls, key: PrivateKey | PublicKey) -> Key:
        if isinstance(key, ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey):
            private: PrivateKey | None = key
            public: PublicKey = key.public_key()
        elif isinstance(key, ed25519.Ed25519PublicKey | rsa.RSAPublicKey):
            private, public = None, key
        else:
            raise UnusableKey(f"{type(key).__name__} keys are not supported: use Ed25519 (or RSA)")
        if isinstance(public, rsa.RSAPublicKey) and public.key_size < MIN_RSA_BITS:
            raise UnusableKey(f"an RSA key of {public.key_size} bits is too weak: use {MIN_RSA_BITS}+ (or Ed25519)")
        alg = "EdDSA" if isinstance(public, ed25519.Ed25519PublicKey) else "RS256"
        return cls(kid=thumbprint(_public_jwk(public)), alg=alg, public=public, private=private)

    @classmethod
    def from_pem(cls, pem: str) -> Key:
        """A private key (PKCS#8 or traditional) or a public key (SubjectPublicKeyInfo), unencrypted PEM."""
        data = pem.strip().encode()
        try:
            if b"PRIVATE KEY" in data.split(b"\n", 1)[0]:
                loaded: Any = serialization.load_pem_private_key(data, password=None)
            else:
                loaded = serialization.load_pem_public_key(data)
        except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
            raise UnusableKey(f"not a readable unencrypted PEM key: {exc}") from None
        return cls.of(loaded)

    @classmethod
    def generate(cls) -> Key:
        return cls.of(ed25519.Ed25519PrivateKey.generate())

    def jwk(self) -> dict[str, str]:
        """The public key as a JWK, with its id, algorithm and use (what the JWKS lists)."""
        return {**_public_jwk(self.public), "kid": self.kid, "alg": self.alg, "use": "sig"}

    def public_pem(self) -> str:
        return self.public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode()

    def private_pem(self) -> str:
        if self.private is None:
            raise UnusableKey(f"key {self.kid} has no private half here")
        return self.private.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()


def _public_jwk(public: PublicKey) -> dict[str, str]:
    if isinstance(public, ed25519.Ed25519PublicKey):
        raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        return {"kty": "OKP", "crv": "Ed25519", "x": _b64(raw)}
    numbers = public.public_numbers()
    return {"kty": "RSA", "n": _int_b64(numbers.n), "e": _int_b64(numbers.e)}


def key_from_jwk(jwk: Mapping[str, Any]) -> Key:
    """A published public key. Its id must be its thumbprint: a JWKS cannot rename one key to stand for another."""
    if jwk.get("use", "sig") != "sig":
        raise UnusableKey("not a signing key")
    try:
        loaded = jwt.PyJWK(dict(jwk)).key
    except (jwt.PyJWKError, jwt.InvalidKeyError, KeyError, ValueError, TypeError) as exc:
        raise UnusableKey(f"unreadable JWK: {exc}") from None
    key = Key.of(loaded)
    if key.private is not None:
        raise UnusableKey("a published key must be public")
    if jwk.get("kid") != key.kid or jwk.get("alg", key.alg) != key.alg:
        raise UnusableKey(f"JWK kid {jwk.get('kid')!r} / alg {jwk.get('alg')!r} do not match the key")
    return key


def pem_blocks(text: str) -> list[str]:
    """The PEM blocks of a bundle (several keys one after another). A setting may hold `\\n` for line breaks."""
    text = text.replace("\\n", "\n").strip()
    if not text:
        return []
    if not text.startswith(_PEM_BEGIN):
        raise UnusableKey("expected PEM (-----BEGIN …)")
    parts = [_PEM_BEGIN + part for part in text.split(_PEM_BEGIN) if part.strip()]
    return [p.strip() + "\n" for p in parts]


@dataclasses.dataclass(frozen=True)
class KeySet:
    """The key that signs, and every key still accepted (the signing key first)."""

    signing: Key
    verification: tuple[Key, ...]

    @classmethod
    def build(cls, signing: Key, others: Iterable[Key] = ()) -> KeySet:
        if signing.private is None:
            raise UnusableKey("the signing key must be a private key")
        seen = {signing.kid: signing}
        for key in others:
            seen.setdefault(key.kid, Key(kid=key.kid, alg=key.alg, public=key.public))  # never publish a private half
        return cls(signing=signing, verification=tuple(seen.values()))

    def get(self, kid: str) -> Key | None:
        return next((k for k in self.verification if k.kid == kid), None)

    def jwks(self) -> dict[str, list[dict[str, str]]]:
        return {"keys": [k.jwk() for k in self.verification]}


def key_set_from_pem(signing_pem: str, verification_pems: str, *, default: Callable[[], Key]) -> KeySet:
    """The key set of two settings: one private key that signs (`default()` when there is none) and a bundle of
    older keys still accepted. Raises UnusableKey on a key that cannot sign or verify."""
    blocks = pem_blocks(signing_pem)
    if len(blocks) > 1:
        raise UnusableKey("the signing key setting holds more than one key: put older ones with the verification keys")
    signing = Key.from_pem(blocks[0]) if blocks else default()
    if signing.private is None:
        raise UnusableKey("the signing key is a public key: it must be the private key")
    return KeySet.build(signing, [Key.from_pem(p) for p in pem_blocks(verification_pems)])


def sign(payload: Mapping[str, Any], key: Key, *, json_encoder: type[json.JSONEncoder] | None = None) -> str:
    if key.private is None:
        raise UnusableKey(f"key {key.kid} cannot sign here")
    return jwt.encode(
        dict(payload), key.private, algorithm=key.alg, headers={"kid": key.kid}, json_encoder=json_encoder
    )


class TokenInvalid(Exception):
    """A token that must be refused; `code` is stable (`auth.token_invalid`, `auth.token_expired`, …)."""

    def __init__(self, message: str, *, code: str = "auth.token_invalid") -> None:
        super().__init__(message)
        self.message, self.code = message, code


class KeysUnavailable(Exception):
    """No key set could be had from the JWKS address (and none is cached): the token cannot be judged now."""


def verify(
    token: str,
    key_for: Callable[[str], Key | None],
    *,
    audience: str | None,
    issuer: str | None,
    leeway: float = 0,
    token_type: str | None = "access",
    token_type_claim: str = "token_type",
) -> dict[str, Any]:
    """The claims of a token signed by the key its `kid` names, with that key's algorithm, unexpired, for this
    audience and issuer (and of this type: a refresh token is not an access token). Raises TokenInvalid."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.InvalidTokenError:
        raise TokenInvalid("not a JWT") from None
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise TokenInvalid("the token names no signing key (kid)")
    key = key_for(kid)
    if key is None:
        raise TokenInvalid("the token's signing key is not (or no longer) accepted", code="auth.token_unknown_key")
    required = ["exp", "iat", "sub"] + (["aud"] if audience else []) + (["iss"] if issuer else [])
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key.public,
            algorithms=[key.alg],
            audience=audience,
            issuer=issuer,
            leeway=leeway,
            options={"require": required, "verify_aud": audience is not None},
        )
    except jwt.ExpiredSignatureError:
        raise TokenInvalid("the token has expired", code="auth.token_expired") from None
    except jwt.InvalidTokenError as exc:
        raise TokenInvalid(f"the token is invalid: {exc}") from None
    if token_type is not None and claims.get(token_type_claim) != token_type:
        raise TokenInvalid(f"not an {token_type} token")
    return claims


class JWKSClient:
    """A JWKS fetched over HTTP and kept for `max_age` seconds. A token naming a kid not in it makes it fetch
    again at once (a rotation just happened), but at most once per `min_refetch` seconds, so tokens with made-up
    kids cannot turn every request into a fetch. While the address cannot be reached, the keys fetched last keep
    answering; only with none at all does `key` raise KeysUnavailable. Thread-safe; one per process is enough."""

    def __init__(self, url: str, *, max_age: float = 300, min_refetch: float = 30, timeout: float = 3) -> None:
        self.url, self.max_age, self.min_refetch, self.timeout = url, max_age, min_refetch, timeout
        self._keys: dict[str, Key] | None = None
        self._fetched_at = 0.0  # when the keys held were fetched
        self._tried_at = -float("inf")  # when a fetch was last tried, whatever came of it
        self._lock = threading.Lock()
        self.fetches = 0  # how many times the address was asked (for tests and logs)

    def key(self, kid: str) -> Key | None:
        with self._lock:
            now = time.monotonic()
            stale = self._keys is None or now - self._fetched_at >= self.max_age
            if stale and now - self._tried_at >= min(self.min_refetch, self.max_age):
                self._refresh(now)
            elif self._keys is not None and kid not in self._keys and now - self._tried_at >= self.min_refetch:
                self._refresh(now)
            if self._keys is None:
                raise KeysUnavailable(f"no signing keys could be fetched from {self.url}")
            return self._keys.get(kid)

    def _refresh(self, now: float) -> None:
        self._tried_at = now
        self.fetches += 1
        try:
            keys = self._fetch()
        except (OSError, ValueError) as exc:  # unreachable, an HTTP error, not JSON or not a key set
            log.warning("jwks.fetch_failed", url=self.url, error=repr(exc), keeping=len(self._keys or {}))
            return
        self._keys, self._fetched_at = keys, now
        log.info("jwks.fetched", url=self.url, kids=sorted(keys))

    def _fetch(self) -> dict[str, Key]:
        request = urllib.request.Request(self.url, headers={"Accept": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # the configured URL
            body = json.loads(response.read(1_000_000))
        if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
            raise ValueError("not a JWK set")
        keys: dict[str, Key] = {}
        for jwk in body["keys"]:
            try:
                key = key_from_jwk(jwk) if isinstance(jwk, dict) else None
            except UnusableKey as exc:
                log.warning("jwks.key_skipped", url=self.url, kid=jwk.get("kid"), error=str(exc))
                continue
            if key is not None:
                keys[key.kid] = key
        return keys
