"""Query parameters of billing's list endpoints, as FilterSets, so the OpenAPI schema documents them.

Names, validation and 400 bodies are those the views checked by hand before (the strict filters of
logitrack.http.filters: a bad or empty value is `400 validation_failed` naming the parameter, absent means "no
filter"); the choice messages are billing's own. The rows come from the visibility selectors; a FilterSet only
narrows them.
"""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone

from apps.billing.contracts import Service
from apps.billing.models import Invoice, Payout, Tariff, TaxRate, TopUp
from logitrack.http.filters import BooleanFilter, ChoiceFilter, TextFilter, UUIDFilter, choices, one_of


class PayoutFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=Payout.Status.choices, message=one_of(Payout.Status.values))
    fleet_id = UUIDFilter(
        method="_as_driver_in",
        help_text="which fleet, when you drive for several",  # managers see their fleets' payouts whatever it says
    )

    class Meta:
        model = Payout
        fields = ["status", "fleet_id"]

    def _as_driver_in(self, queryset: QuerySet, name: str, value) -> QuerySet:
        return queryset  # it picks whose payouts a driver sees (selectors.payouts_visible), it narrows nothing


class TopUpFilter(django_filters.FilterSet):
    status = ChoiceFilter(choices=TopUp.Status.choices, message=one_of(sorted(TopUp.Status.values)))

    class Meta:
        model = TopUp
        fields = ["status"]


class InvoiceFilter(django_filters.FilterSet):
    kind = ChoiceFilter(choices=Invoice.Kind.choices, message="must be invoice, receipt or credit_note")
    trip_id = UUIDFilter(
        help_text="documents of one trip: its receipt and credit note (a monthly invoice names no trip)",
    )

    class Meta:
        model = Invoice
        fields = ["kind", "trip_id"]


class TariffFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(help_text="one of your fleets")
    service = ChoiceFilter(choices=choices(Service), message=one_of([s.value for s in Service]))
    vehicle_type = TextFilter(help_text="exactly this vehicle type (an empty value is not allowed: leave it out)")
    current = BooleanFilter(method="_current", help_text="true: versions in force now or later; false: ended ones")

    class Meta:
        model = Tariff
        fields = ["fleet_id", "service", "vehicle_type", "current"]

    def _current(self, queryset: QuerySet, name: str, value) -> QuerySet:
        ongoing = Q(valid_until__isnull=True) | Q(valid_until__gt=timezone.now())
        return queryset.filter(ongoing) if value else queryset.exclude(ongoing)


class TaxRateFilter(django_filters.FilterSet):
    fleet_id = UUIDFilter(help_text="one of your fleets")

    class Meta:
        model = TaxRate
        fields = ["fleet_id"]
