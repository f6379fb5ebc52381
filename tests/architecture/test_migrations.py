"""Migrations must not stop a busy deployment's writes while they build an index."""

import pytest
from django.db import connection, connections, models
from django.db.migrations import Migration
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations import AddIndex, CreateModel
from django.db.migrations.state import ModelState, ProjectState
from django.db.utils import ConnectionHandler
from django.test.utils import CaptureQueriesContext

from logitrack.db import contexts
from logitrack.db.operations import AddIndexOnline
from tests.architecture import rules

OURS = ("identity", "fleet", "partner", "billing", "trips", "dispatch", "notifications", "outbox", "idempotency")


def _our_migrations() -> list[Migration]:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return [m for (label, _), m in sorted(loader.disk_migrations.items()) if label in OURS]


def test_indexes_on_existing_tables_are_built_online():
    offenders = rules.blocking_index_operations(_our_migrations())
    assert not offenders, "use logitrack.db.operations.AddIndexOnline / RemoveIndexOnline (atomic = False):\n" + (
        "\n".join(offenders)
    )


def test_rule_catches_a_planted_blocking_index_and_spares_a_new_table():
    planted = Migration("0099_planted", "trips")
    planted.operations = [
        CreateModel("Fresh", [("id", models.BigAutoField(primary_key=True))]),
        AddIndex("fresh", models.Index(fields=["id"], name="fresh_id")),  # a new, empty table: fine
        AddIndex("trip", models.Index(fields=["status"], name="trip_status_planted")),
    ]
    assert rules.blocking_index_operations([planted]) == ["trips.0099_planted: AddIndex on trip"]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="CONCURRENTLY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_online_index_is_built_concurrently_on_postgresql():
    connection = connections[contexts.alias("trips")]  # trips' tables are on its own database when split
    index = models.Index(fields=["status", "-created_at"], name="trip_status_online_test")
    operation = AddIndexOnline("trip", index)
    state = MigrationLoader(connection).project_state()
    new_state = state.clone()
    operation.state_forwards("trips", new_state)
    with CaptureQueriesContext(connection) as queries, connection.schema_editor(atomic=False) as editor:
        operation.database_forwards("trips", editor, state, new_state)
    try:
        assert any("CREATE INDEX CONCURRENTLY" in q["sql"] and "trip_status_online_test" in q["sql"] for q in queries)
        with connection.cursor() as cursor:
            indexes = connection.introspection.get_constraints(cursor, "trips_trip")
        assert indexes["trip_status_online_test"]["index"]
    finally:
        with connection.schema_editor(atomic=False) as editor:
            operation.database_backwards("trips", editor, new_state, state)
    with connection.cursor() as cursor:
        assert "trip_status_online_test" not in connection.introspection.get_constraints(cursor, "trips_trip")


def test_online_index_is_a_plain_build_on_sqlite(django_db_blocker):
    """The embedded default has no CONCURRENTLY: a real SQLite database gets the index the plain way."""
    # under trips' alias: the router migrates trips' models on trips' database only (split, not `default`)
    trips = contexts.alias("trips")
    memory = {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}
    sqlite = ConnectionHandler({"default": memory, trips: memory})[trips]  # a handler must have a default
    state = ProjectState()
    state.add_model(
        ModelState("trips", "Thing", [("id", models.BigAutoField(primary_key=True)), ("n", models.IntegerField())])
    )
    new_state = state.clone()
    operation = AddIndexOnline("thing", models.Index(fields=["n"], name="thing_n"))
    operation.state_forwards("trips", new_state)
    with django_db_blocker.unblock():  # its own in-memory database, not the test database
        _plain_build(sqlite, state, new_state, operation)


def _plain_build(sqlite, state, new_state, operation):
    try:
        with sqlite.schema_editor() as editor:  # inside a transaction: the plain path does not mind
            editor.create_model(state.apps.get_model("trips", "Thing"))
            operation.database_forwards("trips", editor, state, new_state)
        with sqlite.cursor() as cursor:
            assert sqlite.introspection.get_constraints(cursor, "trips_thing")["thing_n"]["columns"] == ["n"]
    finally:
        sqlite.close()
