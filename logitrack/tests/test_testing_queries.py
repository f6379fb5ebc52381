"""The query capture of tests (logitrack/testing/queries.py and the root conftest's `django_assert_num_queries`): a
context's queries count wherever its database is — under scripts/test-split.sh on the context's own alias."""

import pytest

from logitrack.db import contexts
from logitrack.outbox.models import OutboxMessage
from logitrack.testing.queries import CaptureEveryDatabase

pytestmark = pytest.mark.django_db


def read_every_context() -> None:
    for context in contexts.CONTEXTS:
        OutboxMessage.objects.using(contexts.alias(context)).filter(id=-1).exists()


def test_a_capture_sees_the_queries_of_every_context_on_its_own_database():
    with CaptureEveryDatabase() as ran:
        read_every_context()
        assert len(ran) == len(contexts.CONTEXTS)  # inside the block too
    assert [q["alias"] for q in ran.captured_queries] == sorted(
        (contexts.alias(c) for c in contexts.CONTEXTS), key=contexts.aliases().index
    )
    assert all('FROM "outbox_outboxmessage"' in q["sql"] for q in ran)


def test_the_query_count_fixtures_count_every_contexts_database(
    django_assert_num_queries, django_assert_max_num_queries
):
    with django_assert_num_queries(len(contexts.CONTEXTS)):
        read_every_context()
    with django_assert_max_num_queries(len(contexts.CONTEXTS)):
        read_every_context()
    with pytest.raises(pytest.fail.Exception, match="Expected to perform 1 queries but"):
        with django_assert_num_queries(1):
            read_every_context()


def test_a_named_database_still_counts_only_its_own(django_assert_num_queries):
    with django_assert_num_queries(1, using=contexts.alias("billing")):
        OutboxMessage.objects.using(contexts.alias("billing")).exists()
        if contexts.split():
            OutboxMessage.objects.using(contexts.alias("trips")).exists()
