"""Fixtures shared by every test folder (the kernel's own fixtures come from logitrack.testing.plugin)."""

import contextlib
import functools

import pytest
from django.db import DEFAULT_DB_ALIAS

DB_FIXTURES = ("db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback")


def pytest_collection_modifyitems(config, items):
    """Split (scripts/test-split.sh: contexts on databases of their own): every database test may use every alias,
    as the code under test writes each context's rows to its context's database. One database: nothing changes."""
    from logitrack.db import contexts

    if not contexts.split():
        return
    from django.test import TransactionTestCase

    for item in items:
        cls = getattr(item, "cls", None)
        if cls is not None and issubclass(cls, TransactionTestCase):
            cls.databases = "__all__"
            continue
        marker = item.get_closest_marker("django_db")
        if marker is None and not any(name in getattr(item, "fixturenames", ()) for name in DB_FIXTURES):
            continue
        kwargs = dict(marker.kwargs) if marker is not None else {}
        if marker is not None and marker.args:  # django_db(True): transaction given by position
            kwargs.setdefault("transaction", marker.args[0])
        kwargs["databases"] = "__all__"
        item.add_marker(pytest.mark.django_db(**kwargs), append=False)  # the closest: pytest-django reads this one


@pytest.fixture
def django_capture_on_commit_callbacks():
    """pytest-django's, capturing on every context's database when split (a context's on_commit callbacks are on
    its own alias); `using=` still picks one."""
    from django.test import TestCase

    from logitrack.db import contexts

    def capture(*, using=None, execute=False):
        if using or not contexts.split():
            return TestCase.captureOnCommitCallbacks(using=using or DEFAULT_DB_ALIAS, execute=execute)
        return _capture_everywhere(execute)

    return capture


@contextlib.contextmanager
def _capture_everywhere(execute):
    from django.test import TestCase

    from logitrack.db import contexts

    per_alias, merged = [], []
    with contextlib.ExitStack() as stack:
        for alias in contexts.aliases():
            per_alias.append(stack.enter_context(TestCase.captureOnCommitCallbacks(using=alias, execute=execute)))
        yield merged
    for captured in per_alias:
        merged.extend(captured)


@pytest.fixture
def django_assert_num_queries(pytestconfig):
    """pytest-django's, counting every context's database when split (a request's queries run on the aliases of
    the contexts it reads); `connection=` or `using=` still picks one."""
    return functools.partial(_assert_num_queries, pytestconfig, exact=True)


@pytest.fixture
def django_assert_max_num_queries(pytestconfig):
    """The same, as an upper bound."""
    return functools.partial(_assert_num_queries, pytestconfig, exact=False)


@contextlib.contextmanager
def _assert_num_queries(config, num, connection=None, info=None, *, exact, using=None):
    from pytest_django.fixtures import _assert_num_queries as one_database

    from logitrack.db import contexts
    from logitrack.testing.queries import CaptureEveryDatabase

    if connection is not None or using is not None or not contexts.split():
        with one_database(config, num, exact, connection, info, using=using) as captured:
            yield captured
        return
    with CaptureEveryDatabase() as captured:
        yield captured
    performed = len(captured)
    if (num != performed) if exact else (performed > num):
        verb = "was" if performed == 1 else "were"  # pytest-django's words
        msg = f"Expected to perform {num} queries {'' if exact else 'or less '}but {performed} {verb} done"
        if info:
            msg += f"\n{info}"
        msg += "\n\nQueries:\n========\n\n" + "\n\n".join(f"[{q['alias']}] {q['sql']}" for q in captured)
        pytest.fail(msg)


# The groups' permissions as the data migrations left them (group name, app label, codename), read once the test
# database exists: a transactional test's flush empties them, and `groups_as_migrated` puts them back.
MIGRATED_GROUP_PERMISSIONS: list[tuple[str, str, str]] = []


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.contrib.auth.models import Group

    with django_db_blocker.unblock():
        MIGRATED_GROUP_PERMISSIONS[:] = Group.permissions.through.objects.values_list(
            "group__name", "permission__content_type__app_label", "permission__codename"
        )


@pytest.fixture
def groups_as_migrated(django_db_setup, transactional_db):
    """The admin groups (the fleet managers') with the permissions their migrations give them, again: an earlier
    transactional test's flush left them without any, and a manager's admin pages would answer 403."""
    from django.contrib.auth.models import Group, Permission

    for name, app_label, codename in MIGRATED_GROUP_PERMISSIONS:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


@pytest.fixture
def two_fleets(db):
    """Two tenants with a fleet manager, dispatcher and driver each, plus a customer and a platform admin."""
    from tests.support.isolation import build_two_fleets

    return build_two_fleets()


@pytest.fixture
def clean_login_guard(db):
    """Login failures are counted in the database (django-axes, apps/identity/login_guard.py): start from zero
    even where a test's server processes committed some."""
    from axes.models import AccessAttempt

    AccessAttempt.objects.all().delete()
