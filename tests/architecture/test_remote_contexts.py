"""A context that can run as its own service is reached only through a ContextApi: no module outside it imports its
api at module level (which would call it in process whatever <CONTEXT>_API_MODE says), and its contracts publish
every api function for remote callers. It calls the platform's contexts through ContextApis too (its own database
has none of their tables), and every call made through a ContextApi is one its callee publishes, with the api
function's own return type."""

from __future__ import annotations

import importlib
import inspect
import typing
from pathlib import Path

import pytest

from tests.architecture import rules

ROOT = Path(__file__).resolve().parents[2]


def runtime_sources(context: str | None = None, *, inside: str | None = None) -> dict[str, str]:
    """The platform's code that runs in its processes (apps and config; not tests, scripts or the demo seeding,
    which build billing's data directly as the given), outside `context` itself, or only `inside` that context."""
    found = {}
    for base in ("apps", "config"):
        for path in (ROOT / base).rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts or parts[:2] in (("apps", context), ("config", "demo")):
                continue
            if inside is not None and parts[:2] != ("apps", inside):
                continue
            found[str(path.relative_to(ROOT))] = path.read_text()
    return found


@pytest.mark.parametrize("context", rules.REMOTE_CONTEXTS)
def test_nothing_outside_a_remote_context_imports_its_api_at_module_level(context):
    assert rules.direct_api_imports(runtime_sources(context), context) == []


def test_the_rule_catches_a_planted_direct_import():
    planted = {
        "apps/trips/integrations.py": "from apps.billing import api as billing_api\n",
        "config/console/x.py": "import apps.billing.api\n",
        "apps/dispatch/integrations.py": "def _load():\n    from apps.billing import api\n    return api\n",
    }
    assert rules.direct_api_imports(planted, "billing") == ["apps/trips/integrations.py:1", "config/console/x.py:1"]


@pytest.mark.parametrize("context", rules.REMOTE_CONTEXTS)
def test_a_remote_context_publishes_every_api_function(context):
    api = importlib.import_module(f"apps.{context}.api")
    contracts = importlib.import_module(f"apps.{context}.contracts")
    functions = {name for name, f in inspect.getmembers(api, inspect.isfunction) if f.__module__ == api.__name__} - {
        name for name in dir(api) if name.startswith("_")
    }
    assert set(contracts.REMOTE.calls) == functions


@pytest.mark.parametrize("context", rules.REMOTE_CONTEXTS)
def test_a_remote_context_calls_other_contexts_only_through_a_context_api(context):
    assert rules.foreign_api_imports(runtime_sources(inside=context), context) == []


def test_the_rule_catches_other_contexts_api_called_in_process():
    planted = {
        "apps/billing/integrations.py": (
            "from apps.fleet import api as fleet_api\n"  # module level
            "def _fleet():\n    from apps.fleet import api\n    return api\n"  # a ContextApi's loader: allowed
            "fleet = remote.ContextApi(fleet_contracts.REMOTE, inprocess=_fleet)\n"
            "def names():\n    from apps.identity.api import users_get\n    return users_get(user_ids=[])\n"
        ),
        "apps/billing/services/x.py": "import apps.partner.api\nfrom apps.billing import api\n",  # its own api: fine
    }
    assert rules.foreign_api_imports(planted, "billing") == [
        "apps/billing/integrations.py:1",
        "apps/billing/integrations.py:7",
        "apps/billing/services/x.py:1",
    ]


def remote_interfaces() -> dict[str, object]:
    """Every context's published interface, by its contracts module."""
    found = {}
    for context in rules.CONTEXTS:
        contracts = importlib.import_module(f"apps.{context}.contracts")
        if hasattr(contracts, "REMOTE"):
            found[contracts.__name__] = contracts.REMOTE
    return found


def test_the_platform_contexts_publish_what_a_remote_context_calls_of_them():
    published = remote_interfaces()
    assert {f"apps.{c}.contracts" for c in (*rules.REMOTE_CONTEXTS, *rules.PLATFORM_CONTEXTS)} <= set(published)
    calls = rules.context_api_calls(runtime_sources())
    assert {(contracts, name) for _, contracts, name in calls if contracts == "apps.fleet.contracts"} >= {
        ("apps.fleet.contracts", "fleet_get")  # billing's own calls are among those seen
    }
    unpublished = [f"{where}: {name}" for where, contracts, name in calls if name not in published[contracts].calls]
    assert unpublished == []


def test_the_rule_finds_calls_through_a_context_api_where_it_is_built_and_where_it_is_imported():
    planted = {
        "apps/billing/integrations.py": (
            "from apps.fleet import contracts as fleet_contracts\nfrom logitrack import remote\n"
            "fleet_api = remote.ContextApi(fleet_contracts.REMOTE, inprocess=_fleet)\n"
            "def f():\n    fleet_api.fleet_get(fleet_id=1)\n    return fleet_api.mode\n"
        ),
        "config/console/x.py": "from apps.billing.integrations import fleet_api as fleets\nfleets.vehicles_get()\n",
    }
    assert rules.context_api_calls(planted) == [
        ("apps/billing/integrations.py:5", "apps.fleet.contracts", "fleet_get"),
        ("config/console/x.py:2", "apps.fleet.contracts", "vehicles_get"),
    ]


@pytest.mark.parametrize("contracts", sorted(remote_interfaces()))
def test_each_published_call_is_an_api_function_returning_what_it_says(contracts):
    interface = remote_interfaces()[contracts]
    api = importlib.import_module(contracts.replace(".contracts", ".api"))
    for name, call in interface.calls.items():
        function = getattr(api, name, None)
        assert inspect.isfunction(function) and function.__module__ == api.__name__, f"{contracts}: {name}"
        assert typing.get_type_hints(function)["return"] == call.returns, f"{contracts}: {name}"
