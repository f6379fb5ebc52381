"""The ledger, read-only: accounts (selectors.accounts_managed) and journal transactions with their postings, each
account named after its owner (driver, customer or fleet) and amounts in the fleet's locale."""

from babel.numbers import format_decimal
from django.contrib import admin

from apps.billing import integrations, selectors
from apps.billing.admin.common import ReadOnly
from apps.billing.admin.fares import BillingReadable
from apps.billing.models import Account, JournalTransaction, Posting
from apps.billing.models.common import short_ids
from logitrack import formatting
from logitrack.admin import FleetScopedAdmin
from logitrack.admin.export import Exportable
from logitrack.admin.filters import DateRangeFilter
from logitrack.admin.readable import unknown
from logitrack.http.principal import principal


def amount_shown(amount_minor: int, currency: str, locale: str) -> str:
    """Money in the locale's way; loyalty points (PTS) as the whole number they are."""
    if currency == "PTS":
        return f"{format_decimal(amount_minor, locale=locale)} points"
    return formatting.money(amount_minor, currency, locale)


@admin.register(Account)
class AccountAdmin(BillingReadable, ReadOnly, FleetScopedAdmin):
    named_ids = {**BillingReadable.named_ids, "owner_id": integrations.owner_names}
    list_display = ("kind", "owner_id", "fleet_id", "balance", "floor")
    list_filter = ("kind", "currency")
    search_fields = ("owner_id",)
    fields = list_display
    readonly_fields = fields

    def get_queryset(self, request):
        return selectors.accounts_managed(principal=principal(request))

    @admin.display(description="Balance", ordering="balance_minor")
    def balance(self, account: Account) -> str:
        return amount_shown(account.balance_minor, account.currency, self.locality(account).locale)

    @admin.display(description="Lowest allowed", ordering="floor_minor")
    def floor(self, account: Account) -> str:
        if account.floor_minor is None:
            return "–"
        return amount_shown(account.floor_minor, account.currency, self.locality(account).locale)


class PostingInline(ReadOnly, admin.TabularInline):
    model = Posting
    fields = ("account_named", "amount")
    readonly_fields = fields
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("account", "transaction")

    @admin.display(description="Account")
    def account_named(self, posting: Posting) -> str:
        account = posting.account
        if account.owner_id is None:
            return account.get_kind_display()
        name = integrations.owner_names(ids=[account.owner_id]).get(account.owner_id) or unknown(account.owner_id)
        return f"{account.get_kind_display()}: {name}"

    @admin.display(description="Amount (debit + / credit −)")
    def amount(self, posting: Posting) -> str:
        fleet_id = posting.transaction.fleet_id
        place = integrations.fleet_localities(fleet_ids=[fleet_id]).get(fleet_id) if fleet_id else None
        return amount_shown(posting.amount_minor, posting.currency, place.locale if place else "en")


@admin.register(JournalTransaction)
class JournalTransactionAdmin(BillingReadable, Exportable, ReadOnly, FleetScopedAdmin):
    local_times = ("posted_at",)
    list_display = ("posted_at", "kind", "description", "fleet_id", "total")
    list_filter = (("posted_at", DateRangeFilter), "kind")
    search_fields = ("idempotency_key", "reference_id", "memo")
    fields = ("posted_at", "kind", "description", "fleet_id")
    readonly_fields = fields
    inlines = [PostingInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("postings")

    @admin.display(description="Description", ordering="memo")
    def description(self, row: JournalTransaction) -> str:
        return short_ids(row.memo) or "–"

    @admin.display(description="Amount moved")
    def total(self, row: JournalTransaction) -> str:
        """What the entry moves: the sum of its debits, per currency."""
        place = self.locality(row)
        sums: dict[str, int] = {}
        for posting in row.postings.all():
            if posting.amount_minor > 0:
                sums[posting.currency] = sums.get(posting.currency, 0) + posting.amount_minor
        return " + ".join(amount_shown(v, k, place.locale) for k, v in sorted(sums.items())) or "–"
