"""Production refuses to start unless emailed links can reach people, and `check --deploy` says why."""

import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings
from django.core import checks

from apps.identity.checks import email_delivery_problems, jwt_key_problems
from logitrack import jwks

SMTP = "django.core.mail.backends.smtp.EmailBackend"
APP = "https://logitrack.example.com"


def ids(**given) -> list[str]:
    values = {"email_backend": SMTP, "email_host": "smtp.example.com", "app_url": APP, **given}
    return [str(problem.id) for problem in email_delivery_problems(**values)]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, []),
        ({"email_backend": "django.core.mail.backends.console.EmailBackend"}, ["identity.E001"]),
        ({"email_backend": "django.core.mail.backends.locmem.EmailBackend"}, ["identity.E001"]),
        ({"email_host": ""}, ["identity.E002"]),
        ({"email_backend": "anymail.backends.mailgun.EmailBackend", "email_host": ""}, []),  # an API provider
        ({"app_url": ""}, ["identity.E003"]),
        ({"app_url": "logitrack.example.com"}, ["identity.E004"]),
        ({"app_url": "https://logitrack.example.com/invitation?x=1"}, ["identity.E004"]),
        ({"app_url": "http://127.0.0.1:8000"}, ["identity.W005"]),
        ({"app_url": "http://logitrack.example.com"}, ["identity.W005"]),
    ],
)
def test_the_checks_name_each_problem(given, expected):
    assert ids(**given) == expected


def test_check_messages_say_what_breaks_and_how_to_fix_it():
    [problem] = email_delivery_problems(
        email_backend="django.core.mail.backends.console.EmailBackend", email_host="", app_url=APP
    )
    assert problem.level == checks.ERROR
    assert "would never reach anyone" in problem.msg and "EMAIL_HOST" in problem.hint


def manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    unset = ("EMAIL_BACKEND", "EMAIL_HOST", "LOGITRACK_APP_URL", "API_KEY_HASH_SECRET", "JWT_SIGNING_KEY")
    base = {k: v for k, v in os.environ.items() if k not in unset}
    env = {
        **base,
        "DJANGO_SETTINGS_MODULE": "config.settings.prod",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "logitrack.example.com",
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=settings.BASE_DIR, env=env, capture_output=True, text=True
    )


def test_production_settings_refuse_to_start_without_mail_and_say_why_in_check_deploy():
    refused = manage("showmigrations", "identity", EMAIL_BACKEND="django.core.mail.backends.console.EmailBackend")
    assert refused.returncode != 0
    assert "identity.E001" in refused.stderr and "identity.E003" in refused.stderr

    why = manage("check", "--deploy")
    assert why.returncode != 0
    assert "(identity.E002) EMAIL_HOST is not set" in why.stderr
    assert "(identity.E003) LOGITRACK_APP_URL is not set" in why.stderr
    assert "(identity.W006) API_KEY_HASH_SECRET is not set" in why.stderr
    assert "(identity.E007) JWT_SIGNING_KEY is not set" in why.stderr

    configured = {
        "EMAIL_HOST": "smtp.example.com",
        "LOGITRACK_APP_URL": APP,
        "API_KEY_HASH_SECRET": "k" * 64,
        "JWT_SIGNING_KEY": jwks.Key.generate().private_pem().replace("\n", "\\n"),  # as one line, escaped
    }
    fine = manage("check", "--deploy", "--fail-level", "WARNING", **configured)
    assert fine.returncode == 0, fine.stderr


def test_an_api_key_hash_secret_left_to_its_default_is_warned_about():
    from apps.identity.checks import api_key_secret_problems

    key = secrets.token_urlsafe(50)
    assert [p.id for p in api_key_secret_problems(hash_secret="api-keys:" + key, secret_key=key)] == ["identity.W006"]
    assert api_key_secret_problems(hash_secret=secrets.token_urlsafe(50), secret_key=key) == []


def test_jwt_key_checks_name_each_problem():
    ed, rsa_public = jwks.Key.generate(), jwks.Key.from_pem(_rsa_pem(2048)).public_pem()

    def found(signing: str, verification: str = "") -> list[str]:
        return [str(p.id) for p in jwt_key_problems(signing_pem=signing, verification_pems=verification)]

    assert found(ed.private_pem(), rsa_public + jwks.Key.generate().public_pem()) == []
    assert found("") == ["identity.E007"]
    assert found(ed.public_pem()) == ["identity.E008"]  # a public key cannot sign
    assert found(ed.private_pem() + jwks.Key.generate().private_pem()) == ["identity.E008"]  # which one signs?
    assert found("not a key") == ["identity.E008"]
    assert found(ed.private_pem(), "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----") == ["identity.E008"]
    weak = jwt_key_problems(signing_pem=_rsa_pem(1024), verification_pems="")
    assert [p.id for p in weak] == ["identity.E008"] and "too weak" in weak[0].msg


def _rsa_pem(bits: int) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem.decode()
