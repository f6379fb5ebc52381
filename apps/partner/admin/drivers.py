"""Drivers in the admin: the fleet's managers see and change their own drivers; suspend and reinstate go through
the compliance service. Names instead of ids, times on the fleet's clock, a date range and export on the list."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from apps.partner.admin._shared import Visible, fleet_localities, fleet_names, user_names
from apps.partner.models import DriverProfile, KycDocument
from apps.partner.selectors import visibility
from apps.partner.services import compliance, drivers
from logitrack import formatting
from logitrack.admin import FleetScopedAdmin, apply_each
from logitrack.admin.export import Exportable
from logitrack.admin.filters import DateRangeFilter
from logitrack.admin.readable import Readable


class DocumentInline(admin.TabularInline):
    model = KycDocument
    fields = ("review", "submitted", "status", "expires_on", "rejection_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="document")
    def review(self, doc):
        url = reverse("admin:partner_kycdocument_review", args=[doc.pk])
        return format_html(
            '<a href="{}">{}</a>', url, doc.get_real_instance_class().TYPE.replace("_", " ").capitalize()
        )

    @admin.display(description="submitted")
    def submitted(self, doc):
        place = fleet_localities(fleet_ids=[doc.driver.fleet_id]).get(doc.driver.fleet_id) or formatting.Locality()
        return formatting.local_datetime(doc.submitted_at, place.time_zone, place.locale)


@admin.register(DriverProfile)
class DriverProfileAdmin(Readable, Exportable, Visible, FleetScopedAdmin):
    visible = staticmethod(visibility.drivers_managed)
    named_ids = {"fleet_id": fleet_names, "user_id": user_names}
    localities = staticmethod(fleet_localities)
    local_times = ("created_at", "suspended_at", "duty_changed_at", "anonymised_at")
    list_display = (
        "display_name",
        "fleet_id",
        "compliance_status",
        "duty_status",
        "licence_classes",
        "active",
        "next_expiry",
        "created_at",
    )
    list_filter = ("compliance_status", "duty_status", "active", ("created_at", DateRangeFilter))
    search_fields = ("display_name", "phone", "user_id")
    readonly_fields = (
        "user_id",
        "fleet_id",
        "compliance_status",
        "compliance_reasons",
        "suspended_at",
        "suspension_reason",
        "duty_status",
        "duty_changed_at",
        "active",
        "anonymised_at",
    )
    fields = (
        "display_name",
        "phone",
        "licence_classes",
        "emergency_contact_name",
        "emergency_contact_phone",
        *readonly_fields,
    )
    inlines = [DocumentInline]
    actions = ("suspend", "reinstate")

    @admin.display(description="next document expiry")
    def next_expiry(self, driver):
        doc = driver.documents.filter(status="approved", expires_on__isnull=False).order_by("expires_on").first()
        return formatting.local_date(doc.expires_on, self.locality(driver).locale) if doc else "-"

    def has_add_permission(self, request):
        return False  # drivers come from accepted invitations and imports

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        data = {f: form.cleaned_data[f] for f in form.changed_data if f in drivers.PROFILE_FIELDS}
        drivers.driver_profile_update(driver_id=obj.id, data=data)

    @admin.action(description="Suspend the selected drivers")
    def suspend(self, request, queryset):
        apply_each(
            self,
            request,
            queryset,
            done_message="suspended",
            fn=lambda d: compliance.driver_suspend(driver_id=d.id, reason="suspended in admin"),
        )

    @admin.action(description="Reinstate the selected drivers")
    def reinstate(self, request, queryset):
        apply_each(
            self, request, queryset, done_message="reinstated", fn=lambda d: compliance.driver_reinstate(driver_id=d.id)
        )
