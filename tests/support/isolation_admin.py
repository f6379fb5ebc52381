"""The admin part of the tenant-isolation matrix (tests/integration/test_tenant_isolation_matrix.py): every
ModelAdmin of `django.contrib.admin.site`, probed as fleet A's manager against fleet B's rows of the world in
tests/support/isolation_matrix.py, and as a platform admin who sees both fleets.

For a model fleet managers see (an `AdminCase`):
- they may do exactly what the case says (`may`: view, add, change, delete), so a permission never granted
  (invoices once answered 403) or granted by mistake fails;
- the changelist lists fleet A's row and never fleet B's; a platform admin's lists both and opens B's row;
- the change, history and delete pages of B's row, GET and POST, answer what a made-up id gets (a redirect to the
  index saying it does not exist, or 403 where managers may not use the page at all), never 200, and B's row
  stays as it was; so do the views the ModelAdmin adds (`extra`);
- every action it offers them, run on A's and B's rows together, leaves B's row as it was;
- the add and change forms, POSTed with one of fleet B's ids in a field naming another row (`foreign`), come back
  with an error on that field and write nothing, while the same form with fleet A's ids is accepted;
- no add or change form asks anyone for a raw id in a text box.
For a model only platform admins see (`PLATFORM_ONLY`), every page answers fleet managers 403.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import uuid
from collections.abc import Callable
from html.parser import HTMLParser
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.admin import ModelAdmin
from django.db.models import Model
from django.test import Client, RequestFactory

from tests.support.isolation_matrix import Side, World, rest_routes

PERMISSIONS = ("view", "add", "change", "delete")
STANDARD_VIEWS = ("changelist", "add", "change", "delete", "history")


@dataclasses.dataclass(frozen=True)
class Extra:
    """A view the ModelAdmin adds in get_urls: its path for a row's pk, and what A's manager gets on A's row.
    `row` names the rows it is probed on when not the case's own (a trip with proof of delivery, say).
    `export=True`: a view of the whole list (its path ignores the pk), a CSV export (logitrack.admin.export): A's
    manager gets exactly the rows their changelist shows, a platform admin more (fleet B's too)."""

    path: Callable[[Any], str]
    own_status: int = 200
    row: Callable[[Side], Model] | None = None
    export: bool = False


@dataclasses.dataclass(frozen=True)
class ListExtra:
    """A view the ModelAdmin adds for the whole list (an export, an import form): A's manager gets `own_status`
    and a body that shows `mark(world.a)` and never `mark(world.b)`; a platform admin's shows both."""

    path: str
    mark: Callable[[Side], str]
    own_status: int = 200


@dataclasses.dataclass(frozen=True)
class AdminCase:
    row: Callable[[Side], Model]  # a row of the side this admin shows
    may: frozenset[str]  # what fleet managers may do here
    form: Callable[[World, Side], dict[str, Any]] | None = None  # add-form values naming the side's rows
    foreign: tuple[str, ...] = ()  # form fields naming another row (inline fields by their full name)
    extra: dict[str, Extra | ListExtra] = dataclasses.field(default_factory=dict)  # route (no "admin:") -> probe


def admin_case(row, *, may: str = "view", form=None, foreign=(), extra=None) -> AdminCase:
    """`admin_case(lambda s: s.van, may="view add change", form=..., foreign=("fleet",))`."""
    unknown = set(may.split()) - set(PERMISSIONS)
    assert not unknown, f"unknown permissions {unknown}"
    return AdminCase(row=row, may=frozenset(may.split()), form=form, foreign=tuple(foreign), extra=extra or {})


def label(model: type[Model]) -> str:
    return model._meta.label_lower


def registry() -> dict[str, ModelAdmin]:
    return {label(model): model_admin for model, model_admin in admin.site._registry.items()}


def page(model: type[Model], view: str, pk: Any = None) -> str:
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    if view == "changelist":
        return base
    if view == "add":
        return base + "add/"
    return f"{base}{pk}/{view}/"


# ---- which admin routes a case covers --------------------------------------------------------------------------


def admin_routes() -> tuple[dict[str, set[str]], set[str]]:
    """(route keys under each registered model's admin, by model label; every other admin route key)."""
    by_model: dict[str, set[str]] = {}
    prefixes = {f"admin/{m._meta.app_label}/{m._meta.model_name}/": label(m) for m in admin.site._registry}
    site: set[str] = set()
    for route in rest_routes():
        if not route.key.startswith("admin:"):
            continue
        owner = next((model for prefix, model in prefixes.items() if route.pattern.startswith(prefix)), None)
        if owner is None:
            site.add(route.key)
        else:
            by_model.setdefault(owner, set()).add(route.key)
    return by_model, site


def standard_routes(model: type[Model]) -> set[str]:
    app, name = model._meta.app_label, model._meta.model_name
    return {f"admin:{app}_{name}_{view}" for view in STANDARD_VIEWS} | {
        f"admin:admin/{app}/{name}/<path:object_id>/"  # the old-style object URL, which redirects to change
    }


# ---- forms as a browser submits them -----------------------------------------------------------------------------


class _FormValues(HTMLParser):
    """The fields a browser would submit from the page's admin form (inline templates left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, list[str]] = {}
        self._in_form = False
        self._select: tuple[str, bool] | None = None
        self._select_first: str | None = None
        self._select_chosen: list[str] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        if name and "__prefix__" not in name:
            self.values.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post" and (a.get("id") or "").endswith("_form"):
            self._in_form = True
        if not self._in_form:
            return
        if tag == "input":
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self._add(a.get("name") or "", a.get("value") or ("on" if kind == "checkbox" else ""))
        elif tag == "select":
            self._select = (a.get("name") or "", "multiple" in a)
            self._select_first, self._select_chosen = None, []
        elif tag == "option" and self._select is not None:
            value = a.get("value") or ""
            if self._select_first is None:
                self._select_first = value
            if "selected" in a:
                self._select_chosen.append(value)
        elif tag == "textarea":
            self._textarea, self._text = a.get("name") or "", []

    def handle_endtag(self, tag):
        if tag == "form":
            self._in_form = False
        elif tag == "select" and self._select is not None:
            name, multiple = self._select
            chosen = self._select_chosen or ([] if multiple or self._select_first is None else [self._select_first])
            for value in chosen:
                self._add(name, value)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self._add(self._textarea, "".join(self._text).lstrip("\n"))
            self._textarea = None

    def handle_data(self, data):
        if self._textarea is not None:
            self._text.append(data)


def form_values(response) -> dict[str, list[str]]:
    parser = _FormValues()
    parser.feed(response.content.decode())
    return parser.values


def _with(values: dict[str, list[str]], overrides: dict[str, Any]) -> dict[str, list[str]]:
    out = dict(values)
    for name, value in overrides.items():
        out[name] = (
            [str(v) for v in value] if isinstance(value, list | tuple) else ["" if value is None else str(value)]
        )
    return out


def form_errors(response) -> set[str]:
    """Full names of the fields an admin form came back with errors on (inline fields as prefix-name)."""
    context = response.context
    assert context is not None and "adminform" in context, f"no admin form came back ({response.status_code})"
    found = {name for name in context["adminform"].form.errors if name != "__all__"}
    for inline in context.get("inline_admin_formsets") or ():
        for form in inline.formset.forms:
            found |= {f"{form.prefix}-{name}" for name in form.errors if name != "__all__"}
    return found


def raw_id_fields(response) -> list[str]:
    """Fields of the page's add or change form where a person would type an id (not pick a name)."""
    context = response.context
    if context is None or "adminform" not in context:
        return []
    found = []
    pairs = [("", context["adminform"].form)] + [
        (f"{form.prefix}-", form) for inline in context.get("inline_admin_formsets") or () for form in inline.formset
    ]
    for prefix, form in pairs:
        for name, field in form.fields.items():
            if isinstance(field, forms.UUIDField):
                found.append(f"{prefix}{name}")
    return found


# ---- the probes ------------------------------------------------------------------------------------------------


def logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def as_request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def row_state(model: type[Model], pk: Any) -> list[dict]:
    return list(model._default_manager.filter(pk=pk).values())


def _body(response) -> str:
    """The text of a page or of a streamed file (CSV; an XLSX's bytes read loosely)."""
    raw = b"".join(response.streaming_content) if response.streaming else response.content
    return raw.decode("utf-8", errors="replace")


def _outcome(response) -> tuple[int, str]:
    return response.status_code, response.get("Location", "")


@dataclasses.dataclass
class AdminProbe:
    """One case's probes as fleet A's manager (`manager`) and a platform admin (`admin_client`)."""

    world: World
    model: type[Model]
    model_admin: ModelAdmin
    case: AdminCase

    def __post_init__(self) -> None:
        self.manager_user = self.world.a.user("fleet_manager")
        self.manager = logged_in(self.manager_user)
        self.admin_client = logged_in(self.world.fleets.platform_admin)
        self.a_row = self.case.row(self.world.a)
        self.b_row = self.case.row(self.world.b)
        assert self.a_row is not None and self.b_row is not None, f"{label(self.model)}: the case names no rows"
        self.what = f"{label(self.model)} as fleet A's manager"

    def permissions(self) -> None:
        request = as_request(self.manager_user)
        granted = {p for p in PERMISSIONS if getattr(self.model_admin, f"has_{p}_permission")(request)}
        assert granted == self.case.may, f"{self.what} may {sorted(granted)}, the case says {sorted(self.case.may)}"
        changelist = self.manager.get(page(self.model, "changelist"))
        assert changelist.status_code == 200, f"{self.what}: the changelist answers {changelist.status_code}"

    def changelist(self) -> None:
        seen = {
            str(pk)
            for pk in self.manager.get(page(self.model, "changelist"))
            .context["cl"]
            .queryset.values_list("pk", flat=True)
        }
        assert str(self.a_row.pk) in seen, f"{self.what}: the changelist misses fleet A's own row"
        assert str(self.b_row.pk) not in seen, f"{self.what}: the changelist lists fleet B's row"
        everyone = self.admin_client.get(page(self.model, "changelist"))
        seen = {str(pk) for pk in everyone.context["cl"].queryset.values_list("pk", flat=True)}
        assert {str(self.a_row.pk), str(self.b_row.pk)} <= seen, f"{label(self.model)}: a platform admin misses a row"
        opened = self.admin_client.get(page(self.model, "change", self.b_row.pk))
        assert opened.status_code == 200, (
            f"{label(self.model)}: fleet B's row -> {opened.status_code} for a platform admin"
        )

    def object_pages(self) -> None:
        ghost = uuid.uuid4() if isinstance(self.b_row.pk, uuid.UUID) else 2**62
        before = row_state(self.model, self.b_row.pk)
        for view in ("change", "history", "delete"):
            for method in ("get", "post"):
                if method == "post" and view == "history":
                    continue
                data = {"post": "yes"} if view == "delete" else {}  # change: the row is looked up before the form
                hit = getattr(self.manager, method)(page(self.model, view, self.b_row.pk), data)
                miss = getattr(self.manager, method)(page(self.model, view, ghost), data)
                where = f"{method.upper()} {view} of fleet B's row, {self.what}"
                assert hit.status_code != 200, f"{where} -> 200"
                assert _outcome(hit) == _outcome(miss), f"{where} -> {_outcome(hit)}, a made-up id -> {_outcome(miss)}"
        for name, extra in self.case.extra.items():
            if isinstance(extra, ListExtra):
                self.list_extra(name, extra)
                continue
            if extra.export:
                self._export(name, extra)
                continue
            a_row, b_row = (extra.row(self.world.a), extra.row(self.world.b)) if extra.row else (self.a_row, self.b_row)
            hit, miss = self.manager.get(extra.path(b_row.pk)), self.manager.get(extra.path(ghost))
            assert hit.status_code != 200 and _outcome(hit) == _outcome(miss), (
                f"{name} of fleet B's row -> {_outcome(hit)}"
            )
            own = self.manager.get(extra.path(a_row.pk))
            assert own.status_code == extra.own_status, f"{name} of fleet A's row -> {own.status_code}"
        assert row_state(self.model, self.b_row.pk) == before, f"{self.what}: fleet B's row changed"

    def list_extra(self, name: str, extra: ListExtra) -> None:
        own, everyone = self.manager.get(extra.path), self.admin_client.get(extra.path)
        assert own.status_code == extra.own_status, f"{name} as fleet A's manager -> {own.status_code}"
        mine, theirs = extra.mark(self.world.a), extra.mark(self.world.b)
        body = _body(own)
        assert mine in body, f"{name} misses fleet A's {mine!r}"
        assert theirs not in body, f"{name} shows fleet A's manager fleet B's {theirs!r}"
        seen = _body(everyone)
        assert mine in seen and theirs in seen, f"{name}: a platform admin misses a fleet's rows"

    def _export(self, name: str, extra: Extra) -> None:
        own = self.manager.get(extra.path(None))
        assert own.status_code == 200, f"{name}, {self.what} -> {own.status_code}"
        listed = self.manager.get(page(self.model, "changelist")).context["cl"].queryset.count()
        mine = _csv_rows(own)
        assert len(mine) == listed, f"{name}, {self.what}: {len(mine)} rows exported, the list shows {listed}"
        everyone = _csv_rows(self.admin_client.get(extra.path(None)))
        assert len(everyone) > len(mine), f"{name}: a platform admin's export misses fleet B's rows"

    def actions(self) -> list[str]:
        names = list(self.model_admin.get_actions(as_request(self.manager_user)))
        for name in names:
            before = row_state(self.model, self.b_row.pk)
            for selected in ([self.b_row.pk], [self.a_row.pk, self.b_row.pk]):
                response = self.manager.post(
                    page(self.model, "changelist"),
                    {"action": name, "_selected_action": [str(pk) for pk in selected], "index": "0"},
                )
                assert response.status_code in (200, 302), f"action {name}, {self.what} -> {response.status_code}"
            assert row_state(self.model, self.b_row.pk) == before, f"action {name} changed fleet B's row ({self.what})"
        return names

    def forms(self) -> set[str]:
        """The add and change forms with one of fleet B's ids at a time; returns the fields probed."""
        probed: set[str] = set()
        if "add" in self.case.may and self.case.form is not None:
            add = page(self.model, "add")
            rendered = self.manager.get(add)
            blank = form_values(rendered)
            on_page = set(blank) | set(rendered.context["adminform"].form.fields)
            own = {k: v for k, v in self.case.form(self.world, self.world.a).items() if k in on_page}
            for name in self.case.foreign:
                if name not in own:
                    continue
                other = self.case.form(self.world, self.world.b)[name]
                rows = self.model._default_manager.count()
                response = self.manager.post(add, _with(blank, {**own, name: other}))
                assert response.status_code == 200 and name in form_errors(response), (
                    f"add {label(self.model)} naming fleet B's {name}, {self.what} -> {response.status_code}"
                )
                assert self.model._default_manager.count() == rows, f"add {label(self.model)} wrote a row"
                probed.add(name)
            accepted = self.manager.post(add, _with(blank, own))
            assert accepted.status_code == 302, (
                f"add {label(self.model)} with fleet A's own ids -> {accepted.status_code}: "
                f"{form_errors(accepted) if accepted.status_code == 200 else ''}"
            )
        if "change" in self.case.may:
            change = page(self.model, "change", self.a_row.pk)
            rendered = self.manager.get(change)
            current = form_values(rendered) if rendered.context.get("has_change_permission") else {}
            others = self.case.form(self.world, self.world.b) if self.case.form else {}
            for name in self.case.foreign:
                if name not in current:
                    continue
                before = row_state(self.model, self.a_row.pk)
                response = self.manager.post(change, _with(current, {name: others[name]}))
                assert response.status_code == 200 and name in form_errors(response), (
                    f"change {label(self.model)} naming fleet B's {name}, {self.what} -> {response.status_code}"
                )
                assert row_state(self.model, self.a_row.pk) == before, f"change {label(self.model)} wrote"
                probed.add(name)
            if current:  # the page as rendered is accepted: the refusals above are for the one field
                saved = self.manager.post(change, current)
                assert saved.status_code == 302, f"change {label(self.model)} as rendered -> {saved.status_code}"
        return probed

    def no_raw_ids(self) -> list[str]:
        found = []
        for client in (self.manager, self.admin_client):
            pages = [page(self.model, "change", self.a_row.pk)]
            if "add" in self.case.may or client is self.admin_client:
                pages.append(page(self.model, "add"))
            for path in pages:
                found += [f"{path}: {name}" for name in raw_id_fields(client.get(path))]
        return found


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))[1:]  # without the header


def platform_only(world: World, model: type[Model], extra: dict[str, Extra] | None = None) -> None:
    """Fleet managers get 403 on every page of a model only platform admins see, the views its ModelAdmin adds
    (`extra`) included; platform admins get in."""
    manager = logged_in(world.a.user("fleet_manager"))
    pk = model._default_manager.values_list("pk", flat=True).first() or 1
    for name, view in (extra or {}).items():
        for method in ("get", "post"):
            response = getattr(manager, method)(view.path(pk), {})
            assert response.status_code == 403, f"{method.upper()} {name} as a fleet manager -> {response.status_code}"
    history = [(page(model, "history", pk), "get")] if pk != 1 else []  # a missing row's history says so first
    for path, method in [
        (page(model, "changelist"), "get"),
        (page(model, "add"), "get"),
        (page(model, "add"), "post"),
        (page(model, "change", pk), "get"),
        (page(model, "change", pk), "post"),
        (page(model, "delete", pk), "post"),
        *history,
    ]:
        response = getattr(manager, method)(path, {})
        assert response.status_code == 403, f"{method.upper()} {path} as a fleet manager -> {response.status_code}"
    everyone = logged_in(world.fleets.platform_admin).get(page(model, "changelist"))
    assert everyone.status_code == 200, f"{label(model)}: a platform admin -> {everyone.status_code}"
