"""Tables owned by the billing context. Fleets, users, drivers and trips are UUIDs, never relations."""

from __future__ import annotations

import functools
import uuid

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Coalesce
from polymorphic.models import PolymorphicModel

from apps.billing import pricing
from apps.billing.contracts import Service
from logitrack.db.models import BaseModel
from logitrack.types import GeoPoint

CURRENCY = RegexValidator(r"^([A-Z]{3}|PTS)$", "An ISO 4217 code, or PTS for loyalty points.")


def _choices(enum_cls):
    return [(m.value, m.value.replace("_", " ").capitalize()) for m in enum_cls]


# ---- tariffs and fares -------------------------------------------------------------------


class TaxRate(BaseModel):
    """A tax of a fleet's jurisdiction (e.g. "VAT 19%"). Several may apply on one invoice."""

    fleet_id = models.UUIDField(db_index=True)
    name = models.CharField(max_length=60)
    rate_bps = models.PositiveIntegerField(validators=[MaxValueValidator(10_000)], help_text="basis points: 1900 = 19%")

    def __str__(self) -> str:
        return f"{self.name} ({self.rate_bps / 100:g}%)"

    def as_tax(self) -> pricing.Tax:
        return pricing.Tax(self.name, self.rate_bps)


class Tariff(BaseModel):
    """A fleet's prices for one vehicle type and service, valid from/until given times (versions)."""

    fleet_id = models.UUIDField(db_index=True)
    name = models.CharField(max_length=100)
    service = models.CharField(max_length=20, choices=_choices(Service), default=Service.DELIVERY)
    vehicle_type = models.CharField(max_length=20, blank=True, default="", help_text="empty: any vehicle type")
    currency = models.CharField(max_length=3, validators=[CURRENCY])
    default_tax = models.ForeignKey(TaxRate, on_delete=models.PROTECT, related_name="+")
    prices_include_tax = models.BooleanField(default=True, help_text="consumer prices usually include VAT")
    valid_from = models.DateTimeField()
    valid_until = models.DateTimeField(null=True, blank=True)
    quote_valid_minutes = models.PositiveSmallIntegerField(default=15, validators=[MinValueValidator(1)])
    final_cap_bps = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="the final fare may exceed the quote by at most this (basis points); empty: no cap",
    )

    class Meta(BaseModel.Meta):
        ordering = ("fleet_id", "service", "vehicle_type", "-valid_from")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True) | models.Q(valid_until__gt=models.F("valid_from")),
                name="tariff_valid_until_after_from",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.service}, {self.vehicle_type or 'any'}) from {self.valid_from:%Y-%m-%d}"

    def pricing_components(self) -> list[pricing.Component]:
        """The components as the pricing engine sees them, cached per tariff version: fetching
        polymorphic rows costs one query per component type, on every fare otherwise. The admin
        saves the tariff itself with its inline components, which moves `updated_at` on."""
        return list(_components(self.id, self.updated_at))


@functools.lru_cache(maxsize=512)
def _components(tariff_id: uuid.UUID, version: object) -> tuple[pricing.Component, ...]:
    return tuple(c.as_component() for c in TariffComponent.objects.filter(tariff_id=tariff_id).order_by("position"))


class TariffComponent(PolymorphicModel):
    """One priced element; each subclass knows how to describe itself to the pricing engine."""

    KIND: str = ""
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    tariff = models.ForeignKey(Tariff, on_delete=models.CASCADE, related_name="components")
    position = models.PositiveSmallIntegerField(default=0)
    label = models.CharField(max_length=60, blank=True, default="")
    tax = models.ForeignKey(
        TaxRate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="empty: the tariff's default tax",
    )

    class Meta:
        ordering = ("position",)

    def __str__(self) -> str:
        return f"{self.get_real_instance_class().KIND} {self.label}".strip()

    def _base(self, **fields) -> pricing.Component:
        return pricing.Component(
            kind=self.KIND, label=self.label, tax=self.tax.as_tax() if self.tax_id else None, **fields
        )

    def as_component(self) -> pricing.Component:
        return self.get_real_instance().as_component()


class BaseFare(TariffComponent):
    KIND = "base"
    amount_minor = models.PositiveIntegerField()

    def as_component(self):
        return self._base(amount_minor=self.amount_minor)


class PerKm(TariffComponent):
    KIND = "per_km"
    amount_minor_per_km = models.PositiveIntegerField()
    free_km = models.PositiveSmallIntegerField(default=0)

    def as_component(self):
        return self._base(amount_minor=self.amount_minor_per_km, free_units=self.free_km)


class PerMinute(TariffComponent):
    KIND = "per_minute"
    amount_minor_per_minute = models.PositiveIntegerField()
    free_minutes = models.PositiveSmallIntegerField(default=0)

    def as_component(self):
        return self._base(amount_minor=self.amount_minor_per_minute, free_units=self.free_minutes)


class PerStop(TariffComponent):
    KIND = "per_stop"
    amount_minor_per_stop = models.PositiveIntegerField()
    free_stops = models.PositiveSmallIntegerField(default=2, help_text="a pickup and a drop-off are included")

    def as_component(self):
        return self._base(amount_minor=self.amount_minor_per_stop, free_units=self.free_stops)


class WaitingTime(TariffComponent):
    KIND = "waiting"
    amount_minor_per_minute = models.PositiveIntegerField()
    grace_minutes = models.PositiveSmallIntegerField(default=5)

    def as_component(self):
        return self._base(amount_minor=self.amount_minor_per_minute, free_units=self.grace_minutes)


class MinimumFare(TariffComponent):
    KIND = "minimum"
    amount_minor = models.PositiveIntegerField()

    def as_component(self):
        return self._base(amount_minor=self.amount_minor)


class TimeSurcharge(TariffComponent):
    """A percentage on top during a daily window (e.g. nights 22:00–06:00) on given weekdays."""

    KIND = "time_surcharge"
    percent_bps = models.PositiveIntegerField(help_text="2500 = +25%")
    starts = models.TimeField(null=True, blank=True)
    ends = models.TimeField(null=True, blank=True)
    weekdays = models.JSONField(default=list, blank=True, help_text="0 = Monday; empty: every day")

    def as_component(self):
        return self._base(
            percent_bps=self.percent_bps, starts=self.starts, ends=self.ends, weekdays=tuple(self.weekdays)
        )


class ZoneSurcharge(TariffComponent):
    """A flat amount when any stop lies within a circle (an airport, a toll zone)."""

    KIND = "zone_surcharge"
    amount_minor = models.PositiveIntegerField()
    center_lat = models.FloatField(validators=[MinValueValidator(-90), MaxValueValidator(90)])
    center_lng = models.FloatField(validators=[MinValueValidator(-180), MaxValueValidator(180)])
    radius_m = models.PositiveIntegerField()

    def as_component(self):
        return self._base(
            amount_minor=self.amount_minor,
            zone_center=GeoPoint(self.center_lat, self.center_lng),
            zone_radius_m=self.radius_m,
        )


class CancellationFee(TariffComponent):
    KIND = "cancellation"
    amount_minor = models.PositiveIntegerField()
    free_minutes = models.PositiveSmallIntegerField(
        default=5, help_text="free to cancel within this many minutes of booking"
    )

    def as_component(self):
        return self._base(amount_minor=self.amount_minor, free_units=self.free_minutes)


class Quote(BaseModel):
    """A price promised for a planned trip until `expires_at`; a booking references it."""

    fleet_id = models.UUIDField(db_index=True)
    tariff = models.ForeignKey(Tariff, on_delete=models.PROTECT, related_name="quotes")
    customer_id = models.UUIDField(null=True, blank=True)
    vehicle_type = models.CharField(max_length=20, blank=True, default="")
    service = models.CharField(max_length=20, choices=_choices(Service))
    facts = models.JSONField(help_text="the planned trip figures it was computed from")
    breakdown = models.JSONField()
    currency = models.CharField(max_length=3)
    total_minor = models.BigIntegerField()
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"quote {self.id} {self.total_minor} {self.currency}"


class FareRecord(BaseModel):
    """A finalised fare (trip completed) or a cancellation fee: what settlement posts."""

    trip_id = models.UUIDField(unique=True)
    quote = models.ForeignKey(Quote, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(
        max_length=20, choices=[("fare", "Fare"), ("cancellation", "Cancellation fee")], default="fare"
    )
    fleet_id = models.UUIDField(db_index=True)
    customer_id = models.UUIDField(null=True, blank=True)
    driver_id = models.UUIDField(null=True, blank=True)
    facts = models.JSONField()
    breakdown = models.JSONField()
    currency = models.CharField(max_length=3)
    net_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    capped = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.kind} for trip {self.trip_id}: {self.total_minor} {self.currency}"


# ---- the double-entry ledger -----------------------------------------------------------------


class AccountKind(models.TextChoices):
    DRIVER_WALLET = "driver_wallet"  # what the platform owes a driver (credit-normal)
    DRIVER_PAYOUT_HOLD = "driver_payout_hold"  # requested payouts, held until paid or rejected
    CUSTOMER_RECEIVABLE = "customer_receivable"  # what a customer owes (debit-normal)
    CUSTOMER_PREPAID = "customer_prepaid"  # a customer's prepaid balance (credit-normal)
    FLEET_REVENUE = "fleet_revenue"  # the fleet's commission (credit-normal)
    PLATFORM_COMMISSION = "platform_commission"  # the platform's fee (credit-normal)
    TAX_PAYABLE = "tax_payable"  # taxes collected, owed to the authority (credit-normal)
    CASH_CLEARING = "cash_clearing"  # money moving through banks and card processors (debit-normal)
    PROMOTIONS = "promotions"  # loyalty points issued (debit-normal, PTS)
    CUSTOMER_LOYALTY = "customer_loyalty"  # a customer's loyalty points (credit-normal, PTS)


NO_ID = uuid.UUID(int=0)
DEBIT_NORMAL = {AccountKind.CUSTOMER_RECEIVABLE, AccountKind.CASH_CLEARING, AccountKind.PROMOTIONS}


class Account(models.Model):
    """A ledger account. `balance_minor` is kept in the account's normal direction and equals the sum
    of its postings (checked by billing_verify_ledger); it may never go below `floor_minor`."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=30, choices=AccountKind.choices)
    owner_id = models.UUIDField(null=True, blank=True, help_text="driver, customer or fleet the account belongs to")
    fleet_id = models.UUIDField(null=True, blank=True, db_index=True)
    currency = models.CharField(max_length=3, validators=[CURRENCY])
    floor_minor = models.BigIntegerField(null=True, blank=True, help_text="lowest allowed balance; empty: unbounded")
    balance_minor = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            # one account per (kind, owner, fleet, currency); a missing owner or fleet counts as one value
            models.UniqueConstraint(
                "kind",
                Coalesce("owner_id", models.Value(NO_ID, output_field=models.UUIDField())),
                Coalesce("fleet_id", models.Value(NO_ID, output_field=models.UUIDField())),
                "currency",
                name="ledger_one_account_per_owner",
            ),
            models.CheckConstraint(
                condition=models.Q(floor_minor__isnull=True) | models.Q(balance_minor__gte=models.F("floor_minor")),
                name="ledger_balance_above_floor",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.owner_id or ''} {self.currency}".replace("  ", " ")

    @property
    def debit_normal(self) -> bool:
        return self.kind in DEBIT_NORMAL


class JournalTransaction(models.Model):
    """One business event in the ledger, made of postings that sum to zero per currency. Immutable:
    corrections are reversing transactions."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    idempotency_key = models.CharField(max_length=200, unique=True, help_text="client-supplied: a retry posts once")
    kind = models.CharField(max_length=30)
    reference_id = models.UUIDField(
        null=True, blank=True, db_index=True, help_text="trip, payout or top-up it belongs to"
    )
    fleet_id = models.UUIDField(null=True, blank=True, db_index=True)
    memo = models.CharField(max_length=300, blank=True, default="")
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by")
    posted_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("posted_at",)

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


class Posting(models.Model):
    """One leg: a signed amount on an account (positive = debit, negative = credit)."""

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(JournalTransaction, on_delete=models.PROTECT, related_name="postings")
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="postings")
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        constraints = [models.CheckConstraint(condition=~models.Q(amount_minor=0), name="posting_not_zero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount_minor:+d} {self.currency}"


class Payout(BaseModel):
    """A driver asks to be paid out; the money is held until a fleet manager approves (paid) or rejects."""

    class Status(models.TextChoices):
        REQUESTED = "requested"
        APPROVED = "approved"  # still held, the bank transfer is on its way
        PAID = "paid"
        REJECTED = "rejected"

    driver_id = models.UUIDField(db_index=True)
    fleet_id = models.UUIDField(db_index=True)
    request_key = models.CharField(max_length=200, help_text="the driver app's idempotency key for the request")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    decided_by_id = models.UUIDField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    bank_reference = models.CharField(max_length=100, blank=True, default="")
    reason = models.CharField(max_length=300, blank=True, default="")

    class Meta(BaseModel.Meta):
        constraints = [models.UniqueConstraint(fields=["driver_id", "request_key"], name="payout_request_once")]

    def __str__(self) -> str:
        return f"payout {self.amount_minor} {self.currency} ({self.status})"


class TopUp(BaseModel):
    """A customer's request to add money to their prepaid balance. It never touches the ledger until a trusted
    party confirms the money arrived: a platform admin recording cash or a bank transfer, or a payment provider's
    signed notification. pending → confirmed | failed | cancelled (by the customer, or expired)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        FAILED = "failed"
        CANCELLED = "cancelled"

    STAFF = "staff"  # confirmed_via for confirmations by platform admins; else the provider's registry name

    customer_id = models.UUIDField(db_index=True)
    request_key = models.CharField(max_length=200, help_text="the customer app's request_id: a retry asks once")
    currency = models.CharField(max_length=3, validators=[CURRENCY])
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True)
    expires_at = models.DateTimeField(help_text="a pending top-up not confirmed by then is cancelled")
    reason = models.CharField(max_length=300, blank=True, default="", help_text="why it failed or was cancelled")
    confirmed_via = models.CharField(max_length=40, blank=True, default="", help_text="staff, or the provider")
    confirmation_reference = models.CharField(
        max_length=200, blank=True, default="", help_text="the provider's event id, or the staff's bank/cash reference"
    )
    payment_reference = models.CharField(max_length=200, blank=True, default="", help_text="the provider's payment")
    confirmed_amount_minor = models.BigIntegerField(null=True, blank=True, help_text="what the confirmation said")
    confirmed_currency = models.CharField(max_length=3, blank=True, default="")
    decided_by_id = models.UUIDField(null=True, blank=True, help_text="the staff user, for staff confirmations")
    decided_at = models.DateTimeField(null=True, blank=True)
    transaction = models.OneToOneField(
        JournalTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="topup"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["customer_id", "request_key"], name="topup_request_once"),
            # one provider event (or one staff reference) confirms at most one top-up
            models.UniqueConstraint(
                fields=["confirmed_via", "confirmation_reference"],
                condition=~models.Q(confirmation_reference=""),
                name="topup_confirmation_once",
            ),
            models.UniqueConstraint(
                fields=["confirmed_via", "payment_reference"],
                condition=~models.Q(payment_reference=""),
                name="topup_payment_once",
            ),
        ]

    def __str__(self) -> str:
        return f"top-up {self.amount_minor} {self.currency} ({self.status})"


class UnappliedPayment(BaseModel):
    """Money a payment provider verifiably received that credited no balance: a payment for another amount or
    currency than its top-up asked, or a second payment for a top-up already paid. The cash sits at the provider;
    this row is what an operator reconciles and refunds from (providers retry a non-2xx answer for days, so the
    webhook records it here and answers 200)."""

    provider = models.CharField(max_length=40)
    event_id = models.CharField(max_length=200, help_text="the provider's notification id")
    payment_reference = models.CharField(max_length=200, blank=True, default="", help_text="the provider's payment")
    topup = models.ForeignKey(TopUp, on_delete=models.PROTECT, related_name="unapplied_payments")
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()
    reason = models.CharField(max_length=300)

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="unapplied_payment_event_once"),
            models.UniqueConstraint(
                fields=["provider", "payment_reference"],
                condition=~models.Q(payment_reference=""),
                name="unapplied_payment_once",
            ),
        ]

    def __str__(self) -> str:
        return f"unapplied {self.amount_minor} {self.currency} from {self.provider} ({self.payment_reference})"


# ---- invoices ---------------------------------------------------------------------------------


class InvoiceCounter(models.Model):
    """The last number used per fleet, year and series. Locked in the issuing transaction, so numbers
    are sequential without gaps: a rolled-back issue rolls its number back too."""

    fleet_id = models.UUIDField()
    year = models.PositiveSmallIntegerField()
    series = models.CharField(max_length=3)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["fleet_id", "year", "series"], name="invoice_counter_per_series")
        ]

    def __str__(self) -> str:
        return f"{self.series}-{self.year} at {self.last_number}"


class Invoice(BaseModel):
    class Kind(models.TextChoices):
        INVOICE = "invoice"  # a customer's trips of a period
        RECEIPT = "receipt"  # one trip
        CREDIT_NOTE = "credit_note"  # a refund

    SERIES = {Kind.INVOICE: "INV", Kind.RECEIPT: "RCT", Kind.CREDIT_NOTE: "CRN"}

    fleet_id = models.UUIDField(db_index=True)
    customer_id = models.UUIDField(null=True, blank=True, db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    number = models.CharField(max_length=30)
    period = models.CharField(max_length=7, blank=True, default="", help_text="YYYY-MM for period invoices")
    trip_id = models.UUIDField(null=True, blank=True)
    currency = models.CharField(max_length=3)
    lines = models.JSONField()
    taxes = models.JSONField()
    net_minor = models.BigIntegerField()
    tax_minor = models.BigIntegerField()
    total_minor = models.BigIntegerField()
    seller = models.JSONField(help_text="the fleet's legal details as of issuing")
    buyer = models.JSONField(help_text="the customer's details as of issuing")
    issued_at = models.DateTimeField()
    pdf_path = models.CharField(max_length=300, blank=True, default="")
    statement = models.JSONField(
        default=list,
        blank=True,
        help_text="period invoices: the month's trips already invoiced by their own receipt, listed for "
        "information only (not in the totals, no tax charged again)",
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=["fleet_id", "year", "kind", "sequence"], name="invoice_number_once"),
            models.UniqueConstraint(
                fields=["fleet_id", "customer_id", "period"],
                condition=models.Q(kind="invoice"),
                name="invoice_once_per_period",
            ),
            models.UniqueConstraint(
                fields=["trip_id", "kind"], condition=~models.Q(kind="invoice"), name="receipt_once_per_trip"
            ),
        ]

    def __str__(self) -> str:
        return self.number
