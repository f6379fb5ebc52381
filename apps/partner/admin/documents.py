"""KYC documents in the admin: the review queue of the fleet's managers, oldest first, each row opening its review
page (`review`); approve and reject, there or as list actions, go through the review service."""

import datetime as dt

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.urls import path, reverse
from django.utils import timezone
from polymorphic.admin import PolymorphicChildModelAdmin, PolymorphicChildModelFilter, PolymorphicParentModelAdmin

from apps.partner.admin import review
from apps.partner.admin._shared import Visible, driver_names, fleet_localities, user_names
from apps.partner.models import BackgroundCheck, DrivingLicence, IdentityDocument, KycDocument
from apps.partner.selectors import documents as document_selectors
from apps.partner.selectors import visibility
from apps.partner.services import kyc
from logitrack import formatting
from logitrack.admin import LookUpBeforeDelegating, apply_each
from logitrack.admin.export import Exportable
from logitrack.admin.filters import DateRangeFilter
from logitrack.admin.readable import Readable
from logitrack.http.principal import principal


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


class ReadableDocument(Readable):
    """A document's driver by name, its times on the driver's fleet's clock, its reviewer by name."""

    named_ids = {"driver_id": driver_names, "reviewed_by_id": user_names}
    localities = staticmethod(fleet_localities)
    fleet_field = "driver__fleet_id"
    local_times = ("submitted_at", "reviewed_at", "expiry_warned_at")


class ScopedDocuments(Visible):
    visible = staticmethod(visibility.documents_managed)

    def has_add_permission(self, request, obj=None):
        return False  # drivers upload from the app

    def has_delete_permission(self, request, obj=None):
        return False


class KycChildAdmin(ReadableDocument, ScopedDocuments, PolymorphicChildModelAdmin):
    base_model = KycDocument
    readonly_fields = (
        "driver_id",
        "status",
        "content_type",
        "size",
        "sha256",
        "submitted_at",
        "reviewed_by_id",
        "reviewed_at",
        "rejection_reason",
        "expiry_warned_at",
    )
    exclude = ("driver", "file_path")  # the driver by name above; the scan on the review page, never its path

    def has_change_permission(self, request, obj=None):
        return False  # documents are reviewed on their review page (or with the list actions), not edited


@admin.register(DrivingLicence)
class DrivingLicenceAdmin(KycChildAdmin):
    base_model = KycDocument


@admin.register(IdentityDocument)
class IdentityDocumentAdmin(KycChildAdmin):
    base_model = KycDocument


@admin.register(BackgroundCheck)
class BackgroundCheckAdmin(KycChildAdmin):
    base_model = KycDocument


class ReviewLinks(ChangeList):
    """Each row of the queue opens its review page (the scan beside the decision), not the read-only form."""

    def url_for_result(self, result):
        return reverse(
            "admin:partner_kycdocument_review", args=[result.pk], current_app=self.model_admin.admin_site.name
        )


@admin.register(KycDocument)
class KycDocumentAdmin(
    ReadableDocument, Exportable, LookUpBeforeDelegating, ScopedDocuments, PolymorphicParentModelAdmin
):
    base_model = KycDocument
    child_models = [DrivingLicence, IdentityDocument, BackgroundCheck]
    list_display = ("driver_id", "document_type", "status", "submitted_at", "expires", "rejection_reason")
    list_filter = ("status", PolymorphicChildModelFilter, ExpiryFilter, ("submitted_at", DateRangeFilter))
    list_select_related = ("driver",)
    search_fields = ("driver__display_name",)
    ordering = ("submitted_at", "id")  # the queue: oldest first
    actions = ("approve", "reject_unreadable", "reject_invalid")
    # the queue's counter above the export buttons; polymorphic's stubs type this attribute as a list
    change_list_template = "admin/partner/kycdocument/change_list.html"  # type: ignore[assignment]

    def get_changelist(self, request, **kwargs):
        return ReviewLinks

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/review/",
                view(review.ReviewView.as_view(model_admin=self)),
                name="{}_{}_review".format(*info),
            ),
            path("<path:object_id>/scan/", view(review.scan_view(self)), name="{}_{}_scan".format(*info)),
            path(
                "<path:object_id>/scan/page/<int:number>/",
                view(review.scan_page_view(self)),
                name="{}_{}_scan_page".format(*info),
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        found = principal(request)
        queue = document_selectors.review_queue(principal=found) if found else KycDocument.objects.none()
        first = queue.first()
        extra = {"waiting": queue.count(), "first_waiting": first.pk if first else None, "title": "KYC review queue"}
        return super().changelist_view(request, {**extra, **(extra_context or {})})

    @admin.display(description="type")
    def document_type(self, doc):
        return doc.kyc_type.value.replace("_", " ").capitalize()

    @admin.display(description="expires on", ordering="expires_on")
    def expires(self, doc):
        return formatting.local_date(doc.expires_on, self.locality(doc).locale) if doc.expires_on else "–"

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
        self._review(request, queryset, False, review.REASONS["unreadable"])

    @admin.action(description="Reject: details do not match or document not valid")
    def reject_invalid(self, request, queryset):
        self._review(request, queryset, False, review.REASONS["invalid"])
