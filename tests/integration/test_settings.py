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
