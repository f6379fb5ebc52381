import pytest
from django.db import IntegrityError

from apps.identity.models import User


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
