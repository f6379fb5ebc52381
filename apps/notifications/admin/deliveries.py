"""The delivery log in the admin, for platform admins only (it spans every fleet's customers): what was sent to
whom, each try, and replaying dead ones. Read-only otherwise: deliveries change only through the machinery."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from apps.notifications.contracts import DeliveryStatus
from apps.notifications.models import Delivery, DeliveryAttempt
from apps.notifications.services import deliveries

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
    TabularInline = admin.TabularInline[Any, Any]
else:  # not subscriptable at run time
    ModelAdmin = admin.ModelAdmin
    TabularInline = admin.TabularInline


class AttemptInline(TabularInline):
    model = DeliveryAttempt
    fields = ("at", "outcome", "status_code", "error", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ModelAdmin):
    list_display = ("kind", "channel", "status", "address", "attempts", "created_at", "sent_at", "next_attempt_at")
    list_filter = ("status", "channel", "kind", "urgent")
    search_fields = ("key", "address", "source_event_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    inlines = (AttemptInline,)
    actions = ("replay",)
    exclude = ("html",)  # shown as text below; the raw HTML is long

    def get_readonly_fields(self, request: HttpRequest, obj: Model | None = None) -> list[str]:
        return [f.name for f in Delivery._meta.fields if f.name != "html"]

    @admin.action(description="Send the selected dead deliveries again")
    def replay(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        rows = deliveries.deliveries_replay(
            ids=list(queryset.values_list("id", flat=True)), statuses=[DeliveryStatus.DEAD]
        )
        self.message_user(request, f"Re-queued {len(rows)} dead delivery(ies).", messages.SUCCESS)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)  # the replay action; every field is read-only

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
