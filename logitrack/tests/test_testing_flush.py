"""The flush after each transactional test (logitrack/testing/flush.py) leaves what Django's flush leaves, and
truncates only the tables that hold rows."""

import uuid

import pytest
from django.core.management import call_command
from django.db import connection, connections

from logitrack.db import contexts
from logitrack.testing import flush

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the flush for PostgreSQL"),
    pytest.mark.django_db(transaction=True),
]


def _files(alias):
    """Each table's file: TRUNCATE gives a table a new one."""
    tables = connections[alias].introspection.django_table_names(only_existing=True, include_views=False)
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT relname, relfilenode FROM pg_class WHERE relname = ANY(%s)", [list(tables)])
        return dict(cursor.fetchall())


def _state(alias):
    """Rows per table, and the content types and permissions by name (not id)."""
    tables = connections[alias].introspection.django_table_names(only_existing=True, include_views=False)
    with connections[alias].cursor() as cursor:
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {connection.ops.quote_name(table)}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT app_label, model FROM django_content_type")
        content_types = set(cursor.fetchall())
        permissions = set()
        if "auth_permission" in tables:
            cursor.execute(
                "SELECT c.app_label, c.model, p.codename, p.name FROM auth_permission p"
                " JOIN django_content_type c ON c.id = p.content_type_id"
            )
            permissions = set(cursor.fetchall())
    return counts, content_types, permissions


def _write_rows(alias):
    from logitrack.outbox.models import InboxRecord
    from tests.support.ping.models import Ping

    Ping.objects.create(label="left behind")
    InboxRecord.objects.using(alias).create(subscriber="test", event_id=uuid.uuid4(), event_type="test.left")


def test_it_leaves_every_database_as_djangos_flush_does():
    aliases = contexts.aliases()
    as_django_leaves = {}
    for alias in aliases:
        call_command("flush", verbosity=0, interactive=False, database=alias, reset_sequences=False)
        as_django_leaves[alias] = _state(alias)
    _write_rows(contexts.alias("trips"))
    for alias in aliases:
        flush.flush(alias)  # content types changed ids under Django's flush: the whole way, post_migrate included
    assert {alias: _state(alias) for alias in aliases} == as_django_leaves
    _write_rows(contexts.alias("trips"))
    for alias in aliases:
        flush.flush(alias)  # content types and permissions kept
    assert {alias: _state(alias) for alias in aliases} == as_django_leaves


def test_only_the_tables_holding_rows_are_truncated_and_content_types_keep_their_ids():
    from django.contrib.contenttypes.models import ContentType

    from logitrack.outbox.models import InboxRecord
    from tests.support.ping.models import Ping

    alias = contexts.alias("trips")
    for each in contexts.aliases():
        flush.flush(each)
    before = {each: _files(each) for each in contexts.aliases()}
    ids = {each: set(ContentType.objects.using(each).values_list("id", flat=True)) for each in contexts.aliases()}
    _write_rows(alias)

    truncated = {each: flush.flush(each) for each in contexts.aliases()}

    ping, inbox = Ping._meta.db_table, InboxRecord._meta.db_table
    expected = {each: [] for each in contexts.aliases()}
    expected["default"].append(ping)
    expected[alias].append(inbox)
    assert truncated == {each: sorted(tables) for each, tables in expected.items()}
    for each in contexts.aliases():
        after = _files(each)
        assert {t for t in after if after[t] != before[each][t]} == set(expected[each])
        assert set(ContentType.objects.using(each).values_list("id", flat=True)) == ids[each]
    assert not Ping.objects.exists() and not InboxRecord.objects.using(alias).exists()


def test_content_types_and_permissions_a_test_changed_are_made_again():
    from django.contrib.auth.models import Permission
    from django.contrib.contenttypes.models import ContentType

    alias = contexts.alias("trips")
    flush.flush("default")
    flush.flush(alias)
    Permission.objects.filter(codename="view_ping").delete()
    Permission.objects.filter(codename="add_ping").update(name="renamed")
    if alias == "default":
        ContentType.objects.filter(app_label="ping", model="ping").delete()  # its permissions go with it
    else:
        with connections[alias].cursor() as cursor:  # no permissions table on a context's database
            cursor.execute("DELETE FROM django_content_type WHERE app_label = 'ping' AND model = 'ping'")

    flush.flush("default")
    flush.flush(alias)

    assert Permission.objects.get(codename="view_ping").name == "Can view ping"
    assert Permission.objects.get(codename="add_ping").name == "Can add ping"
    assert ContentType.objects.using(alias).filter(app_label="ping", model="ping").exists()


def test_another_post_migrate_receiver_always_runs():
    from django.db.models.signals import post_migrate  # noqa: TID251  (a receiver for this test only)

    ran = []

    def receiver(using, **kwargs):
        ran.append(using)

    flush.flush("default")
    post_migrate.connect(receiver, dispatch_uid="test-flush-receiver")
    try:
        flush.flush("default")
    finally:
        post_migrate.disconnect(dispatch_uid="test-flush-receiver")
    assert ran and set(ran) == {"default"}
