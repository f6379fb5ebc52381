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

CONTEXTS = ("identity", "fleet", "partner", "billing", "trips", "dispatch")
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
        old = {f["name"]: f for f in committed["fields"]}
        new = {f["name"]: f for f in current["fields"]}
        breaking = [n for n in old if n not in new or old[n]["type"] != new[n]["type"]]
        breaking += [n for n in new if n not in old and new[n]["required"]]
        breaking += [n for n in old if n in new and not old[n]["required"] and new[n]["required"]]
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
