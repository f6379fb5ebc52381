"""Admin pages that speak the manager's language: names instead of ids, money in the fleet's currency and locale,
times on the fleet's clock, percentages instead of basis points.

An admin declares what its fields mean and the mixin does the rest, in the list, on the change page and in exports:

    class TripAdmin(Readable, FleetScopedAdmin):
        named_ids = {"driver_id": integrations.driver_names}   # names(ids=[...]) -> {id: name}, one call per page
        localities = integrations.fleet_localities             # localities(fleet_ids=[...]) -> {id: Locality}
        local_times = ("requested_for", "created_at")
        money = {"total_minor": "currency"}                     # amount field -> the field holding its currency
        percents = ("commission_bps",)
        list_display = ("status", "driver_id", "requested_for")  # written as plain field names

Each such field is shown through a column named `<field>_shown`; the names of a page's rows are looked up once for
the whole page (never per row). A name that cannot be found reads "unknown (1a2b3c4d)", never a bare UUID.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.http import HttpRequest
from django.utils.text import capfirst

from logitrack import formatting
from logitrack.admin import managed_fleets
from logitrack.formatting import Locality

if TYPE_CHECKING:
    _Admin = admin.ModelAdmin[Any]
else:
    _Admin = object

NameSource = Callable[..., Mapping[uuid.UUID, str]]  # names(ids=[...]) -> {id: name}
LocalitySource = Callable[..., Mapping[uuid.UUID, Locality]]  # localities(fleet_ids=[...]) -> {id: Locality}

SHOWN = "_shown"
_CACHE = "_readable"
_LOCALITY = "@locality"


def unknown(value: object) -> str:
    return f"unknown ({str(value)[:8]})"


def _follow(obj: Any, path: str) -> Any:
    for part in path.split("__"):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


class Column:
    """One readable field: `column(obj)` is the text a person reads, `column.export(obj)` the value a spreadsheet
    wants (names, local ISO times, amounts as decimal currency units)."""

    def __init__(self, model_admin: Readable, field: str) -> None:
        self.admin, self.field = model_admin, field
        try:
            verbose = str(model_admin.model._meta.get_field(field).verbose_name)
        except FieldDoesNotExist:
            verbose = field.replace("_", " ")
        for suffix in (" id", " minor", " bps"):
            verbose = verbose.removesuffix(suffix)
        self.short_description = capfirst(verbose)
        if field not in model_admin.named_ids:
            self.admin_order_field = field  # times, amounts and rates sort by their own value

    def __call__(self, obj: Any) -> str:
        return str(self.admin.shown(obj, self.field))

    def export(self, obj: Any) -> object:
        return self.admin.shown(obj, self.field, for_export=True)


class Readable(_Admin):
    named_ids: Mapping[str, NameSource] = {}
    localities: LocalitySource | None = None
    local_times: Sequence[str] = ()
    money: Mapping[str, str] = {}
    percents: Sequence[str] = ()
    fleet_field = "fleet_id"

    # which fields are shown through a column
    def _readable(self) -> set[str]:
        return {*self.named_ids, *self.local_times, *self.money, *self.percents}

    def _swap(self, names: Iterable[Any]) -> list[Any]:
        readable = self._readable()
        return [f"{n}{SHOWN}" if isinstance(n, str) and n in readable else n for n in names]

    def __getattr__(self, name: str) -> Any:
        # only reached when normal lookup fails: `<field>_shown` columns are made on demand
        if name.endswith(SHOWN) and name.removesuffix(SHOWN) in self._readable():
            return Column(self, name.removesuffix(SHOWN))
        raise AttributeError(name)

    def get_list_display(self, request: HttpRequest) -> Any:
        return self._swap(super().get_list_display(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self._swap(super().get_readonly_fields(request, obj))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = set(super().get_readonly_fields(request, obj))
        fields = super().get_fields(request, obj)
        shown = {f for f in readonly if f in self._readable()}
        seen: list[Any] = []
        for f in fields:
            name = f"{f}{SHOWN}" if f in shown else f
            if name not in seen:
                seen.append(name)
        return seen

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        readonly = {f for f in super().get_readonly_fields(request, obj) if f in self._readable()}
        out = []
        for title, options in super().get_fieldsets(request, obj):
            fields = [
                tuple(f"{x}{SHOWN}" if x in readonly else x for x in f)
                if isinstance(f, list | tuple)
                else (f"{f}{SHOWN}" if f in readonly else f)
                for f in options.get("fields", ())
            ]
            out.append((title, {**options, "fields": fields}))
        return out

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        # a read-only field shown through its column must not come back as a form field
        shown = [f for f in super().get_readonly_fields(request, obj) if f in self._readable()]
        excluded = list(super().get_exclude(request, obj) or [])
        return [*excluded, *shown] or None

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        changelist = super().get_changelist_instance(request)
        self.prime(changelist.result_list)  # the page's rows are evaluated here once and reused by the template
        return changelist

    # looking names and localities up, a page (or an export chunk) at a time
    def prime(self, rows: Iterable[Any]) -> None:
        rows = list(rows)
        for field, source in self.named_ids.items():
            ids = {v for v in (getattr(r, field, None) for r in rows) if v is not None}
            names = source(ids=sorted(ids, key=str)) if ids else {}
            for row in rows:
                row.__dict__.setdefault(_CACHE, {})[field] = names
        if self.localities is not None:
            fleets = {v for v in (_follow(r, self.fleet_field) for r in rows) if v is not None}
            found = self.localities(fleet_ids=sorted(fleets, key=str)) if fleets else {}
            for row in rows:
                row.__dict__.setdefault(_CACHE, {})[_LOCALITY] = found.get(_follow(row, self.fleet_field))

    def _cached(self, obj: Any, key: str) -> Any:
        cache = obj.__dict__.get(_CACHE)
        if cache is None or key not in cache:
            self.prime([obj])
            cache = obj.__dict__[_CACHE]
        return cache.get(key)

    def locality(self, obj: Any) -> Locality:
        if self.localities is None:
            return Locality()
        return self._cached(obj, _LOCALITY) or Locality()

    def name_of(self, obj: Any, field: str) -> str:
        value = getattr(obj, field, None)
        if value is None:
            return "–"
        return str((self._cached(obj, field) or {}).get(value) or unknown(value))

    def shown(self, obj: Any, field: str, *, for_export: bool = False) -> Any:
        if field in self.named_ids:
            name = self.name_of(obj, field)
            return "" if for_export and name == "–" else name
        value = getattr(obj, field, None)
        if value is None:
            return "" if for_export else "–"
        place = self.locality(obj)
        if field in self.money:
            currency = getattr(obj, self.money[field], None) or place.currency
            if for_export:
                return formatting.units(value, currency)
            return formatting.money(value, currency, place.locale)
        if field in self.percents:
            return Decimal(int(value)).scaleb(-2) if for_export else formatting.rate_bps(value, place.locale)
        if isinstance(value, dt.datetime):
            if for_export:
                return value.astimezone(formatting.zone(place.time_zone)).replace(tzinfo=None)
            return formatting.local_datetime(value, place.time_zone, place.locale)
        return value

    def filter_time_zone(self, request: HttpRequest) -> dt.tzinfo:
        """The clock date-range filters read days on: the fleet's when the user manages exactly one."""
        fleets = managed_fleets(request)
        if self.localities is not None and fleets is not None and len(fleets) == 1:
            place = self.localities(fleet_ids=list(fleets)).get(next(iter(fleets)))
            if place is not None:
                return formatting.zone(place.time_zone)
        return formatting.zone("UTC")
