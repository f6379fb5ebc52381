"""Fleet in the admin: each fleet manager sees and changes only their own fleets' rows; every write
goes through a service so events are published and rules hold."""

import datetime as dt
from collections.abc import Callable

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.html import format_html
from polymorphic.admin import PolymorphicChildModelAdmin, PolymorphicChildModelFilter, PolymorphicParentModelAdmin

from apps.fleet import integrations
from apps.fleet.contracts import VehicleStatus
from apps.fleet.models import (
    POD_KINDS,
    Bike,
    Car,
    Fleet,
    FleetStatusChange,
    MaintenanceWindow,
    Truck,
    Van,
    Vehicle,
    VehicleDocument,
)
from apps.fleet.selectors import branding as fleet_branding
from apps.fleet.selectors import fleets as fleet_selectors
from apps.fleet.selectors import visibility
from apps.fleet.services import branding, fleet_settings, onboarding, vehicles
from logitrack import formatting
from logitrack.admin import FleetScoped, FleetScopedAdmin, LookUpBeforeDelegating, apply_each
from logitrack.admin.export import Exportable
from logitrack.admin.fields import PercentField
from logitrack.admin.filters import DateRangeFilter
from logitrack.admin.readable import Readable
from logitrack.exceptions import ValidationFailed
from logitrack.http.principal import principal

POD_LABELS = {"recipient": "Recipient's name", "signature": "Signature", "photo": "Photo", "pin": "PIN code"}


class OnFleetClock(Readable):
    """Times on the row's fleet's clock, in its locale (fleet's own selector: no call across contexts)."""

    localities = staticmethod(fleet_selectors.fleet_localities)
    local_times: tuple[str, ...] = ("created_at", "updated_at")


class Visible(FleetScoped):
    """The rows an admin shows come from the app's visibility selector (`visible(principal=, queryset=)`), the
    one place fleet decides who sees what; pickers that point here (a vehicle's fleet) offer the same rows."""

    visible: Callable[..., QuerySet]  # a visibility selector, set with staticmethod(...)

    def get_queryset(self, request):
        base = super(FleetScoped, self).get_queryset(request)  # the admin's own queryset and ordering, unscoped
        found = principal(request)
        return base.none() if found is None else self.visible(principal=found, queryset=base)


class StatusChangeInline(admin.TabularInline):
    model = FleetStatusChange
    fields = ("when", "from_status", "to_status", "actor", "reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="when")
    def when(self, change):
        place = fleet_selectors.fleet_localities(fleet_ids=[change.fleet_id]).get(change.fleet_id)
        place = place or formatting.Locality()
        return formatting.local_datetime(change.created_at, place.time_zone, place.locale)

    @admin.display(description="by")
    def actor(self, change):
        if change.actor_id is None:
            return "the platform"
        return integrations.user_names(ids=[change.actor_id]).get(change.actor_id) or "someone no longer named"


class AdminOnlySettings:
    """Settings only platform admins change (commission, currency, country) are read-only for managers; placed
    below `Readable` so the read-only ones are shown its way (the commission as a percentage)."""

    def get_readonly_fields(self, request, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        return fields if request.user.is_superuser else (*fields, *fleet_settings.ADMIN_ONLY_SETTINGS)


class FleetForm(forms.ModelForm):
    """The fleet's settings, with its branding: a colour picker, and the logo uploaded here (checked and re-encoded
    by services/branding.py; the stored path itself is never typed)."""

    logo = forms.FileField(
        required=False,
        label="Logo",
        help_text="PNG or JPEG, at most 2 MB; shown on the tracking page and in messages (stored as a PNG, 512 px)",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}),
    )
    remove_logo = forms.BooleanField(required=False, label="Remove the logo")

    class Meta:
        model = Fleet
        fields = (*fleet_settings.FLEET_SETTINGS, *fleet_settings.ADMIN_ONLY_SETTINGS)
        widgets = {"brand_colour": forms.TextInput(attrs={"type": "color"})}
        help_texts = {"brand_colour": "the accent of the tracking page and the messages sent in the fleet's name"}

    def clean_brand_colour(self):
        return (self.cleaned_data.get("brand_colour") or "").lower()

    def clean_logo(self):
        upload = self.cleaned_data.get("logo")
        if upload:
            try:
                branding.logo_check(upload)
            except ValidationFailed as exc:
                raise forms.ValidationError(exc.message, code=exc.code) from None
        return upload


BRANDING_FORM_FIELDS = ("logo", "remove_logo")


@admin.register(Fleet)
class FleetAdmin(OnFleetClock, AdminOnlySettings, Visible, FleetScopedAdmin):
    visible = staticmethod(visibility.fleets_managed)
    fleet_field = "id"  # a fleet's own clock
    named_ids = {"applicant_id": integrations.user_names}
    percents = ("commission_bps",)
    list_display = ("name", "legal_name", "status", "country", "currency", "auto_dispatch", "created_at")
    list_filter = ("status", "country", "auto_dispatch")
    search_fields = ("name", "legal_name", "tax_id")
    readonly_fields = ("status", "applicant_id", "logo_preview", "created_at", "updated_at")
    exclude = ("logo_path",)
    form = FleetForm
    inlines = [StatusChangeInline]
    actions = ("start_review", "activate", "suspend", "reinstate", "close")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # the commission typed as a percentage, what each drop-off needs as checkboxes (stored as bps and a list)
        if db_field.name == "commission_bps":
            return PercentField(
                label="Commission", max_value=100, help_text="the platform's share of each fare, in percent"
            )
        if db_field.name == "proof_of_delivery":
            return forms.TypedMultipleChoiceField(
                choices=[(k, POD_LABELS[k]) for k in sorted(POD_KINDS)],
                widget=forms.CheckboxSelectMultiple,
                required=False,
                label="Proof of delivery",
                help_text="what a driver collects at each drop-off",
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    @admin.display(description="current logo")
    def logo_preview(self, fleet):
        version = fleet_branding.logo_version(fleet.logo_path)
        if not version:
            return "none yet: the fleet's name alone"
        return format_html(
            '<img src="/brand/{}/logo.png?v={}" alt="logo of {}" height="48" class="fleet-logo">',
            fleet.id,
            version,
            fleet,
        )

    def has_add_permission(self, request):
        return False  # fleets apply over the API; platform admins review them here

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        actions = super().get_actions(request)
        return actions if request.user.is_superuser else {}

    def save_model(self, request, obj, form, change):
        found = principal(request)
        data = {
            f: form.cleaned_data[f]
            for f in form.changed_data
            if f in form.cleaned_data and f not in BRANDING_FORM_FIELDS
        }
        fleet_settings.fleet_settings_update(
            fleet_id=obj.id, data=data, as_platform_admin=found is not None and found.is_platform_admin
        )
        if form.cleaned_data.get("logo"):
            branding.fleet_logo_set(fleet_id=obj.id, upload=form.cleaned_data["logo"])
        elif form.cleaned_data.get("remove_logo"):
            branding.fleet_logo_remove(fleet_id=obj.id)

    def _transition(self, request, queryset, action):
        actor = principal(request)
        apply_each(
            self,
            request,
            queryset,
            done_message=action.replace("_", " "),
            fn=lambda f: onboarding.fleet_transition(
                fleet_id=f.id, action=action, actor_id=actor.user_id if actor else None, reason="admin"
            ),
        )

    @admin.action(description="Start review")
    def start_review(self, request, queryset):
        self._transition(request, queryset, "start_review")

    @admin.action(description="Activate (grants the applicant the fleet manager role)")
    def activate(self, request, queryset):
        self._transition(request, queryset, "activate")

    @admin.action(description="Suspend")
    def suspend(self, request, queryset):
        self._transition(request, queryset, "suspend")

    @admin.action(description="Reinstate")
    def reinstate(self, request, queryset):
        self._transition(request, queryset, "reinstate")

    @admin.action(description="Close")
    def close(self, request, queryset):
        self._transition(request, queryset, "close")


class DocumentInline(admin.TabularInline):
    model = VehicleDocument
    fields = ("kind", "number", "issued_on", "expires_on", "expiry_state")
    readonly_fields = ("expiry_state",)
    extra = 0

    @admin.display(description="state")
    def expiry_state(self, doc):
        return _expiry_state(doc.expires_on) if doc.expires_on else ""


class MaintenanceInline(admin.TabularInline):
    model = MaintenanceWindow
    fields = ("starts_at", "ends_at", "reason")
    extra = 0


def _expiry_state(expires_on):
    days = (expires_on - timezone.localdate()).days
    if days < 0:
        return f"EXPIRED {-days} days ago"
    return f"expires in {days} days" if days <= 30 else "valid"


class VehicleChildAdmin(OnFleetClock, Visible, PolymorphicChildModelAdmin):
    """Each type's add and change pages; `fleet` offers only the user's fleets (FleetAdmin's rows)."""

    visible = staticmethod(visibility.vehicles_managed)
    base_model = Vehicle
    inlines = [DocumentInline, MaintenanceInline]
    readonly_fields = ("status", "created_at", "updated_at")

    def has_change_permission(self, request, obj=None):
        retired = obj is not None and obj.status == VehicleStatus.RETIRED  # the service refuses any change
        return not retired and super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fixed = ("fleet", "registration", "registration_country") if obj else ()
        return (*super().get_readonly_fields(request, obj), *fixed)

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in form.cleaned_data}
        if change:
            vehicles.vehicle_update(vehicle_id=obj.id, data=data)
            return
        fleet = data.pop("fleet")
        created = vehicles.vehicle_add(fleet_id=fleet.id, vehicle_type=self.model.TYPE, data=data)
        obj.pk = created.pk


@admin.register(Bike)
class BikeAdmin(VehicleChildAdmin):
    base_model = Vehicle


@admin.register(Car)
class CarAdmin(VehicleChildAdmin):
    base_model = Vehicle


@admin.register(Van)
class VanAdmin(VehicleChildAdmin):
    base_model = Vehicle


@admin.register(Truck)
class TruckAdmin(VehicleChildAdmin):
    base_model = Vehicle


class ExpiringDocumentsFilter(admin.SimpleListFilter):
    title = "documents"
    parameter_name = "documents"

    def lookups(self, request, model_admin):
        return [("expired", "Expired"), ("30", "Expiring within 30 days"), ("90", "Expiring within 90 days")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "expired":
            return queryset.filter(documents__expires_on__lt=today).distinct()
        if self.value() in ("30", "90"):
            horizon = today + dt.timedelta(days=int(self.value()))
            return queryset.filter(documents__expires_on__gte=today, documents__expires_on__lte=horizon).distinct()
        return queryset


@admin.register(Vehicle)
class VehicleAdmin(  # type: ignore[misc]  # polymorphic's stubs type change_list_template as a list
    OnFleetClock, Exportable, LookUpBeforeDelegating, Visible, PolymorphicParentModelAdmin
):
    visible = staticmethod(visibility.vehicles_managed)
    base_model = Vehicle
    child_models = [Bike, Car, Van, Truck]
    list_display = (
        "registration",
        "vehicle_kind",
        "make",
        "model",
        "fleet",
        "status",
        "next_document_expiry",
        "created_at",
    )
    list_filter = (PolymorphicChildModelFilter, "status", ExpiringDocumentsFilter, ("created_at", DateRangeFilter))
    list_select_related = ("fleet",)
    search_fields = ("registration", "make", "model")
    actions = ("mark_active", "mark_in_maintenance", "retire")

    @admin.display(description="type")
    def vehicle_kind(self, vehicle):
        return vehicle.get_real_instance_class().TYPE.value

    @admin.display(description="next document expiry")
    def next_document_expiry(self, vehicle):
        doc = (
            vehicle.documents.order_by("expires_on")
            .filter(expires_on__gte=timezone.localdate() - dt.timedelta(days=365))
            .first()
        )
        if doc is None:
            return "no documents"
        day = formatting.local_date(doc.expires_on, self.locality(vehicle).locale)
        return f"{doc.get_kind_display()}: {day} ({_expiry_state(doc.expires_on)})"

    def has_delete_permission(self, request, obj=None):
        return False  # vehicles are retired, never deleted (trips reference them)

    def _status(self, request, queryset, status):
        apply_each(
            self,
            request,
            queryset,
            done_message=f"set {status}",
            fn=lambda v: vehicles.vehicle_status_change(vehicle_id=v.id, status=status),
        )

    @admin.action(description="Mark active")
    def mark_active(self, request, queryset):
        self._status(request, queryset, VehicleStatus.ACTIVE)

    @admin.action(description="Mark in maintenance")
    def mark_in_maintenance(self, request, queryset):
        self._status(request, queryset, VehicleStatus.IN_MAINTENANCE)

    @admin.action(description="Retire")
    def retire(self, request, queryset):
        self._status(request, queryset, VehicleStatus.RETIRED)


@admin.register(VehicleDocument)
class VehicleDocumentAdmin(OnFleetClock, Visible, FleetScopedAdmin):
    visible = staticmethod(visibility.vehicle_documents_managed)
    fleet_field = "vehicle__fleet_id"
    local_times = ("created_at", "updated_at", "expiry_warned_at", "expired_notified_at")
    list_select_related = ("vehicle",)
    list_display = ("vehicle", "kind", "number", "expires_on", "state")
    list_filter = ("kind", ("expires_on", admin.DateFieldListFilter))
    search_fields = ("vehicle__registration", "number")
    ordering = ("expires_on",)
    readonly_fields = ("file_path", "content_type", "expiry_warned_at", "expired_notified_at")

    @admin.display(description="state", ordering="expires_on")
    def state(self, doc):
        return _expiry_state(doc.expires_on)
