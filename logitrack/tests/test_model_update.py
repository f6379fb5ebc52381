"""`model_update`: the one way services update a model from a dict of fields."""

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext

from logitrack.db.services import model_update

pytestmark = pytest.mark.django_db


def test_only_listed_fields_that_changed_are_saved():
    group = Group.objects.create(name="dispatch")
    with CaptureQueriesContext(connection) as queries:
        same, changed = model_update(instance=group, fields=["name"], data={"name": "dispatch", "id": 99})
    assert (same, changed, len(queries)) == (group, False, 0)  # nothing changed: not even validated or saved

    _, changed = model_update(instance=group, fields=["name"], data={"name": "planning"})
    assert changed and Group.objects.get(id=group.id).name == "planning"


def test_validation_follows_full_clean_and_its_options():
    Group.objects.create(name="taken")
    group = Group.objects.create(name="free")
    with pytest.raises(ValidationError) as refused:
        model_update(instance=group, fields=["name"], data={"name": "taken"})
    assert "name" in refused.value.message_dict
    with pytest.raises(ValidationError):
        model_update(instance=Group.objects.get(id=group.id), fields=["name"], data={"name": ""})
    _, changed = model_update(
        instance=Group.objects.get(id=group.id), fields=["name"], data={"name": ""}, exclude=["name"]
    )
    assert changed and Group.objects.get(id=group.id).name == ""  # an excluded field is not validated
    with pytest.raises(IntegrityError):  # uniqueness left to the database, as services that answer it with 409 do
        model_update(
            instance=Group.objects.get(id=group.id),
            fields=["name"],
            data={"name": "taken"},
            validate_unique=False,
            validate_constraints=False,
        )
