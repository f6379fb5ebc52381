"""Deployment checks (`manage.py check --deploy`): the emails identity sends (invitations, password resets) must
leave the server, and their links must open on the recipient's phone. Production settings refuse to start on the
errors (config/settings/prod.py)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core import checks

KEPT_ON_THE_SERVER = {"console", "locmem", "dummy", "filebased"}  # django.core.mail.backends.<name>.EmailBackend
THIS_MACHINE = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}
HOW = "see docs/production.md (Settings: email and LOGITRACK_APP_URL)"


def email_delivery_problems(*, email_backend: str, email_host: str, app_url: str) -> list[checks.CheckMessage]:
    found: list[checks.CheckMessage] = []
    backend = email_backend.split(".")[-2] if email_backend.count(".") >= 2 else email_backend
    if backend in KEPT_ON_THE_SERVER:
        found.append(
            checks.Error(
                f"EMAIL_BACKEND is {email_backend}: invitation and password-reset emails would never reach anyone.",
                hint=f"Send mail through SMTP: EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and "
                f"EMAIL_HOST; {HOW}.",
                id="identity.E001",
            )
        )
    elif backend == "smtp" and not email_host:
        found.append(
            checks.Error(
                "EMAIL_HOST is not set: there is no mail server to send invitations and password resets through.",
                hint=f"Set EMAIL_HOST (and EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS); {HOW}.",
                id="identity.E002",
            )
        )
    url = urlsplit(app_url)
    if not app_url:
        found.append(
            checks.Error(
                "LOGITRACK_APP_URL is not set: emailed invitation and password-reset links would have no address.",
                hint=f"Set it to the address people open, e.g. https://logitrack.example.com; {HOW}.",
                id="identity.E003",
            )
        )
    elif url.scheme not in ("http", "https") or not url.hostname or url.path.strip("/") or url.query:
        found.append(
            checks.Error(
                f"LOGITRACK_APP_URL is {app_url!r}: not an http(s) address of a site (links add /invitation, …).",
                hint=f"Set it to scheme and host only, e.g. https://logitrack.example.com; {HOW}.",
                id="identity.E004",
            )
        )
    elif url.hostname in THIS_MACHINE or url.scheme != "https":
        found.append(
            checks.Warning(
                f"LOGITRACK_APP_URL is {app_url}: emailed links would not open on people's phones "
                "(this machine's address, or not https).",
                hint=f"Set it to the public https address; {HOW}.",
                id="identity.W005",
            )
        )
    return found


@checks.register(checks.Tags.security, deploy=True)
def email_delivery_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return email_delivery_problems(
        email_backend=settings.EMAIL_BACKEND, email_host=settings.EMAIL_HOST, app_url=settings.LOGITRACK_APP_URL
    )


def api_key_secret_problems(*, hash_secret: str, secret_key: str) -> list[checks.CheckMessage]:
    """API keys are stored as an HMAC under API_KEY_HASH_SECRET; left to its default (derived from the secret key),
    rotating DJANGO_SECRET_KEY would silently turn every integrator's key away."""
    if hash_secret == "api-keys:" + secret_key:
        return [
            checks.Warning(
                "API_KEY_HASH_SECRET is not set: it is derived from DJANGO_SECRET_KEY, so rotating the secret key "
                "would invalidate every integrator's API key at once.",
                hint="Set API_KEY_HASH_SECRET to its own random value of 50+ characters and never change it; see "
                "docs/production.md (Settings: API keys).",
                id="identity.W006",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def api_key_secret_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return api_key_secret_problems(hash_secret=settings.API_KEY_HASH_SECRET, secret_key=settings.SECRET_KEY)


def jwt_key_problems(*, signing_pem: str, verification_pems: str) -> list[checks.CheckMessage]:
    """Tokens must be signed with a key of their own: the development key is derived from the secret key, so
    anyone who learns DJANGO_SECRET_KEY could mint tokens, and rotating it would log everyone out."""
    from logitrack import jwks

    how = "see docs/production.md (JWT signing keys)"
    try:
        signing = jwks.pem_blocks(signing_pem)
        if not signing:
            return [
                checks.Error(
                    "JWT_SIGNING_KEY is not set: tokens would be signed with a key derived from DJANGO_SECRET_KEY.",
                    hint="Make one with `manage.py identity_jwt_keys generate --out jwt-signing.pem` and set "
                    f"JWT_SIGNING_KEY_FILE to that file (or JWT_SIGNING_KEY to its PEM); {how}.",
                    id="identity.E007",
                )
            ]
        jwks.key_set_from_pem(signing_pem, verification_pems, default=jwks.Key.generate)
    except jwks.UnusableKey as exc:
        return [
            checks.Error(
                f"The JWT keys cannot be used: {exc}.",
                hint="JWT_SIGNING_KEY must be one unencrypted Ed25519 (or RSA 2048+) private key in PEM, "
                f"JWT_VERIFICATION_KEYS PEM keys; {how}.",
                id="identity.E008",
            )
        ]
    return []


@checks.register(checks.Tags.security, deploy=True)
def jwt_key_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    return jwt_key_problems(signing_pem=settings.JWT_SIGNING_KEY, verification_pems=settings.JWT_VERIFICATION_KEYS)
