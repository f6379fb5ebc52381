"""Each context opens its transactions on its own database alias (ARCHITECTURE.md §3.9, logitrack/db/contexts.py).

Split, a bare `transaction.atomic()` guards `default` only and a context's writes would commit one by one; a bare
`django.db.connection` is `default`'s, not the context's. So apps/ and the composition root's console and demo use
`contexts.atomic("<ctx>")`, `contexts.on_commit(fn, "<ctx>")` and `connections[contexts.alias("<ctx>")]`, and a
context names only itself (the console and the demo act through every context, so they may name any).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from logitrack.db.contexts import CONTEXTS

ROOT = Path(__file__).resolve().parents[2]
SCANNED = (ROOT / "apps", ROOT / "config" / "console", ROOT / "config" / "demo")
# django.db.transaction's calls that pick the alias themselves (default unless told) or manage it by hand
FORBIDDEN = frozenset(
    {
        "atomic",
        "on_commit",
        "get_connection",
        "savepoint",
        "savepoint_commit",
        "savepoint_rollback",
        "clean_savepoints",
        "commit",
        "rollback",
        "set_autocommit",
        "set_rollback",
        "get_autocommit",
        "get_rollback",
    }
)
NAMING = frozenset({"atomic", "on_commit", "alias"})  # contexts' functions that take a context's name


def violations(source: str, *, context: str | None, where: str = "<source>") -> list[str]:
    """What in `source` opens a transaction or takes a connection other than through its own context.
    `context` is the module's own context, None where any may be named (the console, the demo)."""
    tree = ast.parse(source)
    found: list[str] = []
    transaction_names: set[str] = set()  # local names of django.db.transaction
    contexts_names: set[str] = set()  # local names of logitrack.db.contexts
    naming_functions: dict[str, str] = {}  # local name -> contexts' function (from ... contexts import atomic)
    django_db_names: set[str] = set()  # other local names of the django.db module (import django.db as db)

    def say(node: ast.AST, what: str) -> None:
        found.append(f"{where}:{getattr(node, 'lineno', '?')}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "django.db":
            for name in node.names:
                if name.name == "transaction":
                    transaction_names.add(name.asname or name.name)
                elif name.name == "connection":
                    say(node, "django.db.connection is default's: use connections[contexts.alias(<context>)]")
        elif isinstance(node, ast.ImportFrom) and node.module == "django.db.transaction":
            for name in node.names:
                if name.name in FORBIDDEN:
                    say(node, f"django.db.transaction.{name.name}: use logitrack.db.contexts")
        elif isinstance(node, ast.ImportFrom) and node.module == "logitrack.db":
            contexts_names.update(n.asname or n.name for n in node.names if n.name == "contexts")
        elif isinstance(node, ast.ImportFrom) and node.module == "logitrack.db.contexts":
            naming_functions.update({n.asname or n.name: n.name for n in node.names if n.name in NAMING})
        elif isinstance(node, ast.Import):
            for name in node.names:
                if name.name == "django.db.transaction" and name.asname:
                    transaction_names.add(name.asname)
                elif name.name == "django.db" and name.asname:
                    django_db_names.add(name.asname)
                elif name.name == "logitrack.db.contexts" and name.asname:
                    contexts_names.add(name.asname)

    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in transaction_names and node.attr in FORBIDDEN:
                say(node, f"transaction.{node.attr} guards default only: use logitrack.db.contexts")
            else:
                dotted = _dotted(node) or ""
                for module in ("django.db", *django_db_names):
                    if dotted == f"{module}.connection" or (
                        dotted.startswith(f"{module}.transaction.") and node.attr in FORBIDDEN
                    ):
                        say(node, f"{dotted}: use logitrack.db.contexts")
        if isinstance(node, ast.Call):
            function = _naming_call(node.func, contexts_names, naming_functions)
            if function is not None:
                named = _context_argument(node, function)
                if not (isinstance(named, ast.Constant) and isinstance(named.value, str)):
                    if context is not None:
                        say(node, f"contexts.{function} with a context that is not written out: name {context!r}")
                elif named.value not in CONTEXTS:
                    say(node, f"contexts.{function}({named.value!r}): no such context")
                elif context is not None and named.value != context:
                    say(node, f"contexts.{function}({named.value!r}) in {context}: a context opens only its own")
    return found


def _dotted(node: ast.AST) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return ".".join([node.id, *reversed(parts)])
    return None


def _naming_call(func: ast.expr, contexts_names: set[str], naming_functions: dict[str, str]) -> str | None:
    if isinstance(func, ast.Attribute) and func.attr in NAMING:
        if isinstance(func.value, ast.Name) and func.value.id in contexts_names:
            return func.attr
        if _dotted(func.value) == "logitrack.db.contexts":
            return func.attr
    if isinstance(func, ast.Name) and func.id in naming_functions:
        return naming_functions[func.id]
    return None


def _context_argument(call: ast.Call, function: str) -> ast.expr | None:
    position = 1 if function == "on_commit" else 0  # on_commit(func, context)
    if len(call.args) > position:
        return call.args[position]
    return next((k.value for k in call.keywords if k.arg == "context"), None)


def _modules() -> list[tuple[Path, str | None]]:
    found = []
    for root in SCANNED:
        for path in sorted(root.rglob("*.py")):
            relative = path.relative_to(ROOT)
            if "tests" in relative.parts or path.name.startswith("test_") or path.name == "conftest.py":
                continue
            if "migrations" in relative.parts:  # applied on the alias migrate is given, never at run time
                continue
            if relative.parts[0] == "apps" and len(relative.parts) == 2:
                continue  # apps/__init__.py: no context's
            context = relative.parts[1] if relative.parts[0] == "apps" else None
            found.append((path, context))
    return found


def test_every_context_opens_its_transactions_on_its_own_alias():
    modules = _modules()
    assert {c for _, c in modules if c} == set(CONTEXTS), "every context's modules are scanned"
    assert any(c is None for _, c in modules), "the console and the demo are scanned"
    offenders = [
        hit
        for path, context in modules
        for hit in violations(path.read_text(), context=context, where=str(path.relative_to(ROOT)))
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "source",
    [
        "from django.db import transaction\n\n@transaction.atomic\ndef f():\n    pass\n",
        "from django.db import transaction\n\ndef f():\n    with transaction.atomic():\n        pass\n",
        "from django.db import transaction\n\ndef f():\n    with transaction.atomic(using='billing'):\n        pass\n",
        "from django.db import transaction as tx\n\ndef f():\n    tx.on_commit(print)\n",
        "from django.db import transaction\n\ndef f():\n    return transaction.get_connection()\n",
        "from django.db import transaction\n\ndef f():\n    transaction.savepoint()\n",
        "from django.db.transaction import atomic\n",
        "from django.db import connection\n",
        "from django.db import IntegrityError, connection, models\n",
        "import django.db\n\ndef f():\n    return django.db.connection.cursor()\n",
        "from logitrack.db import contexts\n\n@contexts.atomic('trips')\ndef f():\n    pass\n",
        "from logitrack.db import contexts\n\ndef f():\n    with contexts.atomic('trips'):\n        pass\n",
        "from logitrack.db import contexts\n\ndef f():\n    contexts.on_commit(print, 'trips')\n",
        "from logitrack.db import contexts\nfrom django.db import connections\n\n"
        "def f():\n    return connections[contexts.alias('trips')]\n",
        "from logitrack.db.contexts import atomic\n\n@atomic('trips')\ndef f():\n    pass\n",
        "from logitrack.db import contexts\n\ndef f(name):\n    with contexts.atomic(name):\n        pass\n",
    ],
)
def test_a_planted_transaction_outside_the_own_context_is_found(source):
    assert violations(source, context="billing") != []


@pytest.mark.parametrize(
    "source",
    [
        "from logitrack.db import contexts\n\n@contexts.atomic('billing')\ndef f():\n    pass\n",
        "from logitrack.db import contexts\n\n@contexts.atomic('billing', savepoint=False)\ndef f():\n    pass\n",
        "from logitrack.db import contexts\n\ndef f():\n    contexts.on_commit(print, 'billing')\n",
        "from logitrack.db import contexts\nfrom django.db import IntegrityError, connections\n\n"
        "def f():\n    return connections[contexts.alias('billing')]\n",
        "from django.db import models\n\nclass Posting(models.Model):\n    transaction = models.IntegerField()\n",
        "def f(posting):\n    return posting.transaction.fleet_id\n",  # a field called transaction is no module
    ],
)
def test_the_own_context_passes(source):
    assert violations(source, context="billing") == []


def test_the_console_and_the_demo_may_name_any_context_but_not_a_bare_transaction():
    writes_two = (
        "from logitrack.db import contexts\n\ndef f():\n"
        "    with contexts.atomic('trips'):\n        pass\n    with contexts.atomic('billing'):\n        pass\n"
    )
    assert violations(writes_two, context=None) == []
    assert violations("from logitrack.db import contexts\ncontexts.atomic('trip')\n", context=None) != []
    assert violations("from django.db import transaction\ntransaction.atomic()\n", context=None) != []
