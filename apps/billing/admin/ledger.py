"""The ledger, read-only: accounts (selectors.accounts_managed) and journal transactions with their postings."""

from django.contrib import admin

from apps.billing import selectors
from apps.billing.admin.common import ReadOnly
from apps.billing.models import Account, JournalTransaction, Posting
from logitrack.admin import FleetScopedAdmin
from logitrack.http.principal import principal


@admin.register(Account)
class AccountAdmin(ReadOnly, FleetScopedAdmin):
    list_display = ("kind", "owner_id", "fleet_id", "currency", "balance_minor", "floor_minor")
    list_filter = ("kind", "currency")
    search_fields = ("owner_id",)

    def get_queryset(self, request):
        return selectors.accounts_managed(principal=principal(request))


class PostingInline(ReadOnly, admin.TabularInline):
    model = Posting
    fields = ("account", "amount_minor", "currency")
    readonly_fields = fields
    extra = 0


@admin.register(JournalTransaction)
class JournalTransactionAdmin(ReadOnly, FleetScopedAdmin):
    list_display = ("posted_at", "kind", "idempotency_key", "reference_id", "memo")
    list_filter = ("kind",)
    search_fields = ("idempotency_key", "reference_id")
    inlines = [PostingInline]
