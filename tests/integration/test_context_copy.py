"""`context_copy`: billing's rows copied to a database of its own, verified, tampering found, and copied back (the
data step of docs/extraction.md), on real PostgreSQL databases."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

from apps.billing.models import Posting, Tariff
from apps.billing.tests.factories import prepaid_topup, tariff
from logitrack.db import contexts
from logitrack.db.copying import tables_of
from logitrack.outbox.models import InboxRecord, OutboxMessage
from logitrack.testing.processes import process_env
from logitrack.types import Money

pytestmark = pytest.mark.django_db(transaction=True)


def _server_url(name: str) -> str:
    s = connection.settings_dict
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def empty_database() -> Iterator[str]:
    name = f"{connection.settings_dict['NAME']}_copy_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield _server_url(name)
    finally:
        with psycopg.connect(_server_url("postgres"), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Refused(Exception):
    pass


def run(*args: str) -> str:
    """The command as an operator runs it: its own process, on the database this test's rows are committed to."""
    env = process_env()  # this test's databases, each context's own when split
    done = subprocess.run(
        [sys.executable, "manage.py", "context_copy", *args], env=env, capture_output=True, text=True, timeout=300
    )
    if done.returncode:
        raise Refused(done.stderr.strip().splitlines()[-1])
    return done.stdout


def target_rows(url: str, query: str) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()


def test_billing_is_copied_verified_and_copied_back(empty_database):
    fleet_id, customer_id = uuid.uuid4(), uuid.uuid4()
    city = tariff(fleet_id=fleet_id)
    prepaid_topup(customer_id=customer_id, amount=Money(4000, "EUR"))
    components = sorted((c.position, c._meta.model_name) for c in city.components.all())
    postings = Posting.objects.count()
    assert postings
    home = contexts.alias("billing")  # where billing's rows are: the shared database, or its own when split
    for source in ("billing", "trips"):  # only billing's kernel rows go with it
        OutboxMessage.objects.using(home).create(
            event_id=uuid.uuid4(),
            event_type=f"logitrack.{source}.thing.done.v1",
            source=source,
            envelope={},
            occurred_at="2026-12-01T00:00:00Z",
        )
        InboxRecord.objects.using(home).create(subscriber=f"{source}.apply", event_id=uuid.uuid4(), event_type="x")

    with pytest.raises(Refused, match="migrate it first"):
        run("billing", "--source", home, "--target", empty_database, "--dry-run")
    planned = run("billing", "--source", home, "--target", empty_database, "--dry-run", "--migrate")
    assert "[X] billing.0001" not in planned and "billing.0001" in planned  # the migrations it would run
    assert f"billing_posting: {postings} rows to copy, 0 in the target (table made by --migrate)" in planned
    assert target_rows(empty_database, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(0,)]
    out = run("billing", "--source", home, "--target", empty_database, "--migrate")
    assert f"billing_posting: {postings} rows" in out and "verified" in out
    assert target_rows(
        empty_database, "SELECT source FROM outbox_outboxmessage UNION ALL SELECT subscriber FROM outbox_inboxrecord"
    ) == [("billing",), ("billing.apply",)]
    with psycopg.connect(empty_database) as target:
        # the target numbers its content types otherwise: billing's own move out of the way, with their references
        target.execute("UPDATE django_content_type SET id = id + 500 WHERE app_label = 'billing'")
        target.execute("UPDATE billing_tariffcomponent SET polymorphic_ctype_id = polymorphic_ctype_id + 500")
    # names, not numbers, compared
    assert "verified" in run("billing", "--source", home, "--target", empty_database, "--verify")

    assert "target not empty: refused" in run("billing", "--source", home, "--target", empty_database, "--dry-run")
    with pytest.raises(Refused, match="already holds rows"):
        run("billing", "--source", home, "--target", empty_database)
    assert "verified" in run("billing", "--source", home, "--target", empty_database, "--replace")
    kinds = target_rows(  # each component still reads as its own kind there (django-polymorphic's content type)
        empty_database,
        "SELECT c.position, ct.model FROM billing_tariffcomponent c"
        f" JOIN django_content_type ct ON ct.id = c.polymorphic_ctype_id WHERE c.tariff_id = '{city.id}'"
        " ORDER BY c.position",
    )
    assert (
        kinds == components
        and min(
            ct
            for (ct,) in target_rows(empty_database, "SELECT id FROM django_content_type WHERE app_label = 'billing'")
        )
        > 500
    )

    with psycopg.connect(empty_database) as target:
        # the ledger defends itself there too: its rows cannot be changed, only reversed
        with pytest.raises(psycopg.errors.RestrictViolation):
            target.execute("UPDATE billing_posting SET amount_minor = amount_minor + 1")
    with psycopg.connect(empty_database) as target:  # a write made on billing's own database after the switch
        target.execute("UPDATE billing_tariff SET name = 'City, from December' WHERE id = %s", [city.id])
    with pytest.raises(Refused, match="differs from the source in billing_tariff"):
        run("billing", "--source", home, "--target", empty_database, "--verify")

    # rollback after writes made on billing's own database: copy them back over the shared one
    run("billing", "--source", empty_database, "--target", home, "--replace")
    assert Posting.objects.count() == postings
    assert Tariff.objects.get(id=city.id).name == "City, from December"
    assert OutboxMessage.objects.using(home).filter(source="trips").count() == 1  # other contexts' rows untouched
    assert InboxRecord.objects.using(home).filter(subscriber="trips.apply").count() == 1


def test_every_billing_table_and_only_its_kernel_rows_are_chosen():
    names = [t.name for t in tables_of("billing")]
    assert {"billing_tariff", "billing_tariffcomponent", "billing_posting", "billing_account"} <= set(names)
    assert not [n for n in names if n.startswith(("trips_", "identity_", "auth_", "django_"))]
    kernel = {t.name: t.where.as_string(connection.connection) for t in tables_of("billing") if t.where is not None}
    assert kernel == {
        "outbox_outboxmessage": "source = 'billing'",
        "outbox_inboxrecord": "subscriber LIKE 'billing.%'",
        "outbox_deadletter": "subscriber LIKE 'billing.%'",
        "idempotency_idempotencykey": "path LIKE '/api/v1/billing/%'",
    }
