"""Each context connects as a role of its own that owns only its own database: it cannot read another context's
tables, nor identity's (PostgreSQL grants PUBLIC no privilege on tables). Only a split has such roles."""

import psycopg
import pytest
from django.db import connections

from logitrack.db import contexts

pytestmark = pytest.mark.django_db


def connect(as_alias, to_alias):
    """A connection with `as_alias`'s role (its user and password) to `to_alias`'s database."""
    role, target = connections[as_alias].settings_dict, connections[to_alias].settings_dict
    return psycopg.connect(
        host=target["HOST"], port=target["PORT"], dbname=target["NAME"], user=role["USER"], password=role["PASSWORD"]
    )


def readable(as_alias, to_alias, table):
    with connect(as_alias, to_alias) as conn:
        try:
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()
        except psycopg.errors.InsufficientPrivilege:
            return False
    return True


def test_every_context_but_identity_has_a_database_and_a_role_of_its_own():
    names = {alias: connections[alias].settings_dict for alias in contexts.aliases()}
    assert len(names) == len(contexts.CONTEXTS)  # identity is default
    assert len({db["NAME"] for db in names.values()}) == len(names)
    assert len({db["USER"] for db in names.values()}) == len(names)


def test_the_trips_role_cannot_read_billings_or_identitys_tables():
    trips, billing = contexts.alias("trips"), contexts.alias("billing")
    assert readable(billing, billing, "billing_farerecord")  # its owner can
    assert not readable(trips, billing, "billing_farerecord")
    assert not readable(trips, billing, "outbox_outboxmessage")  # nor billing's kernel tables
    assert not readable(trips, "default", "identity_user")
    assert readable(trips, trips, "trips_trip")


def test_a_contexts_tables_exist_on_its_database_only():
    def tables(alias):
        with connections[alias].cursor() as cursor:
            return set(connections[alias].introspection.table_names(cursor))

    billing, trips = tables(contexts.alias("billing")), tables(contexts.alias("trips"))
    on_default = tables("default")
    assert "billing_farerecord" in billing and "billing_farerecord" not in on_default | trips
    assert "trips_trip" in trips and "trips_trip" not in on_default | billing
    assert "identity_user" in on_default and "identity_user" not in billing | trips
    for kernel in ("outbox_outboxmessage", "outbox_inboxrecord", "outbox_deadletter", "idempotency_idempotencykey",
                   "django_content_type"):  # fmt: skip
        assert kernel in billing and kernel in trips and kernel in on_default


def test_polymorphic_components_take_their_content_type_from_billings_database():
    """Content types are per database; a component's must be billing's row (its foreign key is checked there). Its
    id is made to differ from default's, so one taken from default's table would be refused."""
    import uuid

    from django.contrib.contenttypes.models import ContentType

    from apps.billing.models import PerKm
    from apps.billing.tests.factories import tariff

    billing = contexts.alias("billing")
    with connections[billing].cursor() as cursor:
        cursor.execute("DELETE FROM django_content_type WHERE app_label = 'billing' AND model = 'perkm'")
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # a wrong content type fails here, not at a rollback
    ContentType.objects.clear_cache()
    on_default = ContentType.objects.db_manager("default").get_for_model(PerKm, for_concrete_model=False)

    try:
        made = tariff(fleet_id=uuid.uuid4())

        (per_km,) = PerKm.objects.filter(tariff=made)
        ctype = ContentType.objects.db_manager(billing).get(app_label="billing", model="perkm")
        assert per_km.polymorphic_ctype_id == ctype.id != on_default.id
        assert type(made.components.get(id=per_km.id)) is PerKm  # read back as its own class, on billing's database
    finally:
        # the test's rollback takes the new row away: a cached id would point later tests at nothing
        ContentType.objects.clear_cache()
