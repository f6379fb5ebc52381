"""logitrack/testing/databases.py: the tests' helpers look at every context's database. Written against
`contexts.alias(...)`, so they hold with one database and split (scripts/test-split.sh), where a helper that looked at
default only would miss billing's rows and queries."""

import uuid

import pytest

from apps.billing.models import FareRecord, Tariff
from apps.billing.tests.factories import tariff
from apps.fleet.models import Fleet
from apps.fleet.tests.factories import active_fleet
from logitrack.db import contexts
from logitrack.outbox.models import OutboxMessage
from logitrack.testing import databases
from logitrack.testing.queries import CaptureEveryDatabase

pytestmark = pytest.mark.django_db


def outbox_row(context):
    return OutboxMessage.objects.using(contexts.alias(context)).create(
        event_id=uuid.uuid4(),
        event_type=f"logitrack.{context}.thing.done.v1",
        source=context,
        envelope={},
        occurred_at="2026-12-01T00:00:00Z",
    )


def test_queries_are_captured_on_the_database_that_ran_them():
    with CaptureEveryDatabase() as ran:
        FareRecord.objects.count()
        Fleet.objects.count()
    assert len(ran) == 2
    on_billing = [q["sql"] for q in ran.captured_queries if q["alias"] == contexts.alias("billing")]
    assert any('FROM "billing_farerecord"' in sql for sql in on_billing)
    assert any('FROM "fleet_fleet"' in q["sql"] for q in ran.captured_queries if q["alias"] == contexts.alias("fleet"))


def test_the_query_count_fixtures_count_every_database(django_assert_num_queries, django_assert_max_num_queries):
    with django_assert_num_queries(2):
        FareRecord.objects.count()
        Fleet.objects.count()
    with pytest.raises(pytest.fail.Exception, match="Expected to perform 0 queries or less but 1 was done"):
        with django_assert_max_num_queries(0):
            FareRecord.objects.count()
    with django_assert_num_queries(1, using=contexts.alias("billing")):  # one database, when named
        FareRecord.objects.count()


def test_writes_to_several_contexts_roll_back_together():
    with databases.atomic_everywhere():
        fleet = active_fleet()
        tariff(fleet_id=fleet.id)
        assert Fleet.objects.filter(id=fleet.id).exists() and Tariff.objects.filter(fleet_id=fleet.id).exists()
        databases.set_rollback_everywhere()
    assert not Fleet.objects.filter(id=fleet.id).exists()
    assert not Tariff.objects.filter(fleet_id=fleet.id).exists()


def test_kernel_rows_are_read_on_every_database():
    marks = databases.last_ids(OutboxMessage)
    trips, billing = outbox_row("trips"), outbox_row("billing")
    assert databases.count_everywhere(OutboxMessage, event_id__in=[trips.event_id, billing.event_id]) == 2
    assert {r.event_id for r in databases.rows_since(OutboxMessage, marks)} == {trips.event_id, billing.event_id}
    assert databases.get_everywhere(OutboxMessage, event_id=billing.event_id).source == "billing"
    with pytest.raises(OutboxMessage.DoesNotExist):
        databases.get_everywhere(OutboxMessage, event_id=uuid.uuid4())


def test_a_table_is_found_on_its_contexts_database():
    assert databases.alias_of_table("billing_tariff") == contexts.alias("billing")
    assert databases.alias_of_table("outbox_outboxmessage") == "default"
