"""The driver import when partner's tables sit on a database alias of their own: identity commits the account in
its own transaction, so a row must be refused before identity is asked, not rolled back after."""

import copy
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connections
from django.db.utils import load_backend

from apps.partner.contracts import InvalidPartnerData
from apps.partner.models import DriverProfile
from apps.partner.services import imports
from logitrack.db import contexts


@pytest.fixture
def partner_apart(settings):
    """Partner on an alias of its own: a second connection to the database partner is on, so partner's transaction
    commits or rolls back apart from default's (identity's), as on a split deployment."""
    same = copy.deepcopy(connections[contexts.alias("partner")].settings_dict)
    # made here, not configured: a connection the test made itself, which Django's test isolation lets through
    connections["partner_apart"] = load_backend(same["ENGINE"]).DatabaseWrapper(same, "partner_apart")
    settings.CONTEXT_DATABASES = {**settings.CONTEXT_DATABASES, "partner": "partner_apart"}
    assert contexts.alias("partner") == "partner_apart" and contexts.alias("identity") == "default"
    yield
    connections["partner_apart"].close()
    del connections["partner_apart"]


@pytest.mark.django_db(transaction=True)
def test_a_row_whose_profile_is_refused_makes_no_account_when_partner_commits_apart(partner_apart):
    too_many_classes = ",".join(["C1E"] * 20)  # the CSV's pattern allows it, the profile's 60 characters do not
    with pytest.raises(InvalidPartnerData) as refused:
        imports.driver_import(
            fleet_id=uuid.uuid4(), email="rue@example.test", display_name="Rue Driver", licence_classes=too_many_classes
        )
    assert "licence_classes" in refused.value.extra["errors"]
    assert not get_user_model().objects.filter(email="rue@example.test").exists()
    assert not DriverProfile.objects.filter(display_name="Rue Driver").exists()
