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


def test_code_belongs_to_the_context_of_its_app():
    assert contexts.context_of_module("apps.billing.handlers") == "billing"
    assert contexts.context_of_module("apps.notifications.webhooks.handlers") == "notifications"
    assert contexts.context_of_module("config.demo.seeding") == "identity"
    assert contexts.context_of_module("tests.support.pong.handlers") is None
    assert contexts.context_of_module("logitrack.outbox.delivery") is None
    with override_settings(CONTEXT_DATABASES={"billing": "billing"}):
        assert contexts.alias_of("billing") == "billing"
        assert contexts.alias_of(None) == contexts.alias_of("ping") == "default"


SPLIT = {"billing": "billing", "trips": "trips"}


def test_the_router_sends_each_apps_tables_to_its_contexts_database():
    from django.apps import apps

    from logitrack.db.routing import ContextRouter

    router = ContextRouter()
    fare, trip, user = (apps.get_model(label) for label in ("billing.FareRecord", "trips.Trip", "identity.User"))
    with override_settings(CONTEXT_DATABASES=SPLIT):
        assert [router.db_for_write(m) for m in (fare, trip, user)] == ["billing", "trips", "default"]
        assert router.db_for_read(apps.get_model("auth.Group")) == "default"  # Django's shared tables: identity's
        assert router.db_for_write(DeadLetter) is None  # kernel tables: where the caller says
        assert router.allow_migrate("billing", "billing") and not router.allow_migrate("default", "billing")
        assert not router.allow_migrate("billing", "auth") and router.allow_migrate("default", "auth")
        assert all(router.allow_migrate(db, label) for db in ("default", "billing") for label in contexts.KERNEL_APPS)
        assert not router.allow_migrate("billing", "pong")  # the tests' own apps stay on default


def test_a_kernel_helper_finds_the_transaction_its_caller_is_in(transactional_db):
    with override_settings(CONTEXT_DATABASES={}):
        assert contexts.current_alias() == "default"
    if not contexts.split():  # the rest needs a second database
        return
    billing = contexts.alias("billing")
    assert contexts.current_alias() == "default"
    with contexts.atomic("billing"):
        assert contexts.current_alias() == billing
        with transaction.atomic():  # default too, less deep: still billing's
            assert contexts.current_alias() == billing


def test_a_split_is_refused_on_sqlite_or_mixed_engines():
    from django.conf import settings

    from logitrack.db.checks import split_on_postgresql

    postgres = {"ENGINE": "logitrack.db.backends.postgresql", "NAME": "x"}
    sqlite = {"ENGINE": "django.db.backends.sqlite3", "NAME": "x"}
    assert split_on_postgresql() == [] or contexts.split()
    for default, billing, refused in ((postgres, postgres, False), (postgres, sqlite, True), (sqlite, sqlite, True)):
        with override_settings(CONTEXT_DATABASES={"billing": "billing"}):
            saved, settings.DATABASES = settings.DATABASES, {"default": default, "billing": billing}
            try:
                assert [e.id for e in split_on_postgresql()] == (["db.E001"] if refused else [])
            finally:
                settings.DATABASES = saved
    with override_settings(CONTEXT_DATABASES={"billing": "nowhere"}):
        assert "db.E002" in [e.id for e in split_on_postgresql()]


def test_a_context_database_url_adds_an_alias_tuned_like_default():
    """The settings as a process started with DATABASE_URL_BILLING reads them."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith("DATABASE_URL")}
    env.update(
        DATABASE_URL="postgres://a:b@127.0.0.1:5432/main",
        DATABASE_URL_BILLING="postgres://lb:pb@127.0.0.1:5432/bill",
        DJANGO_SETTINGS_MODULE="config.settings.base",
    )
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.CONTEXT_DATABASES, {k: {f: v.get(f) for f in ('ENGINE', 'NAME', 'USER', 'CONN_MAX_AGE',"
        " 'CONN_HEALTH_CHECKS', 'ATOMIC_REQUESTS')} | {'timeout': v['OPTIONS'].get('connect_timeout')}"
        " for k, v in s.DATABASES.items()}]))"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    configured, databases = json.loads(out)
    assert configured == {"billing": "billing"}
    assert databases["billing"] == {**databases["default"], "NAME": "bill", "USER": "lb"}
    assert databases["billing"]["ENGINE"] == "logitrack.db.backends.postgresql"
    assert databases["billing"]["CONN_HEALTH_CHECKS"] and databases["billing"]["timeout"] == 5
