"""Security-relevant platform settings, as production runs them (config.settings.base)."""

import pytest
from django.contrib.auth.hashers import identify_hasher

from apps.identity.models import User
from config.settings import base


@pytest.mark.django_db
def test_passwords_are_stored_with_argon2_under_the_platform_settings(settings):
    settings.PASSWORD_HASHERS = base.PASSWORD_HASHERS  # the test settings use a fast hasher
    user = User.objects.create_user(email="hash@example.test", password="s3cret-passphrase")
    assert identify_hasher(user.password).algorithm == "argon2"
    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password("s3cret-passphrase")


def test_password_validators_are_on():
    names = [v["NAME"].rsplit(".", 1)[-1] for v in base.AUTH_PASSWORD_VALIDATORS]
    assert names == [
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    ]


def test_keys_the_secret_key_replaced_are_read_from_the_environment():
    """apps.trips.selectors derives tracking tokens and PINs from the key and its fallbacks: a rotation sets them."""
    import os
    import subprocess
    import sys

    probe = "from config.settings import base; print(base.SECRET_KEY_FALLBACKS)"
    env = {**os.environ, "DJANGO_SECRET_KEY_FALLBACKS": "old-key-1,old-key-2"}
    rotated = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert rotated.stdout.strip().splitlines()[-1] == "['old-key-1', 'old-key-2']", rotated.stderr[-2000:]
    env.pop("DJANGO_SECRET_KEY_FALLBACKS")
    plain = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60)
    assert plain.stdout.strip().splitlines()[-1] == "[]", plain.stderr[-2000:]


def test_jwt_keys_and_the_authentication_mode_come_from_the_environment(tmp_path):
    """JWT_SIGNING_KEY_FILE is read; LOGITRACK_AUTH=jwks makes the JWKS verifier the only REST authentication and
    needs JWT_JWKS_URL; an unreadable key file or an unknown mode refuses to start."""
    import os
    import subprocess
    import sys

    from logitrack import jwks

    key = jwks.Key.generate()
    (tmp_path / "jwt.pem").write_text(key.private_pem())
    probe = (
        "from config.settings import base; from logitrack import jwks; "
        "print(jwks.Key.from_pem(base.JWT_SIGNING_KEY).kid, base.REST_FRAMEWORK['DEFAULT_AUTHENTICATION_CLASSES'])"
    )

    def run(**extra: str) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("JWT_", "LOGITRACK_AUTH"))}
        return subprocess.run(
            [sys.executable, "-c", probe], env={**env, **extra}, capture_output=True, text=True, timeout=60
        )

    remote = run(
        JWT_SIGNING_KEY_FILE=str(tmp_path / "jwt.pem"),
        LOGITRACK_AUTH="jwks",
        JWT_JWKS_URL="https://logitrack.example.com/.well-known/jwks.json",
    )
    assert remote.stdout.strip().splitlines()[-1] == (f"{key.kid} ['logitrack.http.remote_auth.JWKSAuthentication']"), (
        remote.stderr[-2000:]
    )
    assert "JWT_JWKS_URL" in run(LOGITRACK_AUTH="jwks").stderr
    assert "cannot be read" in run(JWT_SIGNING_KEY_FILE=str(tmp_path / "missing.pem")).stderr
