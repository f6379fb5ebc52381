"""Issuing invoices, receipts and credit notes: gapless numbers, immutable documents, private PDFs."""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections import defaultdict

from django.core.files import File
from django.utils import timezone

from apps.billing import integrations
from apps.billing.contracts import PeriodNotEnded
from apps.billing.events import InvoiceIssuedV1
from apps.billing.models import FareRecord, Invoice, InvoiceCounter, JournalTransaction
from apps.billing.services import documents
from logitrack import files, jobs
from logitrack.db import contexts
from logitrack.exceptions import Conflict, NotFound, ValidationFailed
from logitrack.outbox.api import publish
from logitrack.types import Money


def _next_number(*, fleet_id: uuid.UUID, year: int, kind: Invoice.Kind) -> tuple[int, str]:
    """Take the next number under a row lock held to the end of the caller's transaction."""
    series = Invoice.SERIES[kind]
    counter, _ = InvoiceCounter.objects.get_or_create(fleet_id=fleet_id, year=year, series=series)
    counter = InvoiceCounter.objects.select_for_update().get(id=counter.id)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number, f"{series}-{year}-{counter.last_number:06d}"


def _parties(fleet_id: uuid.UUID, customer_id: uuid.UUID | None) -> tuple[dict, dict]:
    seller = integrations.fleet_legal(fleet_id=fleet_id)
    buyer = integrations.customer_details(customer_id=customer_id) if customer_id else {}
    return seller, buyer


def _sum_taxes(lines: list[dict], taxes_of: list[list[dict]]) -> list[dict]:
    by_rate: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    for taxes in taxes_of:
        for t in taxes:
            by_rate[(t["name"], t["rate_bps"])][0] += t["net"]
            by_rate[(t["name"], t["rate_bps"])][1] += t["tax"]
    return [
        {"name": n, "rate_bps": r, "net": v[0], "tax": v[1]}
        for (n, r), v in sorted(by_rate.items(), key=lambda x: -x[0][1])
    ]


def _create(
    *, fleet_id, customer_id, kind, lines, taxes, currency, period="", trip_id=None, year=None, statement=()
) -> Invoice:
    issued_at = timezone.now()
    year = year or issued_at.year
    sequence, number = _next_number(fleet_id=fleet_id, year=year, kind=kind)
    seller, buyer = _parties(fleet_id, customer_id)
    invoice = Invoice.objects.create(
        fleet_id=fleet_id,
        customer_id=customer_id,
        kind=kind,
        year=year,
        sequence=sequence,
        number=number,
        period=period,
        trip_id=trip_id,
        currency=currency,
        lines=lines,
        taxes=taxes,
        net_minor=sum(x["net"] for x in lines),
        tax_minor=sum(x["tax"] for x in lines),
        total_minor=sum(x["gross"] for x in lines),
        seller=seller,
        buyer=buyer,
        issued_at=issued_at,
        statement=list(statement),
    )
    publish(
        InvoiceIssuedV1(
            invoice_id=invoice.id,
            number=invoice.number,
            kind=kind,
            fleet_id=fleet_id,
            customer_id=customer_id,
            total=Money(invoice.total_minor, currency),
            trip_id=trip_id,
            period=period,
        )
    )
    jobs.enqueue_on_commit("billing.render_invoice", invoice_id=str(invoice.id))
    return invoice


@contexts.atomic("billing")
def receipt_issue(*, trip_id: uuid.UUID) -> Invoice:
    """The receipt of one settled trip (once)."""
    existing = Invoice.objects.filter(trip_id=trip_id, kind=Invoice.Kind.RECEIPT).first()
    if existing is not None:
        return existing
    record = FareRecord.objects.filter(trip_id=trip_id).first()
    if record is None:
        raise NotFound("the trip has no settled fare", code="billing.nothing_to_invoice")
    return _create(
        fleet_id=record.fleet_id,
        customer_id=record.customer_id,
        kind=Invoice.Kind.RECEIPT,
        lines=record.breakdown["lines"],
        taxes=record.breakdown["taxes"],
        currency=record.currency,
        trip_id=trip_id,
    )


@contexts.atomic("billing")
def credit_note_issue(*, trip_id: uuid.UUID) -> Invoice:
    """A credit note mirroring a refunded trip's fare (once)."""
    existing = Invoice.objects.filter(trip_id=trip_id, kind=Invoice.Kind.CREDIT_NOTE).first()
    if existing is not None:
        return existing
    record = FareRecord.objects.filter(trip_id=trip_id).first()
    if record is None:
        raise NotFound("the trip has no settled fare", code="billing.nothing_to_invoice")
    lines = [{**x, "net": -x["net"], "tax": -x["tax"], "gross": -x["gross"]} for x in record.breakdown["lines"]]
    taxes = [{**t, "net": -t["net"], "tax": -t["tax"]} for t in record.breakdown["taxes"]]
    return _create(
        fleet_id=record.fleet_id,
        customer_id=record.customer_id,
        kind=Invoice.Kind.CREDIT_NOTE,
        lines=lines,
        taxes=taxes,
        currency=record.currency,
        trip_id=trip_id,
    )


def period_bounds(period: str, time_zone: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        year, month = (int(p) for p in period.split("-"))
        start = dt.datetime(year, month, 1, tzinfo=zoneinfo.ZoneInfo(time_zone))
    except (ValueError, TypeError):
        raise ValidationFailed("a period looks like 2026-11", code="billing.bad_period") from None
    end = dt.datetime(year + month // 12, month % 12 + 1, 1, tzinfo=zoneinfo.ZoneInfo(time_zone))
    return start, end


# A fare settled in the last instant of a month may commit a moment later: wait this long after the month ends.
PERIOD_CLOSE_MARGIN = dt.timedelta(minutes=10)


def period_closed_bounds(
    period: str, time_zone: str, *, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """The period's bounds, once it has ended in that time zone; else PeriodNotEnded (its later trips would
    never be invoiced, since a period is invoiced once)."""
    start, end = period_bounds(period, time_zone)
    if (now or timezone.now()) < end + PERIOD_CLOSE_MARGIN:
        opens = (end + PERIOD_CLOSE_MARGIN).astimezone(zoneinfo.ZoneInfo(time_zone))
        raise PeriodNotEnded(
            f"{period} has not ended in {time_zone}: invoice it from {opens:%Y-%m-%d %H:%M} local time",
            extra={"period": period, "time_zone": time_zone, "invoiceable_from": opens.isoformat()},
        )
    return start, end


def period_customers(*, period: str) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(fleet, customer) pairs with settled fares in the period (in each fleet's time zone). Refuses a period that
    has not ended in every fleet's time zone."""
    fleet_ids = list(FareRecord.objects.order_by().values_list("fleet_id", flat=True).distinct())
    zones = {fleet_id: integrations.fleet_terms(fleet_id=fleet_id).time_zone for fleet_id in fleet_ids}
    for time_zone in sorted(set(zones.values())) or ["UTC"]:
        period_closed_bounds(period, time_zone)
    pairs = []
    for fleet_id in fleet_ids:
        start, end = period_bounds(period, zones[fleet_id])
        customers = (
            FareRecord.objects.filter(
                fleet_id=fleet_id, created_at__gte=start, created_at__lt=end, customer_id__isnull=False
            )
            .order_by()  # the model's ordering would make distinct() keep one row per fare
            .values_list("customer_id", flat=True)
            .distinct()
        )
        pairs += [(fleet_id, c) for c in customers if c is not None]  # the filter left out null already
    return sorted(pairs, key=str)


def _receipted(record: FareRecord) -> bool:
    """A completed trip's fare gets its own receipt (issued on settlement, by the catch-up, or at the latest by its
    period invoice), which is its tax document; a cancellation fee gets none, so the period invoice is its tax
    document."""
    return record.kind == "fare"


@contexts.atomic("billing")
def period_invoice_issue(*, fleet_id: uuid.UUID, customer_id: uuid.UUID, period: str) -> Invoice:
    """One invoice per customer, fleet and ended month. One tax document per supply: it charges (with tax) only
    what has no receipt of its own — the month's cancellation fees — and lists the receipted trips as a statement,
    outside its totals. Re-runs issue nothing new."""
    existing = Invoice.objects.filter(
        fleet_id=fleet_id, customer_id=customer_id, period=period, kind=Invoice.Kind.INVOICE
    ).first()
    if existing is not None:
        return existing
    start, end = period_closed_bounds(period, integrations.fleet_terms(fleet_id=fleet_id).time_zone)
    records = list(
        FareRecord.objects.filter(
            fleet_id=fleet_id, customer_id=customer_id, created_at__gte=start, created_at__lt=end
        ).order_by("created_at")
    )
    if not records:
        raise Conflict("nothing to invoice for that customer and period", code="billing.nothing_to_invoice")
    charged = [r for r in records if not _receipted(r)]
    receipted = [r for r in records if _receipted(r)]
    # A fare whose receipt job never ran (a lost broker send not yet caught up) gets its receipt now, in this
    # transaction: the statement then names a tax document for every trip, and no trip is taxed twice or never.
    issued = set(
        Invoice.objects.filter(kind=Invoice.Kind.RECEIPT, trip_id__in=[r.trip_id for r in receipted]).values_list(
            "trip_id", flat=True
        )
    )
    for record in receipted:
        if record.trip_id not in issued:
            receipt_issue(trip_id=record.trip_id)
    receipts = dict(
        Invoice.objects.filter(
            kind=Invoice.Kind.RECEIPT, trip_id__in=[r.trip_id for r in records if _receipted(r)]
        ).values_list("trip_id", "number")
    )
    lines = [
        {
            "code": r.kind,
            "description": f"Cancellation {r.trip_id} on {r.created_at:%Y-%m-%d}",
            "net": r.net_minor,
            "tax": r.tax_minor,
            "gross": r.total_minor,
            "tax_rate_bps": r.breakdown["taxes"][0]["rate_bps"] if r.breakdown["taxes"] else 0,
        }
        for r in charged
    ]
    statement = [
        {
            "trip_id": str(r.trip_id),
            "description": f"Trip {r.trip_id} on {r.created_at:%Y-%m-%d}",
            "receipt": receipts.get(r.trip_id, ""),
            "gross": r.total_minor,
        }
        for r in records
        if _receipted(r)
    ]
    return _create(
        fleet_id=fleet_id,
        customer_id=customer_id,
        kind=Invoice.Kind.INVOICE,
        lines=lines,
        taxes=_sum_taxes(lines, [r.breakdown["taxes"] for r in charged]),
        currency=records[0].currency,
        period=period,
        year=start.year,
        statement=statement,
    )


def invoice_render(*, invoice_id: uuid.UUID) -> Invoice:
    """Render and store the PDF once (outside the numbering lock: rendering takes a while)."""
    invoice = Invoice.objects.get(id=invoice_id)
    if invoice.pdf_path:
        return invoice
    path = documents.store_pdf(invoice)
    updated = Invoice.objects.filter(id=invoice.id, pdf_path="").update(pdf_path=path)
    if not updated:  # another worker finished first
        from logitrack.files import delete_private

        delete_private(path)
    invoice.refresh_from_db()
    return invoice


def invoice_pdf(*, invoice_id: uuid.UUID) -> tuple[File, str]:
    """The invoice's PDF, open for reading, and its file name (rendered now if the worker has not yet)."""
    invoice = invoice_render(invoice_id=invoice_id)
    return files.open_private(invoice.pdf_path), f"{invoice.number}.pdf"


CATCH_UP_AFTER = dt.timedelta(minutes=5)
CATCH_UP_WINDOW = dt.timedelta(days=7)


def documents_catch_up(*, older_than: dt.timedelta = CATCH_UP_AFTER, limit: int = 500) -> dict[str, int]:
    """Start again the document jobs that never ran: a receipt for each settled fare, a credit note for each
    refund, a PDF for each issued document. Such a job is enqueued after its commit; if the broker was
    unreachable at that moment the send failed and nothing else would ever retry it. Every job is idempotent,
    so one that is merely late does no harm. Beat runs this every ten minutes; at most `limit` of each, from the
    last `CATCH_UP_WINDOW` only (the queries stay small however large the tables grow)."""
    cutoff = timezone.now() - older_than
    since = cutoff - CATCH_UP_WINDOW
    with_receipt = Invoice.objects.filter(kind=Invoice.Kind.RECEIPT, trip_id__isnull=False).values("trip_id")
    with_credit_note = Invoice.objects.filter(kind=Invoice.Kind.CREDIT_NOTE, trip_id__isnull=False).values("trip_id")
    receipts = list(
        FareRecord.objects.filter(kind="fare", created_at__lt=cutoff, created_at__gte=since)
        .exclude(trip_id__in=with_receipt)
        .values_list("trip_id", flat=True)[:limit]
    )
    refunds = list(
        JournalTransaction.objects.filter(
            kind__in=["settlement", "cancellation_fee"],
            reversed_by__posted_at__lt=cutoff,
            reversed_by__posted_at__gte=since,
        )
        .exclude(reference_id__in=with_credit_note)
        .values_list("reference_id", flat=True)[:limit]
    )
    unrendered = Invoice.objects.filter(pdf_path="", created_at__lt=cutoff, created_at__gte=since)
    pdfs = list(unrendered.values_list("id", flat=True)[:limit])
    for trip_id in receipts:
        jobs.enqueue("billing.issue_receipt", kwargs={"trip_id": str(trip_id)})
    for reference_id in refunds:  # a settlement's or a cancellation fee's reference is its trip
        jobs.enqueue("billing.issue_credit_note", kwargs={"trip_id": str(reference_id)})
    for invoice_id in pdfs:
        jobs.enqueue("billing.render_invoice", kwargs={"invoice_id": str(invoice_id)})
    return {"receipts": len(receipts), "credit notes": len(refunds), "pdfs": len(pdfs)}
