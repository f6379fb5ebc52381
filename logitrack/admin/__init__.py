"""Admin glue shared by every context: a fleet manager sees, picks and changes only their own fleets' rows.

- `FleetScopedAdmin` (`FleetScoped` for polymorphic admins): the changelist, change, history and delete views
  and every action see only rows of the fleets the user manages (`fleet_field`); platform admins see all.
- `ScopedChoices` (in both, and for inlines): what a form lets the user name is limited the same way, and checked
  on POST (an id that was not offered is a form error, nothing is written):
  * a ForeignKey to a model whose admin is fleet-scoped offers only the rows that admin shows the user;
  * `foreign_ids` turns a field holding another context's id (a UUIDField: no foreign keys across contexts)
    into a choice by name. Its source is a function of the admin's app, `source(fleet_ids=...)` giving
    {id: label} for those fleets (every fleet when None); it reaches the owning context through the app's
    integrations.py.

What a manager reads is in the modules beside this one: `readable` (names instead of ids, money in the fleet's
currency and locale, times on the fleet's clock), `export` (CSV/XLSX of the filtered list, streamed),
`filters` (date ranges), `fields` (amounts in currency units, percentages, weekdays as checkboxes).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import BaseModelAdmin
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, models, router
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.text import capfirst

from logitrack.exceptions import ApplicationError
from logitrack.http.principal import principal
from logitrack.principal import Role

ChoiceSource = Callable[..., Mapping[uuid.UUID, str]]  # source(*, fleet_ids: frozenset | None) -> {id: label}

if TYPE_CHECKING:  # the mixins below are only ever mixed into these (not subscriptable at run time)
    _AdminOrInline = BaseModelAdmin[Any]
    _Admin = admin.ModelAdmin[Any]
    ModelAdmin = admin.ModelAdmin[Any]
else:
    _AdminOrInline = object
    _Admin = object
    ModelAdmin = admin.ModelAdmin


def managed_fleets(request: HttpRequest) -> frozenset[uuid.UUID] | None:
    """Fleets the admin user manages; None for platform admins (every fleet)."""
    found = principal(request)
    if found is None:
        return frozenset()
    if found.is_platform_admin:
        return None
    return found.fleets(Role.FLEET_MANAGER)


def _as_uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


class ForeignIdField(forms.TypedChoiceField):
    """Another context's id, picked by name from what the user may use; any other id is refused."""

    def __init__(self, *, labels: Mapping[uuid.UUID, str], required: bool = True, **kwargs: Any) -> None:
        offered = sorted(((str(key), label) for key, label in labels.items()), key=lambda c: (c[1].lower(), c[0]))
        super().__init__(
            choices=[("", "---------"), *offered], coerce=_as_uuid, required=required, empty_value=None, **kwargs
        )


class ScopedChoices(_AdminOrInline):
    """Form fields of a ModelAdmin or inline that name other rows offer only what the user may use."""

    foreign_ids: Mapping[str, ChoiceSource] = {}

    def formfield_for_dbfield(
        self, db_field: models.Field[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.Field | None:
        source = self.foreign_ids.get(db_field.name)
        if source is None:
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        return ForeignIdField(
            labels=source(fleet_ids=managed_fleets(request)),
            required=not db_field.blank,
            label=capfirst(str(db_field.verbose_name).removesuffix(" id")),
            help_text=db_field.help_text,
        )

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField[Any] | None:
        target = self.admin_site._registry.get(db_field.remote_field.model)
        if isinstance(target, FleetScoped) and "queryset" not in kwargs:
            kwargs["queryset"] = target.get_queryset(request)  # exactly the rows its admin shows this user
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class FleetScoped(ScopedChoices):
    """A fleet manager sees and changes only rows of fleets they manage (`fleet_field`)."""

    fleet_field = "fleet_id"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        qs = super().get_queryset(request)
        fleets = managed_fleets(request)
        return qs if fleets is None else qs.filter(**{f"{self.fleet_field}__in": fleets})


class FleetScopedAdmin(FleetScoped, ModelAdmin):
    pass


class LookUpBeforeDelegating(_Admin):
    """For admins that hand a row's views to another admin by its id (polymorphic parents): look the id up in
    this admin's scoped queryset first, so another fleet's row gets the same answer as an id that exists nowhere."""

    def _missing(self, request: HttpRequest, object_id: str) -> HttpResponse | None:
        if self.get_object(request, unquote(object_id)) is None:
            redirect: HttpResponse = self._get_obj_does_not_exist_redirect(  # type: ignore[attr-defined]
                request, self.opts, object_id
            )
            return redirect
        return None

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self._missing(request, object_id) or super().change_view(request, object_id, form_url, extra_context)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self._missing(request, object_id) or super().history_view(request, object_id, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        return self._missing(request, object_id) or super().delete_view(request, object_id, extra_context)

    # django-polymorphic reads content types on default, but a row's polymorphic_ctype is an id of its own database's
    # (contenttypes is on every database, and a context's own numbers them itself, docs/extraction.md): the child
    # admin of a row, the type filter and the add form's type choices read them on the model's database.
    def _content_types(self) -> Any:
        return ContentType.objects.db_manager(router.db_for_read(self.model) or DEFAULT_DB_ALIAS)

    def get_child_type_choices(self, request: HttpRequest, action: str) -> list[tuple[int, str]]:
        self._lazy_setup()  # type: ignore[attr-defined]
        choices = []
        types = self._content_types().get_for_models(*self.get_child_models(), for_concrete_models=False)  # type: ignore[attr-defined]
        for model, content_type in types.items():
            if getattr(self._get_real_admin_by_model(model), f"has_{action}_permission")(request):  # type: ignore[attr-defined]
                choices.append((content_type.id, model._meta.verbose_name))
        return choices

    def _get_real_admin_by_ct(self, ct_id: Any, super_if_self: bool = True) -> Any:
        try:
            model_class = self._content_types().get_for_id(ct_id).model_class()
        except ContentType.DoesNotExist as e:
            raise Http404(e) from e
        if model_class is None:
            raise Http404(f"No model found for content type {ct_id}.")
        return self._get_real_admin_by_model(model_class, super_if_self=super_if_self)  # type: ignore[attr-defined]


def apply_each(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    queryset: Iterable[Any],
    fn: Callable[[Any], object],
    *,
    done_message: str,
) -> int:
    """Run a service on each selected row; report refusals per row instead of failing the action."""
    done = 0
    for obj in queryset:
        try:
            fn(obj)
            done += 1
        except ApplicationError as exc:
            modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, f"{done_message}: {done}.", messages.SUCCESS)
    return done
