"""A context that can run as its own service is reached only through a ContextApi: no module outside it imports its
api at module level (which would call it in process whatever <CONTEXT>_API_MODE says), and its contracts publish
every api function for remote callers."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

from tests.architecture import rules

ROOT = Path(__file__).resolve().parents[2]


def runtime_sources(context: str) -> dict[str, str]:
    """The platform's code that runs in its processes (apps and config; not tests, scripts or the demo seeding,
    which build billing's data directly as the given), outside `context` itself."""
    found = {}
    for base in ("apps", "config"):
        for path in (ROOT / base).rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or "migrations" in parts or parts[:2] in (("apps", context), ("config", "demo")):
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
