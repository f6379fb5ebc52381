import pytest
from django.db import IntegrityError

from apps.identity.contracts import WeakPassword
from apps.identity.models import User
from apps.identity.services import accounts


@pytest.mark.django_db
def test_email_is_the_login_and_unique_regardless_of_case():
    User.objects.create_user(email="Ana@Example.test", password="x" * 12)
    assert User.objects.get_by_natural_key("ANA@example.TEST").email == "ana@example.test"
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="ana@EXAMPLE.test", password="x" * 12)


@pytest.mark.django_db
def test_the_database_refuses_a_case_variant_written_around_the_manager():
    User.objects.create_user(email="bo@example.test", password="x" * 12)
    with pytest.raises(IntegrityError):
        User.objects.bulk_create([User(email="BO@example.test")])


@pytest.mark.django_db
def test_user_ensure_creates_once_then_only_resets_the_password():
    user, created = accounts.user_ensure(
        email="Demo.Driver@Example.test", password="copper-kettle-57", display_name="D"
    )
    again, created_again = accounts.user_ensure(
        email="demo.driver@example.test", password="another-kettle-58", display_name="X"
    )
    assert (created, created_again, again.id) == (True, False, user.id)
    again.refresh_from_db()
    assert again.check_password("another-kettle-58") and again.display_name == "D"
    assert User.objects.filter(email__iexact="demo.driver@example.test").count() == 1


@pytest.mark.django_db
def test_user_ensure_refuses_a_weak_password_and_creates_nothing():
    with pytest.raises(WeakPassword):
        accounts.user_ensure(email="weak@example.test", password="12345", display_name="W")
    assert not User.objects.filter(email="weak@example.test").exists()
