"""Public in-process API of the billing context: keyword-only functions, contracts in and out.

Only other apps' `integrations.py` (and `config`) may import this module.
"""

from __future__ import annotations

import datetime as dt
import uuid

from apps.billing import selectors as _selectors
from apps.billing.contracts import (
    PayoutsWaiting,
    QuoteRef,
    RevenueDayFigures,
    SurchargeZone,
    TripFare,
    TripFareDetail,
    TripMoney,
    TripReceipt,
)
from apps.billing.models import Invoice as _Invoice
from apps.billing.models import Quote as _Quote
from apps.billing.services import documents as _documents
from apps.billing.services import invoices as _invoices
from apps.billing.services import quotes as _quotes
from logitrack.types import Money


def quote_check(*, quote_id: uuid.UUID, fleet_id: uuid.UUID) -> QuoteRef:
    """A quote a booking may rely on: this fleet's and not expired (QuoteNotFound, QuoteExpired otherwise)."""
    return _ref(_quotes.quote_check(quote_id=quote_id, fleet_id=fleet_id))


def trip_fares(*, trips: list[tuple[uuid.UUID, uuid.UUID | None]]) -> list[TripFare]:
    """The fares of many trips at once (two queries whatever their number): (trip id, quote id or None) in, one
    `TripFare` out for each trip that has a quote or a settled amount."""
    return _selectors.trip_fares(trips=trips)


def trip_fare_detail(*, trip_id: uuid.UUID, quote_id: uuid.UUID | None) -> TripFareDetail | None:
    """One trip's fare with its lines (settled, else quoted), or None when billing knows of neither."""
    return _selectors.trip_fare_detail(trip_id=trip_id, quote_id=quote_id)


def surcharge_zones(*, fleet_id: uuid.UUID, at: dt.datetime) -> list[SurchargeZone]:
    """The circles the fleet's tariffs in force at `at` charge a zone surcharge in (airports, toll zones), for
    maps: each circle once, with its component's label."""
    return _selectors.surcharge_zones(fleet_id=fleet_id, at=at)


def revenue_by_day(*, fleet_ids: list[uuid.UUID], first: dt.date, last: dt.date) -> list[RevenueDayFigures]:
    """The fleets' fares, cancellation fees and refunds per local day (each fleet's own calendar) from `first` to
    `last` and per currency, to the cent: charged, tax, platform fee, fleet share, drivers' earnings. Days without a
    fare are left out. Read from daily sums the ledger keeps as it posts, so a year of history costs no more."""
    return _selectors.revenue_days(fleet_ids=list(fleet_ids), first=first, last=last)


def payouts_waiting(*, fleet_ids: list[uuid.UUID], limit: int = 5) -> PayoutsWaiting:
    """Payouts of the fleets' drivers awaiting a manager's approval: how many, total per currency, the oldest."""
    return _selectors.payouts_waiting(fleet_ids=list(fleet_ids), limit=limit)


def trip_money(*, fleet_id: uuid.UUID, trip_ids: list[uuid.UUID]) -> list[TripMoney]:
    """The settled fare (or cancellation fee) of each of these trips of the fleet that has one: its total, the
    distance it was priced on, and what the ledger charged the customer and credited the driver, refunds netted.
    Keyed by trip, so the manager's reports meet it with the trip's day, driver and vehicle from trips."""
    return _selectors.trip_money(fleet_id=fleet_id, trip_ids=list(trip_ids))


def document_pdf(*, html: str) -> bytes:
    """A self-contained HTML document drawn as a PDF by invoices' renderer (WeasyPrint fetching nothing: no remote
    URL, no local file), for the manager's reports in the house style."""
    return _documents.html_pdf(html)


def trip_receipt(*, trip_id: uuid.UUID) -> TripReceipt | None:
    """The trip's receipt once issued (None before, and for trips billed on a period invoice instead)."""
    invoice = _Invoice.objects.filter(trip_id=trip_id, kind=_Invoice.Kind.RECEIPT).first()
    if invoice is None:
        return None
    return TripReceipt(
        invoice_id=invoice.id,
        trip_id=trip_id,
        number=invoice.number,
        total=Money(invoice.total_minor, invoice.currency),
        issued_at=invoice.issued_at,
    )


def receipt_pdf(*, invoice_id: uuid.UUID) -> bytes:
    """A receipt's PDF bytes (rendered now if billing's worker has not yet)."""
    file, _ = _invoices.invoice_pdf(invoice_id=invoice_id)
    with file:
        return bytes(file.read())


def _ref(quote: _Quote) -> QuoteRef:
    return QuoteRef(
        id=quote.id,
        fleet_id=quote.fleet_id,
        vehicle_type=quote.vehicle_type,
        service=quote.service,
        total_minor=quote.total_minor,
        currency=quote.currency,
        expires_at=quote.expires_at,
    )
