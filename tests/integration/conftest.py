"""Fixtures of the integration tests."""

import functools

import pytest

from tests.support.dispatch_world import dispatch_world, live_store  # noqa: F401  (fixtures)


@pytest.fixture
def django_assert_num_queries(pytestconfig):
    """pytest-django's, counting the queries on every context's database when split (logitrack/testing/databases)."""
    from logitrack.testing import databases

    return functools.partial(databases.assert_num_queries, verbose=pytestconfig.getoption("verbose") > 0)


@pytest.fixture
def django_assert_max_num_queries(pytestconfig):
    """pytest-django's, counting the queries on every context's database when split (logitrack/testing/databases)."""
    from logitrack.testing import databases

    return functools.partial(databases.assert_num_queries, exact=False, verbose=pytestconfig.getoption("verbose") > 0)
