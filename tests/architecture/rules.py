"""Architecture rules import-linter cannot see. Each returns the offenders it finds, so a test can
run it on the real code base and on a planted violation alike."""

from __future__ import annotations

import ast
import dataclasses
import inspect
import json
import typing
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType

from django.db import models

CONTEXTS = ("identity", "fleet", "partner", "billing", "trips", "dispatch", "notifications")
# notifications sits on top of the context map and nothing calls it, so it publishes no api.py
CALLED_CONTEXTS = tuple(c for c in CONTEXTS if c != "notifications")
ALLOWED_RETURN_MODULES = ("builtins", "uuid", "datetime", "decimal", "typing", "collections.abc", "types")


# ---- data ownership ------------------------------------------------------------------------


def cross_context_relations(model_classes: Iterable[type[models.Model]]) -> list[str]:
    """Relation fields from a context's model to another context's model (FK, O2O, M2M)."""
    offenders = []
    for model in model_classes:
        owner = model._meta.app_label
        if owner not in CONTEXTS:
            continue
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            target = field.related_model._meta.app_label
            if target in CONTEXTS and target != owner:
                offenders.append(f"{owner}.{model.__name__}.{field.name} -> {target}.{field.related_model.__name__}")
    return offenders


# ---- public api shape ----------------------------------------------------------------------


def _leaves(tp: object) -> Iterator[object]:
    args = typing.get_args(tp)
    if not args:
        yield typing.get_origin(tp) or tp
    for arg in args:
        if arg is not Ellipsis:
            yield from _leaves(arg)


def _is_contract_type(leaf: object) -> bool:
    if leaf is None or leaf is type(None):
        return True
    module = getattr(leaf, "__module__", "")
    return (
        module in ALLOWED_RETURN_MODULES
        or module.endswith(".contracts")
        or module in ("logitrack.types", "logitrack.events", "logitrack.principal")
        or module.endswith(".events")
    )


def api_shape_violations(module: ModuleType) -> list[str]:
    """Public functions of an app's api module: keyword-only, annotated, returning contracts only."""
    offenders = []
    for name, fn in inspect.getmembers(module, inspect.isfunction):
        if name.startswith("_") or fn.__module__ != module.__name__:
            continue
        where = f"{module.__name__}.{name}"
        params = inspect.signature(fn).parameters.values()
        if any(p.kind is not p.KEYWORD_ONLY for p in params):
            offenders.append(f"{where}: arguments must be keyword-only (def {name}(*, ...))")
        hints = typing.get_type_hints(fn)
        if "return" not in hints:
            offenders.append(f"{where}: annotate the return type")
            continue
        for leaf in _leaves(hints["return"]):
            if inspect.isclass(leaf) and issubclass(leaf, models.Model | models.QuerySet | models.Manager):
                offenders.append(f"{where}: returns {leaf.__name__}, an ORM object; return a contract")
            elif not _is_contract_type(leaf):
                offenders.append(f"{where}: returns {leaf!r}, which is not declared in a contracts module")
    return offenders


# ---- event schemas -------------------------------------------------------------------------


def event_schema_drift(events: dict[str, type], snapshot_dir: Path) -> list[str]:
    """Compare every event's schema with its committed snapshot; explain what kind of change it is."""
    from logitrack.events import event_schema

    offenders = []
    seen = set()
    for event_type, cls in sorted(events.items()):
        path = snapshot_dir / f"{event_type}.json"
        seen.add(path.name)
        current = event_schema(cls)
        if not path.exists():
            offenders.append(f"{event_type}: no snapshot; run scripts/event-snapshots.sh and commit it")
            continue
        committed = json.loads(path.read_text())
        if committed == current:
            continue
        breaking = _breaking_fields(
            {f["name"]: (f["type"], f["required"]) for f in committed["fields"]},
            {f["name"]: (f["type"], f["required"]) for f in current["fields"]},
        )
        if breaking:
            offenders.append(
                f"{event_type}: incompatible change to {sorted(set(breaking))}; publish a new major version "
                "(…v2) alongside this one instead"
            )
        else:
            offenders.append(f"{event_type}: compatible change (defaulted field added); refresh the snapshot")
    for path in sorted(snapshot_dir.glob("*.json")):
        if path.name not in seen:
            offenders.append(
                f"{path.stem}: snapshot exists but the event is gone; published events are never removed silently"
            )
    return offenders


def _breaking_fields(old: dict[str, tuple[str, bool]], new: dict[str, tuple[str, bool]], prefix: str = "") -> list[str]:
    """Fields (dotted inside nested shapes) whose change breaks a reader of the old schema: removed, retyped, a
    new required field, or a default dropped. Inside a nested shape the same rules apply field by field."""
    breaking = []
    for name, (old_type, old_required) in old.items():
        if name not in new:
            breaking.append(prefix + name)
            continue
        new_type, new_required = new[name]
        if new_required and not old_required:
            breaking.append(prefix + name)
        elif old_type != new_type:
            breaking += _breaking_types(_parse_type(old_type), _parse_type(new_type), f"{prefix}{name}")
    breaking += [prefix + n for n, (_, required) in new.items() if n not in old and required]
    return breaking


def _breaking_types(old: tuple, new: tuple, where: str) -> list[str]:
    """Compare two parsed types: only a nested shape may differ compatibly (by defaulted fields)."""
    if old[0] == "shape" and new[0] == "shape" and old[1] == new[1]:
        return _breaking_fields(old[2], new[2], prefix=f"{where}.")
    if old[0] == "generic" and new[0] == "generic" and old[1] == new[1] and len(old[2]) == len(new[2]):
        return [b for o, n in zip(old[2], new[2], strict=True) for b in _breaking_types(o, n, where)]
    return [] if old == new else [where]


def _parse_type(text: str) -> tuple:
    """Parse logitrack.events' type names: `Name{a: T, b?: T}` (a shape; `?` marks a default), `name[T, …]`
    (generics, unions, enums), or a plain name."""
    parsed, rest = _parse_at(text.strip())
    if rest.strip():
        raise ValueError(f"cannot parse event type {text!r}")
    return parsed


def _split_top(text: str, closing: str) -> tuple[list[str], str]:
    """The comma-separated items up to the bracket that closes the one just opened, and what follows it."""
    depth, items, start = 0, [], 0
    for i, ch in enumerate(text):
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            if depth == 0:
                if ch != closing:
                    raise ValueError(f"unbalanced {text!r}")
                items.append(text[start:i].strip())
                return [it for it in items if it], text[i + 1 :]
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    raise ValueError(f"unclosed {text!r}")


def _parse_at(text: str) -> tuple[tuple, str]:
    end = next((i for i, ch in enumerate(text) if ch in "[{,]}"), len(text))
    name, rest = text[:end].strip(), text[end:]
    if rest.startswith("{"):
        items, rest = _split_top(rest[1:], "}")
        fields = {}
        for item in items:
            field, _, type_text = item.partition(":")
            fields[field.strip().rstrip("?")] = (type_text.strip(), not field.strip().endswith("?"))
        return ("shape", name, fields), rest
    if rest.startswith("["):
        items, rest = _split_top(rest[1:], "]")
        if name == "enum":
            return ("enum", tuple(items)), rest
        return ("generic", name, tuple(_parse_type(it) for it in items)), rest
    return ("plain", name), rest


def write_event_snapshots(events: dict[str, type], snapshot_dir: Path) -> None:
    from logitrack.events import event_schema

    snapshot_dir.mkdir(parents=True, exist_ok=True)
    for event_type, cls in events.items():
        (snapshot_dir / f"{event_type}.json").write_text(json.dumps(event_schema(cls), indent=2) + "\n")


def context_events() -> dict[str, type]:
    """Events declared by the six contexts (test-only events are not a published contract)."""
    from logitrack.events import registered_event_types

    return {t: c for t, c in registered_event_types().items() if c.__module__.split(".")[:1] == ["apps"]}


# ---- no apps.get_model across contexts -------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class GetModelCall:
    path: Path
    line: int
    label: str


def _get_model_calls(path: Path) -> Iterator[GetModelCall]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
        if name != "get_model" or not node.args:
            continue
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield GetModelCall(path, node.lineno, first.value.split(".")[0])
        else:
            yield GetModelCall(path, node.lineno, "<dynamic>")


def cross_context_get_model(apps_root: Path) -> list[str]:
    """`apps.get_model("other_app", ...)` outside migrations and tests: an import edge linters miss."""
    offenders = []
    for context in CONTEXTS:
        for path in sorted((apps_root / context).rglob("*.py")):
            rel = path.relative_to(apps_root / context).parts
            if "migrations" in rel or "tests" in rel:
                continue
            for call in _get_model_calls(path):
                if call.label != context:
                    offenders.append(f"{path}:{call.line}: get_model({call.label!r}) from {context}")
    return offenders


# ---- migrations that would stop writes -----------------------------------------------------


def blocking_index_operations(migrations: Iterable[object]) -> list[str]:
    """Indexes added to or dropped from a table an earlier migration made (so it may hold a year of rows) with the
    plain operations, which block its writes for the whole build; `logitrack.db.operations` has the online ones."""
    from django.db.migrations.operations import AddIndex, CreateModel, RemoveIndex

    from logitrack.db.operations import AddIndexOnline, RemoveIndexOnline

    offenders = []
    for migration in migrations:
        operations = getattr(migration, "operations", [])
        created = {op.name_lower for op in operations if isinstance(op, CreateModel)}
        for op in operations:
            plain = (isinstance(op, AddIndex) and not isinstance(op, AddIndexOnline)) or (
                isinstance(op, RemoveIndex) and not isinstance(op, RemoveIndexOnline)
            )
            if plain and op.model_name_lower not in created:
                offenders.append(f"{migration.app_label}.{migration.name}: {type(op).__name__} on {op.model_name}")
    return offenders


# ---- contexts that may run as their own service --------------------------------------------------------------------

# contexts that may run as their own service (logitrack.remote): other processes call their whole api over HTTP
# (their contracts' REMOTE publishes every function), and what they call of other contexts goes through a
# ContextApi too, since their own database has none of the others' tables
REMOTE_CONTEXTS = ("billing",)
# contexts such a service calls on the platform: their REMOTE publishes the part of their api it calls
PLATFORM_CONTEXTS = ("fleet", "partner", "identity")
CONTEXT_API_OWN = frozenset({"mode", "interface", "inprocess_module"})  # a ContextApi's attributes that are no call


def direct_api_imports(sources: dict[str, str], context: str) -> list[str]:
    """Modules outside `context` that import its api at module level, so they would call it in process whatever
    <CONTEXT>_API_MODE says. Allowed: an import inside a function (the in-process loader a ContextApi is given).
    `sources`: module path -> source text."""
    api = f"apps.{context}.api"
    offenders = []
    for path, text in sources.items():
        for node in ast.parse(text).body:  # module level only
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
            if api in names:
                offenders.append(f"{path}:{node.lineno}")
    return offenders


def _imported_names(tree: ast.Module) -> dict[str, str]:
    """Each name a module binds by a module-level import, with the dotted name it stands for."""
    names: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (
                    alias.name if alias.asname else alias.name.split(".")[0]
                )
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                names[alias.asname or alias.name] = f"{node.module}.{alias.name}"
    return names


def _context_api_interface(value: ast.expr, imported: dict[str, str]) -> str | None:
    """The contracts module whose REMOTE a `ContextApi(<contracts>.REMOTE, ...)` call is built from, else None."""
    if not isinstance(value, ast.Call) or not value.args:
        return None
    func = value.func
    if not (isinstance(func, ast.Attribute) and func.attr == "ContextApi") and not (
        isinstance(func, ast.Name) and func.id == "ContextApi"
    ):
        return None
    first = value.args[0]
    if isinstance(first, ast.Attribute) and first.attr == "REMOTE" and isinstance(first.value, ast.Name):
        return imported.get(first.value.id)
    if isinstance(first, ast.Name) and imported.get(first.id, "").endswith(".REMOTE"):
        return imported[first.id].rsplit(".", 1)[0]
    return None


def _module_name(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def context_api_calls(sources: dict[str, str]) -> list[tuple[str, str, str]]:
    """Every call made through a module-level ContextApi (`billing_api = remote.ContextApi(contracts.REMOTE, ...)`),
    in the module that builds it or one that imports it by name: (where, the contracts module, the call's name).
    `sources`: module path -> source text."""
    trees = {path: ast.parse(text) for path, text in sources.items()}
    imported = {path: _imported_names(tree) for path, tree in trees.items()}
    built: dict[str, str] = {}  # "module.name" -> contracts module
    for path, tree in trees.items():
        for node in tree.body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
                contracts = _context_api_interface(node.value, imported[path])
                if contracts:
                    built[f"{_module_name(path)}.{node.targets[0].id}"] = contracts
    found = []
    for path, tree in trees.items():
        here = {
            name: built[f"{_module_name(path)}.{name}"]
            for name in _bound(tree)
            if f"{_module_name(path)}.{name}" in built
        }
        here.update({name: built[dotted] for name, dotted in imported[path].items() if dotted in built})
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in here:
                if node.attr not in CONTEXT_API_OWN:
                    found.append((f"{path}:{node.lineno}", here[node.value.id], node.attr))
    return found


def _bound(tree: ast.Module) -> set[str]:
    return {t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)}


def foreign_api_imports(sources: dict[str, str], context: str) -> list[str]:
    """Imports of another context's api in `context`'s modules that would call it in process whatever its mode says:
    any at module level, and any in a function that is not the in-process loader of a ContextApi of the same module
    (`ContextApi(..., inprocess=<function>)`). `sources`: module path -> source text."""
    offenders = []
    for path, text in sources.items():
        tree = ast.parse(text)
        loaders = {
            keyword.value.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Call)
            for keyword in node.keywords
            if keyword.arg == "inprocess" and isinstance(keyword.value, ast.Name)
        }
        scopes: list[tuple[ast.AST, str | None]] = [(node, None) for node in tree.body]
        while scopes:
            node, function = scopes.pop()
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                function = node.name if function is None else function
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
            foreign = [n for n in names if n.startswith("apps.") and n.endswith(".api") and n.split(".")[1] != context]
            if foreign and (function is None or function not in loaders):
                offenders.append(f"{path}:{node.lineno}")
            scopes.extend((child, function) for child in ast.iter_child_nodes(node))
    return sorted(offenders)
