"""`logitrack.db.services.model_update`: the one way services update a model from a dict of fields."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from logitrack.db.services import model_update
from logitrack.outbox.models import DeadLetter
from tests.support.ping.models import Ping

pytestmark = pytest.mark.django_db


def _ping(label: str = "before") -> Ping:
    ping = Ping.objects.create(label=label)
    Ping.objects.filter(id=ping.id).update(updated_at=timezone.now() - dt.timedelta(days=1))
    ping.refresh_from_db()
    return ping


def test_saves_only_the_changed_fields_and_moves_updated_at():
    ping = _ping()
    stale = ping.updated_at
    with CaptureQueriesContext(connection) as queries:
        instance, changed = model_update(instance=ping, fields=["label"], data={"label": "after"})
    assert instance is ping
    assert changed == ["label"]
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert sql.startswith("UPDATE") and "label" in sql and "updated_at" in sql and "created_at" not in sql
    ping.refresh_from_db()
    assert ping.label == "after"
    assert ping.updated_at > stale


def test_nothing_changed_means_no_validation_and_no_query():
    ping = _ping("same")
    ping.label = "same"  # what full_clean would refuse is never looked at when nothing changes
    with CaptureQueriesContext(connection) as queries:
        _, changed = model_update(instance=ping, fields=["label"], data={"label": "same"})
    assert changed == []
    assert not changed
    assert len(queries) == 0


def test_keys_outside_fields_are_ignored():
    ping = _ping()
    original_created = ping.created_at
    _, changed = model_update(
        instance=ping, fields=["label"], data={"label": "after", "created_at": timezone.now(), "nope": 1}
    )
    assert changed == ["label"]
    ping.refresh_from_db()
    assert ping.created_at == original_created


def test_fields_listed_but_absent_from_data_are_left_alone():
    ping = _ping("kept")
    _, changed = model_update(instance=ping, fields=["label"], data={})
    assert changed == []
    ping.refresh_from_db()
    assert ping.label == "kept"


def test_full_clean_runs_by_default_and_nothing_is_saved_when_it_fails():
    ping = _ping()
    with pytest.raises(ValidationError) as exc:
        model_update(instance=ping, fields=["label"], data={"label": "x" * 101})
    assert "label" in exc.value.message_dict
    assert Ping.objects.get(id=ping.id).label == "before"


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
    assert changed == ["name"] and Group.objects.get(id=group.id).name == ""  # an excluded field is not validated
    with pytest.raises(IntegrityError):  # uniqueness left to the database, as services that answer it with 409 do
        model_update(
            instance=Group.objects.get(id=group.id),
            fields=["name"],
            data={"name": "taken"},
            validate_unique=False,
            validate_constraints=False,
        )


def test_changed_fields_follow_the_order_of_fields_and_a_model_without_updated_at_saves_only_them():
    letter = DeadLetter.objects.create(
        subscriber="s",
        event_id="00000000-0000-0000-0000-000000000001",
        event_type="t",
        envelope={"type": "t"},
        attempts=1,
        last_error="boom",
        failed_at=timezone.now(),
    )
    with CaptureQueriesContext(connection) as queries:
        _, changed = model_update(
            instance=letter,
            fields=("replay_count", "last_error", "replay_count"),
            data={"last_error": "fixed", "replay_count": 2, "attempts": 9},
        )
    assert changed == ["replay_count", "last_error"]
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]  # full_clean also checks the constraint
    assert len(updates) == 1 and "updated_at" not in updates[0] and "attempts" not in updates[0]
    letter.refresh_from_db()
    assert (letter.last_error, letter.replay_count, letter.attempts) == ("fixed", 2, 1)
