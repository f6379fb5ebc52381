from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Model, QuerySet
from django.http import HttpRequest, QueryDict

from logitrack.db import contexts
from logitrack.outbox import services
from logitrack.outbox.models import DeadLetter, InboxRecord, OutboxMessage

if TYPE_CHECKING:
    ModelAdmin = admin.ModelAdmin[Any]
else:  # not subscriptable at run time
    ModelAdmin = admin.ModelAdmin


def _database(request: HttpRequest) -> str:
    """The database whose rows the page shows: `?database=` (kept in the filters a row's page carries back)."""
    chosen = request.GET.get("database") or QueryDict(request.GET.get("_changelist_filters", "")).get("database")
    return chosen if chosen in contexts.aliases() else DEFAULT_DB_ALIAS


class DatabaseFilter(admin.SimpleListFilter):
    """Each context's outbox, inbox and dead letters are in its own database when split: one at a time here."""

    title = "database"
    parameter_name = "database"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(alias, alias) for alias in contexts.aliases()] if contexts.split() else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset  # ReadOnlyAdmin.get_queryset chose the database already


class ReadOnlyAdmin(ModelAdmin):
    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).using(_database(request))

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "event_type", "event_id", "occurred_at", "published_at", "relay_attempts")
    list_filter = (DatabaseFilter, "event_type", "source", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("event_id", "event_type")


@admin.register(InboxRecord)
class InboxRecordAdmin(ReadOnlyAdmin):
    list_display = ("subscriber", "event_type", "event_id", "processed_at")
    list_filter = (DatabaseFilter, "subscriber", "event_type")
    search_fields = ("event_id",)


@admin.register(DeadLetter)
class DeadLetterAdmin(ReadOnlyAdmin):
    list_display = ("subscriber", "event_type", "event_id", "attempts", "failed_at", "replayed_at", "replay_count")
    list_filter = (DatabaseFilter, "subscriber", "event_type", ("replayed_at", admin.EmptyFieldListFilter))
    search_fields = ("event_id",)
    actions = ("replay",)

    @admin.action(description="Replay the selected dead letters")
    def replay(self, request: HttpRequest, queryset: QuerySet[DeadLetter]) -> None:
        results = [services.dead_letter_replay(letter=letter) for letter in queryset.filter(replayed_at__isnull=True)]
        self.message_user(request, f"Re-enqueued {len(results)} deliveries.", messages.SUCCESS)

    def has_view_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return bool(request.user.is_superuser)
