"""Framework-free types the billing context shares: frozen dataclasses, enums, error types."""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import uuid

from logitrack.exceptions import (
    Conflict,
    NotFound,
    PermissionDenied,
    ServiceUnavailable,
    Unauthenticated,
    ValidationFailed,
)
from logitrack.types import GeoPoint, Money
from logitrack.wire import RemoteCall, RemoteInterface, contract_errors


class Service(enum.StrEnum):
    DELIVERY = "delivery"
    RIDE = "ride"


class ComponentKind(enum.StrEnum):
    """The component types a tariff is built from, by the names operators use for them: the one list that pricing,
    the component models (one per kind, `models.tariffs.COMPONENT_MODELS`), `services.tariffs.tariff_create` and
    the admin's inlines all read."""

    BASE_FARE = "base_fare"
    PER_KM = "per_km"
    PER_MINUTE = "per_minute"
    PER_STOP = "per_stop"
    WAITING_TIME = "waiting_time"
    MINIMUM_FARE = "minimum_fare"
    TIME_SURCHARGE = "time_surcharge"
    ZONE_SURCHARGE = "zone_surcharge"
    CANCELLATION_FEE = "cancellation_fee"


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripFacts:
    """What a fare is computed from: planned figures for a quote, actual ones for the final fare."""

    distance_m: int
    duration_s: int
    stops: int
    waiting_s: int = 0
    at: dt.datetime  # requested (quote) or started (final) time, timezone-aware
    points: tuple[GeoPoint, ...] = ()


@dataclasses.dataclass(frozen=True, kw_only=True)
class FareLine:
    code: str  # base, distance, time, stops, waiting, minimum, surcharge.<x>, zone.<x>, cancellation, guarantee
    description: str
    net: Money
    tax: Money
    tax_rate_bps: int

    @property
    def gross(self) -> Money:
        return self.net + self.tax


@dataclasses.dataclass(frozen=True, kw_only=True)
class TaxLine:
    name: str
    rate_bps: int
    net: Money
    tax: Money


@dataclasses.dataclass(frozen=True, kw_only=True)
class FareBreakdown:
    currency: str
    lines: tuple[FareLine, ...]
    taxes: tuple[TaxLine, ...]
    net: Money
    tax: Money
    total: Money
    prices_include_tax: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class Quote:
    id: uuid.UUID
    fleet_id: uuid.UUID
    tariff_id: uuid.UUID
    vehicle_type: str
    service: Service
    breakdown: FareBreakdown
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class FinalFare:
    quote_id: uuid.UUID
    trip_id: uuid.UUID
    breakdown: FareBreakdown
    capped: bool


@dataclasses.dataclass(frozen=True, kw_only=True)
class QuoteRef:
    id: uuid.UUID
    fleet_id: uuid.UUID
    vehicle_type: str
    service: str
    total_minor: int
    currency: str
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripFare:
    """What a trip costs its customer, in minor units: the quote it was booked with, and once billing has settled
    it the final amount (the fare of a completed trip, or a cancellation fee)."""

    trip_id: uuid.UUID
    currency: str
    quoted_total_minor: int | None
    final_total_minor: int | None
    final_kind: str | None  # "fare" | "cancellation"


@dataclasses.dataclass(frozen=True, kw_only=True)
class FareLineRef:
    description: str
    net_minor: int
    tax_minor: int
    gross_minor: int
    tax_rate_bps: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripFareDetail:
    """One trip's fare with its lines, as its page shows it: the settled fare (or cancellation fee) when there is
    one, else the quote it was booked with; with the distance and duration it was priced on when known."""

    trip_id: uuid.UUID
    kind: str  # "quote" | "fare" | "cancellation"
    currency: str
    lines: tuple[FareLineRef, ...]
    net_minor: int
    tax_minor: int
    total_minor: int
    quoted_total_minor: int | None
    distance_m: int | None
    duration_s: int | None


@dataclasses.dataclass(frozen=True, kw_only=True)
class SurchargeZone:
    """A circle a zone surcharge applies in (an airport, a toll zone), as maps show it."""

    label: str
    center_lat: float
    center_lng: float
    radius_m: int


class NoTariff(NotFound):
    code = "billing.no_tariff"


class QuoteNotFound(NotFound):
    code = "billing.quote_not_found"


class QuoteExpired(Conflict):
    code = "billing.quote_expired"


class InvalidBillingData(ValidationFailed):
    code = "billing.invalid"


class TariffRetired(Conflict):
    code = "billing.tariff_retired"


class TaxRateInUse(Conflict):
    code = "billing.tax_rate_in_use"


class InsufficientFunds(Conflict):
    code = "billing.insufficient_funds"


class LedgerConflict(Conflict):
    """The same idempotency key was used for a different transaction."""

    code = "billing.idempotency_conflict"


class PeriodNotEnded(Conflict):
    """Invoicing a month before it has ended would leave its later trips uninvoiced for ever."""

    code = "billing.period_not_ended"


class UnbalancedTransaction(ValidationFailed):
    code = "billing.unbalanced"


# ---- top-ups and payment providers ------------------------------------------------------------


class TopUpNotFound(NotFound):
    code = "billing.topup_not_found"


class TopUpNotPending(Conflict):
    """Only a pending top-up can be confirmed, failed or cancelled."""

    code = "billing.topup_not_pending"


class TopUpMismatch(Conflict):
    """A confirmation for another amount or currency than the customer asked for: nothing is credited."""

    code = "billing.topup_mismatch"


class TopUpAmountDiffers(ValidationFailed):
    """Staff recorded another amount or currency than the customer asked for: a typo, refused with nothing
    changed, so the real confirmation with the same reference still works."""

    code = "billing.topup_amount_differs"


class SelfConfirmation(PermissionDenied):
    """A platform admin (who may hold every role) recording a payment into their own prepaid balance."""

    code = "billing.self_confirmation"


class ConfirmationReused(Conflict):
    """The provider event, payment or staff reference already confirmed another top-up."""

    code = "billing.confirmation_reused"


class UnknownPaymentProvider(NotFound):
    code = "billing.unknown_provider"


class SignatureInvalid(Unauthenticated):
    """A webhook whose signature does not match (wrong secret, tampered body) or is too old (a replay)."""

    code = "billing.signature_invalid"


class NotificationMalformed(ValidationFailed):
    code = "billing.notification_malformed"


# ---- the manager's overview: revenue per local day, payouts waiting -----------------------------------------------


@dataclasses.dataclass(frozen=True, kw_only=True)
class RevenueDayFigures:
    """What the fleets' fares brought in on one local day (the fleet's day the ledger posted them), in one currency,
    in minor units: `charged` is what customers were charged (fares and cancellation fees, tax included), split
    into tax, the platform's fee, the fleet's share and the drivers' earnings. A refund takes its fare back on the
    day it was refunded (`refunds` counts them; the amounts are net of them)."""

    day: dt.date
    currency: str
    fares: int
    refunds: int
    charged_minor: int
    tax_minor: int
    platform_fee_minor: int
    fleet_share_minor: int
    driver_share_minor: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class CurrencyTotal:
    currency: str
    amount_minor: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class WaitingPayout:
    id: uuid.UUID
    fleet_id: uuid.UUID
    driver_id: uuid.UUID
    amount_minor: int
    currency: str
    requested_at: dt.datetime


@dataclasses.dataclass(frozen=True, kw_only=True)
class PayoutsWaiting:
    """Payouts drivers asked for that no manager has approved or rejected yet: how many, their total per currency,
    the oldest request's time, and the oldest few."""

    count: int
    totals: tuple[CurrencyTotal, ...]
    oldest_at: dt.datetime | None
    oldest: tuple[WaitingPayout, ...]


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripMoney:
    """A trip's money as the manager's reports read it, in minor units of `currency`: the settled fare (or
    cancellation fee) and the distance it was priced on, what the ledger charged the customer and credited the
    driver for it, refunds netted (a refunded trip charged 0)."""

    trip_id: uuid.UUID
    kind: str  # "fare" | "cancellation"
    currency: str
    fare_total_minor: int
    distance_m: int
    charged_minor: int
    driver_share_minor: int


@dataclasses.dataclass(frozen=True, kw_only=True)
class TripReceipt:
    """A trip's receipt as a message about the trip names it: its number and total (the PDF separately)."""

    invoice_id: uuid.UUID
    trip_id: uuid.UUID
    number: str
    total: Money
    issued_at: dt.datetime


# ---- billing as its own service: the calls other contexts make over HTTP (logitrack.remote) -------------------------


class BillingUnavailable(ServiceUnavailable):
    """Billing runs as its own service and cannot be reached (down, timing out, or its circuit open): 503 with
    Retry-After. Nothing was changed; the same call may be made again later."""

    code = "billing.unavailable"
    title = "Billing is temporarily unavailable"


# Every function of api.py, as served at /internal/billing/<name>/ (logitrack.http.internal) and called by
# other contexts' integrations through logitrack.remote.ContextApi. All are reads, so all may be retried.
REMOTE = RemoteInterface(
    service="billing",
    calls={
        "quote_check": RemoteCall(returns=QuoteRef),
        "trip_fares": RemoteCall(returns=list[TripFare]),
        "trip_fare_detail": RemoteCall(returns=TripFareDetail | None),
        "surcharge_zones": RemoteCall(returns=list[SurchargeZone]),
        "revenue_by_day": RemoteCall(returns=list[RevenueDayFigures]),
        "payouts_waiting": RemoteCall(returns=PayoutsWaiting),
        "trip_money": RemoteCall(returns=list[TripMoney]),
        "document_pdf": RemoteCall(returns=bytes, timeout=30.0),  # WeasyPrint draws up to MAX_PDF_ROWS rows
        "trip_receipt": RemoteCall(returns=TripReceipt | None),
        "receipt_pdf": RemoteCall(returns=bytes, timeout=30.0),
    },
    errors=contract_errors(globals()),
    unavailable=BillingUnavailable,
)
