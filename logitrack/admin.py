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
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.utils.text import capfirst

from logitrack.exceptions import ApplicationError
from logitrack.http.principal import principal
from logitrack.principal import Role

ChoiceSource = Callable[..., Mapping[uuid.UUID, str]]  # source(*, fleet_ids: frozenset | None) -> {id: label}


def managed_fleets(request) -> frozenset[uuid.UUID] | None:
    """Fleets the admin user manages; None for platform admins (every fleet)."""
    found = principal(request)
    if found is None:
        return frozenset()
    if found.is_platform_admin:
        return None
    return found.fleets(Role.FLEET_MANAGER)


def _as_uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


class ForeignIdField(forms.TypedChoiceField):
    """Another context's id, picked by name from what the user may use; any other id is refused."""

    def __init__(self, *, labels: Mapping[uuid.UUID, str], required: bool = True, **kwargs):
        offered = sorted(((str(key), label) for key, label in labels.items()), key=lambda c: (c[1].lower(), c[0]))
        super().__init__(
            choices=[("", "---------"), *offered], coerce=_as_uuid, required=required, empty_value=None, **kwargs
        )


class ScopedChoices:
    """Form fields of a ModelAdmin or inline that name other rows offer only what the user may use."""

    foreign_ids: Mapping[str, ChoiceSource] = {}

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        source = self.foreign_ids.get(db_field.name)
        if source is None:
            return super().formfield_for_dbfield(db_field, request, **kwargs)
        return ForeignIdField(
            labels=source(fleet_ids=managed_fleets(request)),
            required=not db_field.blank,
            label=capfirst(str(db_field.verbose_name).removesuffix(" id")),
            help_text=db_field.help_text,
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        target = self.admin_site._registry.get(db_field.remote_field.model)
        if isinstance(target, FleetScoped) and "queryset" not in kwargs:
            kwargs["queryset"] = target.get_queryset(request)  # exactly the rows its admin shows this user
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class FleetScoped(ScopedChoices):
    """A fleet manager sees and changes only rows of fleets they manage (`fleet_field`)."""

    fleet_field = "fleet_id"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        fleets = managed_fleets(request)
        return qs if fleets is None else qs.filter(**{f"{self.fleet_field}__in": fleets})


class FleetScopedAdmin(FleetScoped, admin.ModelAdmin):
    pass


class LookUpBeforeDelegating:
    """For admins that hand a row's views to another admin by its id (polymorphic parents): look the id up in
    this admin's scoped queryset first, so another fleet's row gets the same answer as an id that exists nowhere."""

    def _missing(self, request, object_id):
        if self.get_object(request, unquote(object_id)) is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return None

    def change_view(self, request, object_id, *args, **kwargs):
        return self._missing(request, object_id) or super().change_view(request, object_id, *args, **kwargs)

    def history_view(self, request, object_id, *args, **kwargs):
        return self._missing(request, object_id) or super().history_view(request, object_id, *args, **kwargs)

    def delete_view(self, request, object_id, *args, **kwargs):
        return self._missing(request, object_id) or super().delete_view(request, object_id, *args, **kwargs)


def apply_each(modeladmin, request, queryset, fn, *, done_message: str) -> int:
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
