"""A context's transactions: on its own alias, decided at run time, re-entrant as a decorator."""

import pytest
from django.db import connections, transaction
from django.test import override_settings

from logitrack.db import contexts
from logitrack.outbox.models import DeadLetter


@override_settings(CONTEXT_DATABASES={})
def test_every_context_uses_default_until_it_has_a_database():
    assert {contexts.alias(c) for c in contexts.CONTEXTS} == {"default"}
    assert contexts.aliases() == ["default"]
    assert not contexts.split()


def test_a_context_database_is_chosen_when_the_code_runs():
    with override_settings(CONTEXT_DATABASES={"billing": "billing"}):
        assert contexts.alias("billing") == "billing"
        assert contexts.alias("trips") == "default"
        assert contexts.aliases() == ["default", "billing"]
        assert contexts.split()


def test_unknown_context_fails_where_it_is_named():
    with pytest.raises(LookupError):
        contexts.atomic("billling")


@pytest.mark.django_db(transaction=True)
def test_decorated_function_rolls_back_and_nests():
    calls = []

    trips = contexts.alias("trips")  # default, or trips' own database when split

    @contexts.atomic("trips")
    def write(depth: int) -> None:
        calls.append(connections[trips].in_atomic_block)
        DeadLetter.objects.using(trips).create(
            subscriber=f"s{depth}",
            event_id=f"9b0a3f4e-0000-4000-8000-00000000000{depth}",
            event_type="t",
            envelope={},
            attempts=1,
            last_error="",
            failed_at="2026-01-01T00:00:00Z",
        )
        if depth < 2:
            write(depth + 1)
        else:
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write(0)
    assert calls == [True, True, True]
    assert not DeadLetter.objects.using(trips).exists()
    assert not transaction.get_connection(trips).in_atomic_block
