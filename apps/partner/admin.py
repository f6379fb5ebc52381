"""Partner in the admin: drivers and KYC review for fleet managers, scoped to their fleets; approve
and reject go through the review service."""

import datetime as dt
from collections.abc import Callable

from django.contrib import admin
from django.db.models import QuerySet
from django.utils import timezone
from polymorphic.admin import PolymorphicChildModelAdmin, PolymorphicChildModelFilter, PolymorphicParentModelAdmin

from apps.partner.models import BackgroundCheck, DriverProfile, DrivingLicence, IdentityDocument, KycDocument
from apps.partner.selectors import visibility
from apps.partner.services import compliance, drivers, kyc
from logitrack.admin import FleetScoped, FleetScopedAdmin, LookUpBeforeDelegating, apply_each
from logitrack.http.principal import principal


class Visible(FleetScoped):
    """The rows an admin shows come from the app's visibility selector (`visible(principal=, queryset=)`), the
    one place partner decides who sees what; pickers elsewhere that point here offer the same rows."""

    visible: Callable[..., QuerySet]  # a visibility selector, set with staticmethod(...)

    def get_queryset(self, request):
        base = super(FleetScoped, self).get_queryset(request)  # the admin's own queryset and ordering, unscoped
        found = principal(request)
        return base.none() if found is None else self.visible(principal=found, queryset=base)


class DocumentInline(admin.TabularInline):
    model = KycDocument
    fields = ("submitted_at", "status", "expires_on", "rejection_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(DriverProfile)
class DriverProfileAdmin(Visible, FleetScopedAdmin):
    visible = staticmethod(visibility.drivers_managed)
    list_display = (
        "display_name",
        "fleet_id",
        "compliance_status",
        "duty_status",
        "licence_classes",
        "active",
        "next_expiry",
    )
    list_filter = ("compliance_status", "duty_status", "active")
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
        return doc.expires_on if doc else "-"

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


class ExpiryFilter(admin.SimpleListFilter):
    title = "expiry"
    parameter_name = "expiry"

    def lookups(self, request, model_admin):
        return [("expired", "Expired"), ("30", "Expiring within 30 days"), ("90", "Expiring within 90 days")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == "expired":
            return queryset.filter(expires_on__lt=today)
        if self.value() in ("30", "90"):
            return queryset.filter(expires_on__gte=today, expires_on__lte=today + dt.timedelta(days=int(self.value())))
        return queryset


class ScopedDocuments(Visible):
    visible = staticmethod(visibility.documents_managed)

    def has_add_permission(self, request, obj=None):
        return False  # drivers upload from the app

    def has_delete_permission(self, request, obj=None):
        return False


class KycChildAdmin(ScopedDocuments, PolymorphicChildModelAdmin):
    base_model = KycDocument
    readonly_fields = (
        "driver",
        "status",
        "file_path",
        "content_type",
        "size",
        "sha256",
        "submitted_at",
        "reviewed_by_id",
        "reviewed_at",
        "rejection_reason",
        "expiry_warned_at",
    )

    def has_change_permission(self, request, obj=None):
        return False  # documents are reviewed with the list actions, not edited


@admin.register(DrivingLicence)
class DrivingLicenceAdmin(KycChildAdmin):
    base_model = KycDocument


@admin.register(IdentityDocument)
class IdentityDocumentAdmin(KycChildAdmin):
    base_model = KycDocument


@admin.register(BackgroundCheck)
class BackgroundCheckAdmin(KycChildAdmin):
    base_model = KycDocument


@admin.register(KycDocument)
class KycDocumentAdmin(LookUpBeforeDelegating, ScopedDocuments, PolymorphicParentModelAdmin):
    base_model = KycDocument
    child_models = [DrivingLicence, IdentityDocument, BackgroundCheck]
    list_display = ("driver", "document_type", "status", "submitted_at", "expires_on", "rejection_reason")
    list_filter = ("status", PolymorphicChildModelFilter, ExpiryFilter)
    search_fields = ("driver__display_name",)
    ordering = ("status", "submitted_at")
    actions = ("approve", "reject_unreadable", "reject_invalid")

    @admin.display(description="type")
    def document_type(self, doc):
        return doc.kyc_type.value.replace("_", " ")

    def _review(self, request, queryset, approve, reason=""):
        reviewer = principal(request)
        apply_each(
            self,
            request,
            queryset,
            done_message="approved" if approve else "rejected",
            fn=lambda d: kyc.kyc_document_review(
                document_id=d.id, approve=approve, reviewer_id=reviewer.user_id if reviewer else None, reason=reason
            ),
        )

    @admin.action(description="Approve the selected documents")
    def approve(self, request, queryset):
        self._review(request, queryset, True)

    @admin.action(description="Reject: unreadable or incomplete scan")
    def reject_unreadable(self, request, queryset):
        self._review(request, queryset, False, "unreadable or incomplete scan")

    @admin.action(description="Reject: details do not match or document not valid")
    def reject_invalid(self, request, queryset):
        self._review(request, queryset, False, "details do not match or the document is not valid")
