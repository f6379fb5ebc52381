"""Trips in the admin, in the manager's language: who (names), when (the fleet's clock), how much (the fleet's
currency), searchable like the REST list, exportable, and a trip page with the fare, the stops with their proof of
delivery, the route on a map and the timeline. Cancelling goes through the lifecycle service."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.http import FileResponse, Http404
from django.urls import path, reverse
from django.utils.html import format_html

from apps.trips import integrations, selectors
from apps.trips.admin._common import PEOPLE, ReadOnly, TripsScoped
from apps.trips.admin.imports import BookingImport
from apps.trips.admin.page import reference, trip_page
from apps.trips.contracts import ActorRole
from apps.trips.models import Trip
from apps.trips.services import lifecycle
from logitrack import files, formatting
from logitrack.admin import FleetScopedAdmin, apply_each, managed_fleets
from logitrack.admin.export import Exportable
from logitrack.admin.filters import DateRangeFilter
from logitrack.admin.readable import Column, Readable
from logitrack.http.principal import principal

_FARE = "_trip_fare"
PROOF_IMAGES = {"png": "image/png", "jpeg": "image/jpeg"}  # what the proof view sends; anything else is a 404


def _total(fare) -> int | None:
    return fare.final_total_minor if fare.final_total_minor is not None else fare.quoted_total_minor


class FareColumn(Column):
    """The trip's fare (settled, else quoted) in its currency, from billing: one call per page or export chunk."""

    def __init__(self, model_admin: TripAdmin) -> None:
        self.admin, self.field = model_admin, "fare"
        self.short_description = "Fare"

    def __call__(self, obj: Trip) -> str:
        fare = self.admin.fare_of(obj)
        total = _total(fare) if fare else None
        if total is None:
            return "–"
        shown = formatting.money(total, fare.currency, self.admin.locality(obj).locale)
        return f"{shown} (cancellation)" if fare.final_kind == "cancellation" else shown

    def export(self, obj: Trip) -> object:
        fare = self.admin.fare_of(obj)
        total = _total(fare) if fare else None
        return "" if total is None else formatting.units(total, fare.currency)


def labelled_values(field: str, title: str, values: tuple[str, ...]) -> type[admin.SimpleListFilter]:
    """A filter on a plain text field offering its known values as words ("Van", not "van")."""

    class Filter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request, model_admin):
            return [(v, v.replace("_", " ").capitalize()) for v in values]

        def queryset(self, request, queryset):
            return queryset.filter(**{field: self.value()}) if self.value() else queryset

    Filter.title = title
    return Filter


@admin.register(Trip)
class TripAdmin(Readable, Exportable, BookingImport, TripsScoped, ReadOnly, FleetScopedAdmin):
    named_ids = PEOPLE
    localities = staticmethod(integrations.fleet_localities)
    local_times = ("requested_for", "requested_at", "created_at", "updated_at", "started_at", "ended_at", "eta_at")
    list_display = (
        "reference_link",
        "status",
        "customer_id",
        "driver_id",
        "vehicle_id",
        "route",
        "requested_for",
        "fare_shown",
        "fleet_id",
    )
    list_display_links = None
    export_columns = (
        "id",
        "reference_text",
        "status",
        "service",
        "vehicle_type",
        "customer_id",
        "driver_id",
        "vehicle_id",
        "pickup",
        "dropoff",
        "requested_for",
        "fare_shown",
        "fleet_id",
        "created_at",
    )
    list_filter = (
        "status",
        labelled_values("vehicle_type", "vehicle type", ("bike", "car", "van", "truck")),
        labelled_values("service", "service", ("delivery", "ride")),
        ("requested_for", DateRangeFilter),
        ("created_at", DateRangeFilter),
    )
    search_fields = ("id",)  # shows the search box; the search itself is the REST list's (get_search_results)
    search_help_text = "Reference, a stop's address, the customer's name or email, or the driver's name."
    list_per_page = 50
    readonly_fields = [f.name for f in Trip._meta.fields]
    change_list_template = "admin/trips/trip/change_list.html"
    change_form_template = "admin/trips/trip/change_form.html"
    actions = ("cancel",)

    # ---- the list ---------------------------------------------------------------------------------------------

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("stops")

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        fleets = managed_fleets(request)
        if fleets is not None and len(fleets) == 1:  # one fleet: its name on every row says nothing
            shown = [c for c in shown if c not in ("fleet_id", "fleet_id_shown")]
        return shown

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request, {**(extra_context or {}), "may_import": self.has_change_permission(request)}
        )

    def get_search_results(self, request, queryset, search_term):
        text = search_term.strip()
        if not text:
            return queryset, False
        who = principal(request)
        if who is None or not selectors.SEARCH_MIN_LENGTH <= len(text) <= 100:
            return queryset.none(), False
        return selectors.trips_matching(trips=queryset, text=text, principal=who), False

    def prime(self, rows) -> None:
        rows = list(rows)
        super().prime(rows)
        fares = integrations.trip_fares(trips=rows) if rows else {}
        for row in rows:
            row.__dict__[_FARE] = fares.get(row.id)

    def fare_of(self, obj: Trip):
        if _FARE not in obj.__dict__:
            self.prime([obj])
        return obj.__dict__[_FARE]

    @property
    def fare_shown(self) -> FareColumn:
        return FareColumn(self)

    @admin.display(description="Reference", ordering="id")
    def reference_link(self, obj: Trip):
        url = reverse("admin:trips_trip_change", args=[obj.pk], current_app=self.admin_site.name)
        return format_html('<a href="{}" class="trip-ref">{}</a>', url, reference(obj))

    @admin.display(description="Reference")
    def reference_text(self, obj: Trip) -> str:
        return reference(obj)

    @admin.display(description="Route")
    def route(self, obj: Trip) -> str:
        stops = list(obj.stops.all())
        if not stops:
            return "–"
        between = len(stops) - 2
        extra = f" (+{between} stop{'s' if between > 1 else ''})" if between > 0 else ""
        return f"{_street(stops[0].address)} → {_street(stops[-1].address)}{extra}"

    @admin.display(description="Pickup")
    def pickup(self, obj: Trip) -> str:
        stops = list(obj.stops.all())
        return stops[0].address if stops else ""

    @admin.display(description="Drop-off")
    def dropoff(self, obj: Trip) -> str:
        stops = list(obj.stops.all())
        return stops[-1].address if stops else ""

    @admin.action(description="Cancel the selected trips (as dispatcher)")
    def cancel(self, request, queryset):
        actor = principal(request)
        apply_each(
            self,
            request,
            queryset,
            done_message="cancelled",
            fn=lambda t: lifecycle.trip_transition(
                trip_id=t.id,
                action="cancel",
                actor_id=actor.user_id if actor else None,
                role=ActorRole.DISPATCHER,
                reason="cancelled in admin",
            ),
        )

    # ---- the trip page ----------------------------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/proof/<int:sequence>/<str:which>/",
                self.admin_site.admin_view(self.proof_view),
                name="{}_{}_proof".format(*info),
            ),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        trip = self.get_object(request, unquote(object_id))
        if trip is not None:
            extra_context = {
                **(extra_context or {}),
                "trip_page": trip_page(self, trip),
                "title": f"Trip {reference(trip)}",
                "subtitle": None,  # the summary card says it all
                # nothing on the page is edited (the trip changes through its lifecycle): no save buttons
                "show_save": False,
                "show_save_and_continue": False,
                "show_save_and_add_another": False,
            }
        return super().change_view(request, object_id, form_url, extra_context)

    def proof_view(self, request, object_id, sequence, which):
        """A proof-of-delivery image of a trip this user may open (the trip page's scoping: another fleet's trip
        is a 404 like one that does not exist), sent as an image that cannot run anything."""
        trip = self.get_object(request, unquote(object_id))
        if trip is None or not self.has_view_or_change_permission(request, trip) or which not in selectors.PROOF_FILES:
            raise Http404("no such proof")
        proof = selectors.proof_of(trip=trip, sequence=sequence)
        stored = (proof.signature_path if which == "signature" else proof.photo_path) if proof else ""
        if not stored:
            raise Http404("nothing captured")
        try:
            handle = files.open_private(stored)
        except FileNotFoundError:
            raise Http404("the file is gone") from None  # recorded, but not in storage (a lost volume, a restore)
        kind = files.sniff(handle.read(16))
        handle.seek(0)
        if kind not in PROOF_IMAGES:  # only images we re-encoded ourselves are shown
            handle.close()
            raise Http404("not an image")
        response = FileResponse(handle, content_type=PROOF_IMAGES[kind])
        response["Content-Disposition"] = f'inline; filename="{reference(trip)}-{sequence}-{which}.{kind}"'
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, no-store"
        response["Cross-Origin-Resource-Policy"] = "same-origin"
        return response


def _street(address: str) -> str:
    """The part of an address a list has room for: before the first comma."""
    return address.split(",")[0].strip() or address
