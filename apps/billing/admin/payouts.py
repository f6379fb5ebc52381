"""Payouts: approve, mark paid, reject (selectors.payouts_managed)."""

from django.contrib import admin, messages

from apps.billing import integrations, selectors
from apps.billing.admin.fares import BillingReadable
from apps.billing.models import Payout
from apps.billing.services import payouts
from logitrack.admin import FleetScopedAdmin
from logitrack.admin.export import Exportable
from logitrack.admin.filters import DateRangeFilter
from logitrack.exceptions import ApplicationError
from logitrack.http.principal import principal


@admin.register(Payout)
class PayoutAdmin(BillingReadable, Exportable, FleetScopedAdmin):
    named_ids = {
        **BillingReadable.named_ids,
        "driver_id": integrations.driver_names,
        "decided_by_id": integrations.user_names,
    }
    money = {"amount_minor": "currency"}
    local_times = ("created_at", "decided_at", "paid_at")
    list_display = ("created_at", "driver_id", "amount_minor", "status", "decided_at", "reason", "fleet_id")
    list_filter = (("created_at", DateRangeFilter), "status", "currency")
    fields = (
        "driver_id", "fleet_id", "amount_minor", "status", "created_at", "decided_by_id", "decided_at", "reason",
        "paid_at", "bank_reference",
    )  # fmt: skip
    readonly_fields = fields
    actions = ("approve", "mark_paid", "reject")

    def get_queryset(self, request):
        return selectors.payouts_managed(principal=principal(request))

    def has_add_permission(self, request):
        return False  # drivers request payouts from the app

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, approve):
        actor = principal(request)
        done = 0
        for payout in queryset:
            try:
                payouts.payout_decide(
                    payout_id=payout.id,
                    approve=approve,
                    actor_id=actor.user_id if actor else None,
                    reason="" if approve else "rejected in admin",
                )
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{payout}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"{'Approved' if approve else 'Rejected'} {done} payout(s).", messages.SUCCESS)

    @admin.action(description="Approve the selected payouts (the money stays held until paid)")
    def approve(self, request, queryset):
        self._decide(request, queryset, True)

    @admin.action(description="Mark the selected payouts as paid (transfer sent)")
    def mark_paid(self, request, queryset):
        done = 0
        for payout in queryset:
            try:
                payouts.payout_mark_paid(payout_id=payout.id, bank_reference="admin")
                done += 1
            except ApplicationError as exc:
                self.message_user(request, f"{payout}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, f"Paid {done} payout(s).", messages.SUCCESS)

    @admin.action(description="Reject the selected payouts (money returns to the wallet)")
    def reject(self, request, queryset):
        self._decide(request, queryset, False)
