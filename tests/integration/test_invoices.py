"""Receipts, credit notes and period invoices: gapless numbers, immutable documents, safe PDFs."""

import datetime as dt
import shutil
import subprocess
import sys
import uuid

import pytest
from django.db import IntegrityError, connection
from PIL import Image

from apps.billing.contracts import TripFacts
from apps.billing.models import FareRecord, Invoice, JournalTransaction
from apps.billing.services import invoices, ledger, quotes, settlement
from apps.billing.tests.factories import tariff
from apps.fleet.tests.factories import active_fleet
from logitrack import files
from logitrack.db import contexts
from logitrack.testing.downloads import assert_honours_accept
from logitrack.testing.processes import ROOT, Processes, process_env, wait_for_worker, wait_until
from tests.integration.test_outbox_broker_down import broker_down  # noqa: F401  (fixture)
from tests.support.isolation import assert_hidden, client_for

NOON = dt.datetime(2026, 11, 23, 11, 0, tzinfo=dt.UTC)
EVIL = "<img src=file:///etc/passwd> <img src='http://127.0.0.1:9/steal'>"


def last_month() -> tuple[str, dt.datetime]:
    """The month before this one (ended everywhere), and a moment in its middle."""
    from django.utils import timezone

    middle = timezone.now().replace(day=1) - dt.timedelta(days=15)
    return f"{middle:%Y-%m}", middle


def into_last_month(*trip_ids) -> str:
    """Move settled fares into last month (a month can be invoiced only once it has ended); returns its period."""
    period, middle = last_month()
    FareRecord.objects.filter(trip_id__in=trip_ids).update(created_at=middle)
    return period


def settle(fleet, customer_id, *, distance_m=10_000):
    trip = uuid.uuid4()
    settlement.trip_complete_settle(
        trip_id=trip,
        fleet_id=fleet.id,
        customer_id=customer_id,
        driver_id=uuid.uuid4(),
        vehicle_type="van",
        service="delivery",
        quote_id=None,
        facts=TripFacts(distance_m=distance_m, duration_s=1200, stops=2, at=NOON),
    )
    return trip


@pytest.fixture
def fleet(db):
    f = active_fleet(legal_name="Alpha Logistik GmbH", address_line2=EVIL, tax_id="DE123456789")
    tariff(fleet_id=f.id, valid_from=NOON - dt.timedelta(days=30))
    return f


def pdf_text(path, tmp_path):
    target = tmp_path / "doc.pdf"
    with files.open_private(path) as fh:
        target.write_bytes(fh.read())
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True, check=True).stdout
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(target), str(tmp_path / "page")], check=True
    )
    return text, Image.open(next(tmp_path.glob("page*.png")))


@pytest.mark.django_db
def test_a_receipt_renders_as_a_professional_pdf_with_the_user_input_as_plain_text(fleet, make_user, tmp_path):
    assert shutil.which("pdftotext") and shutil.which("pdftoppm"), "poppler-utils is installed by scripts/test.sh"
    customer = make_user(display_name="<img src=file:///etc/passwd>", is_customer=True)
    trip = settle(fleet, customer.id)

    receipt = invoices.invoice_render(invoice_id=invoices.receipt_issue(trip_id=trip).id)

    assert receipt.number == f"RCT-{receipt.issued_at.year}-000001"
    text, page = pdf_text(receipt.pdf_path, tmp_path)
    assert "Alpha Logistik GmbH" in text and "DE123456789" in text and receipt.number in text
    assert "20,50\u00a0€" in text or "20,50 €" in text  # German formatting for a German fleet
    assert "VAT 19%" in text
    assert "<img src=file:///etc/passwd>" in text  # shown as text, never fetched
    assert "root:" not in text
    assert page.size[0] < page.size[1]  # A4 portrait
    grey = page.convert("L")
    dark = sum(grey.histogram()[:200])
    assert dark > 0.01 * page.size[0] * page.size[1]  # there is real content on the page


def test_the_renderer_fetches_no_url_at_all():
    from weasyprint import HTML

    from apps.billing.services.documents import FetchRefused, refusing_fetcher

    fetcher = refusing_fetcher()
    with pytest.raises(FetchRefused):
        fetcher("file:///etc/passwd")
    pdf = HTML(
        string='<p>x</p><img src="file:///etc/passwd"><link rel=stylesheet href="http://127.0.0.1:9/a.css">',
        url_fetcher=fetcher,
    ).write_pdf()
    assert pdf.startswith(b"%PDF") and b"root:" not in pdf


@pytest.mark.django_db
def test_a_rolled_back_issue_leaves_no_gap(fleet, make_user):
    customer = make_user(is_customer=True)
    first, second = settle(fleet, customer.id), settle(fleet, customer.id)

    class Boom(Exception):
        pass

    with pytest.raises(Boom), contexts.atomic("billing"):
        invoices.receipt_issue(trip_id=first)
        raise Boom
    issued = invoices.receipt_issue(trip_id=second)
    assert issued.sequence == 1
    assert invoices.receipt_issue(trip_id=first).sequence == 2
    assert invoices.receipt_issue(trip_id=first).sequence == 2  # once per trip
    assert ledger.invoice_number_gaps() == []


@pytest.mark.django_db
def test_refunds_get_credit_notes_in_their_own_series(fleet, make_user):
    customer = make_user(is_customer=True)
    trip = settle(fleet, customer.id)
    settlement.trip_refund(trip_id=trip, reason="damaged")
    note = invoices.credit_note_issue(trip_id=trip)
    assert note.number.startswith("CRN-") and note.sequence == 1 and note.total_minor < 0


@pytest.mark.django_db(transaction=True)
def test_an_issued_invoice_never_changes(fleet, make_user):
    if connection.vendor != "postgresql":
        pytest.skip("the guard is a PostgreSQL trigger")
    invoice = invoices.receipt_issue(trip_id=settle(fleet, make_user(is_customer=True).id))
    with pytest.raises(IntegrityError, match="never changes"), contexts.atomic("billing"):
        Invoice.objects.filter(id=invoice.id).update(total_minor=1)
    with pytest.raises(IntegrityError, match="never deleted"), contexts.atomic("billing"):
        Invoice.objects.filter(id=invoice.id).delete()
    Invoice.objects.filter(id=invoice.id).update(pdf_path="private/invoices/x.pdf")  # the PDF path is filled in once
    with pytest.raises(IntegrityError, match="stored once"), contexts.atomic("billing"):
        Invoice.objects.filter(id=invoice.id).update(pdf_path="private/invoices/y.pdf")


@pytest.mark.django_db
def test_customers_and_managers_download_only_their_invoices(fleet, two_fleets, make_user):
    period = into_last_month(settle(fleet, two_fleets.customer.id))
    mine = invoices.period_invoice_issue(fleet_id=fleet.id, customer_id=two_fleets.customer.id, period=period)
    owner = client_for(two_fleets.customer)
    listed = owner.get("/api/v1/billing/invoices/").json()
    assert {row["number"] for row in listed["results"]} >= {mine.number}
    pdf = owner.get(f"/api/v1/billing/invoices/{mine.id}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    assert_honours_accept(owner, f"/api/v1/billing/invoices/{mine.id}/pdf/", documented=("application/pdf",))
    assert_hidden(client_for(make_user(is_customer=True)), "GET", f"/api/v1/billing/invoices/{mine.id}/pdf/")
    assert_hidden(two_fleets.b.client("fleet_manager"), "GET", f"/api/v1/billing/invoices/{mine.id}/pdf/")
    assert owner.get("/api/v1/billing/invoices/", {"kind": "bill"}).status_code == 400


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_period_invoices_issued_by_parallel_workers_are_numbered_without_gaps_and_once(
    fleet, make_user, tmp_path, settings
):
    import redis

    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    customers = [make_user(is_customer=True) for _ in range(12)]
    period = into_last_month(*[settle(fleet, customer.id) for customer in customers])
    procs = Processes(tmp_path)
    procs.worker(concurrency=2)
    try:
        wait_for_worker()
        command = [sys.executable, "manage.py", "billing_issue_invoices", "--period", period, "--timeout", "120"]
        run = subprocess.run(command, cwd=ROOT, env=process_env(), capture_output=True, text=True, timeout=180)
        assert run.returncode == 0, run.stderr[-2000:]
        assert "12 invoice(s)" in run.stdout and "12/12" in run.stderr
        again = subprocess.run(command, cwd=ROOT, env=process_env(), capture_output=True, text=True, timeout=180)
        assert again.returncode == 0
        wait_until(lambda: Invoice.objects.filter(kind="receipt").count() == 12, what="the receipts")
    finally:
        procs.stop_all()

    monthly = Invoice.objects.filter(kind="invoice", period=period)
    assert sorted(monthly.values_list("sequence", flat=True)) == list(range(1, 13))
    assert sorted(Invoice.objects.filter(kind="receipt").values_list("sequence", flat=True)) == list(range(1, 13))
    assert ledger.invoice_number_gaps() == []


def test_a_customer_with_several_fares_in_a_month_is_invoiced_once(fleet, make_user):
    regular, once = make_user(is_customer=True), make_user(is_customer=True)
    period = into_last_month(*[settle(fleet, regular.id) for _ in range(3)], settle(fleet, once.id))
    assert invoices.period_customers(period=period) == sorted([(fleet.id, regular.id), (fleet.id, once.id)], key=str)
    invoice = invoices.period_invoice_issue(fleet_id=fleet.id, customer_id=regular.id, period=period)
    assert len(invoice.lines) + len(invoice.statement) == 3  # its three trips (receipted: listed, not charged)
    assert invoices.period_invoice_issue(fleet_id=fleet.id, customer_id=regular.id, period=period) == invoice


@pytest.mark.processes
@pytest.mark.django_db(transaction=True)
def test_documents_whose_jobs_were_lost_are_issued_by_the_catch_up(fleet, make_user, tmp_path, settings):
    import redis

    customer = make_user(is_customer=True)
    kept, refunded, unrendered = (settle(fleet, customer.id) for _ in range(3))
    settlement.trip_refund(trip_id=refunded, reason="never arrived")
    invoices.receipt_issue(trip_id=unrendered)  # issued here; its PDF job goes to the broker
    redis.Redis.from_url(settings.REDIS_URL).flushdb()  # as if the broker had lost every job sent so far
    assert Invoice.objects.get().pdf_path == ""
    assert invoices.documents_catch_up() == {"receipts": 0, "credit notes": 0, "pdfs": 0}  # not late yet

    procs = Processes(tmp_path)
    procs.worker()
    try:
        wait_for_worker()
        late = invoices.documents_catch_up(older_than=dt.timedelta(0))
        assert late == {"receipts": 2, "credit notes": 1, "pdfs": 1}
        wait_until(lambda: Invoice.objects.exclude(pdf_path="").count() == 4, what="the documents, rendered")
        assert invoices.documents_catch_up(older_than=dt.timedelta(0)) == {"receipts": 0, "credit notes": 0, "pdfs": 0}
    finally:
        procs.stop_all()
    kinds = sorted(Invoice.objects.values_list("kind", "trip_id"))
    assert kinds == sorted(
        [("credit_note", refunded), ("receipt", kept), ("receipt", refunded), ("receipt", unrendered)]
    )


@pytest.mark.django_db
def test_a_refund_commits_even_when_its_credit_note_job_cannot_be_sent(
    fleet,
    make_user,
    broker_down,  # noqa: F811
    django_capture_on_commit_callbacks,
):
    trip = settle(fleet, make_user(is_customer=True).id)
    with django_capture_on_commit_callbacks(execute=True) as sent:
        settlement.trip_refund(trip_id=trip, reason="damaged")  # the job's send fails after the commit: logged
    assert sent and not Invoice.objects.filter(kind="credit_note").exists()
    assert JournalTransaction.objects.filter(reverses__reference_id=trip).exists()  # the refund stands
    # billing.catch_up_documents sends it once the broker answers (test_documents_whose_jobs_were_lost_...)


@pytest.mark.django_db
def test_a_month_that_has_not_ended_is_not_invoiced(fleet, make_user):
    from django.core.management import CommandError, call_command
    from django.utils import timezone

    from apps.billing.contracts import PeriodNotEnded

    customer = make_user(is_customer=True)
    settle(fleet, customer.id)
    this_month = timezone.now().strftime("%Y-%m")
    with pytest.raises(CommandError, match=f"{this_month} has not ended in Europe/Berlin"):
        call_command("billing_issue_invoices", "--period", this_month, "--timeout", "1")
    with pytest.raises(PeriodNotEnded):  # the job (and any other path) refuses too
        invoices.period_invoice_issue(fleet_id=fleet.id, customer_id=customer.id, period=this_month)
    future = f"{timezone.now().year + 1}-01"
    with pytest.raises(CommandError, match="has not ended"):
        call_command("billing_issue_invoices", "--period", future, "--timeout", "1")
    assert not Invoice.objects.filter(kind="invoice").exists()


def test_a_month_ends_in_the_fleets_time_zone():
    from apps.billing.contracts import PeriodNotEnded

    berlin_has_ended = dt.datetime(2026, 12, 31, 23, 30, tzinfo=dt.UTC)  # 00:30 on 1 January in Berlin
    start, end = invoices.period_closed_bounds("2026-12", "Europe/Berlin", now=berlin_has_ended)
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T00:00:00+01:00", "2027-01-01T00:00:00+01:00")
    with pytest.raises(PeriodNotEnded, match="from 2027-01-01 00:10 local time"):
        invoices.period_closed_bounds("2026-12", "Europe/London", now=berlin_has_ended)  # 23:30 in London
    with pytest.raises(PeriodNotEnded):  # a fare settling in the month's last instant may still be committing
        invoices.period_closed_bounds("2026-12", "Europe/Berlin", now=dt.datetime(2026, 12, 31, 23, 5, tzinfo=dt.UTC))


@pytest.mark.django_db
def test_a_trip_with_a_receipt_is_not_taxed_again_on_the_monthly_invoice(fleet, make_user, tmp_path):
    customer = make_user(is_customer=True)
    trips = [settle(fleet, customer.id) for _ in range(2)]
    receipts = [invoices.receipt_issue(trip_id=t) for t in trips]
    quote = quotes.quote_create(
        fleet_id=fleet.id,
        vehicle_type="van",
        service="delivery",
        facts=TripFacts(distance_m=5_000, duration_s=600, stops=2, at=NOON),
        customer_id=customer.id,
    )
    cancelled = uuid.uuid4()
    fee = settlement.trip_cancel_settle(
        trip_id=cancelled,
        fleet_id=fleet.id,
        customer_id=customer.id,
        driver_id=None,
        quote_id=quote.id,
        cancelled_by="customer",
        booked_at=NOON,
        cancelled_at=NOON + dt.timedelta(minutes=20),
    )
    period = into_last_month(*trips, cancelled)

    invoice = invoices.invoice_render(
        invoice_id=invoices.period_invoice_issue(fleet_id=fleet.id, customer_id=customer.id, period=period).id
    )

    # it charges (with tax) only the supply without a receipt of its own: the cancellation fee
    assert [line["code"] for line in invoice.lines] == ["cancellation"]
    charged = (invoice.net_minor, invoice.tax_minor, invoice.total_minor)
    assert charged == (fee.net_minor, fee.tax_minor, fee.total_minor)
    assert sum(t["tax"] for t in invoice.taxes) == fee.tax_minor
    # the receipted trips are listed with their receipt, outside the totals
    assert [(row["trip_id"], row["receipt"]) for row in invoice.statement] == [
        (str(r.trip_id), r.number) for r in receipts
    ]
    # one tax document per supply: each fare's tax is charged exactly once across all documents
    taxed = Invoice.objects.filter(customer_id=customer.id).exclude(kind="credit_note")
    assert sum(d.tax_minor for d in taxed) == sum(FareRecord.objects.values_list("tax_minor", flat=True))
    listed = client_for(customer).get("/api/v1/billing/invoices/", {"kind": "invoice"}).json()["results"]
    assert [row["receipt"] for row in listed[0]["statement"]] == [r.number for r in receipts]
    text, _ = pdf_text(invoice.pdf_path, tmp_path)
    assert "Trips already invoiced by their receipts" in text
    assert all(r.number in text for r in receipts)


@pytest.mark.django_db
def test_invoices_filter_by_trip(fleet, two_fleets):
    customer = two_fleets.customer
    first, second = settle(fleet, customer.id), settle(fleet, customer.id)
    for trip in (first, second):
        invoices.receipt_issue(trip_id=trip)
    settlement.trip_refund(trip_id=first, reason="damaged")
    note = invoices.credit_note_issue(trip_id=first)
    owner = client_for(customer)

    listed = owner.get("/api/v1/billing/invoices/", {"trip_id": str(first)})
    assert listed.status_code == 200
    assert sorted((row["kind"], row["trip_id"]) for row in listed.json()["results"]) == [
        ("credit_note", str(first)),
        ("receipt", str(first)),
    ]
    only_note = owner.get("/api/v1/billing/invoices/", {"trip_id": str(first), "kind": "credit_note"}).json()
    assert [row["number"] for row in only_note["results"]] == [note.number]
    assert owner.get("/api/v1/billing/invoices/", {"trip_id": str(uuid.uuid4())}).json()["results"] == []
    malformed = owner.get("/api/v1/billing/invoices/", {"trip_id": "nope"})
    assert (malformed.status_code, list(malformed.json()["errors"])) == (400, ["trip_id"])
    schema = owner.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    params = schema["paths"]["/api/v1/billing/invoices/"]["get"]["parameters"]
    assert any(p["name"] == "trip_id" and p["schema"].get("format") == "uuid" for p in params)


@pytest.mark.django_db
def test_a_trip_whose_receipt_job_never_ran_gets_its_receipt_with_the_monthly_invoice(fleet, make_user):
    customer = make_user(is_customer=True)
    trips = [settle(fleet, customer.id) for _ in range(3)]
    receipted = invoices.receipt_issue(trip_id=trips[0])  # the others' jobs were lost with the broker
    period = into_last_month(*trips)

    invoice = invoices.period_invoice_issue(fleet_id=fleet.id, customer_id=customer.id, period=period)

    receipts = {r.trip_id: r.number for r in Invoice.objects.filter(kind="receipt", customer_id=customer.id)}
    assert set(receipts) == set(trips) and receipts[trips[0]] == receipted.number  # issued once each
    assert sorted((row["trip_id"], row["receipt"]) for row in invoice.statement) == sorted(
        (str(t), receipts[t]) for t in trips
    )
    assert all(row["receipt"] for row in invoice.statement)
    assert invoice.lines == [] and invoice.tax_minor == 0  # taxed by the receipts, not again here
    taxed = Invoice.objects.filter(customer_id=customer.id)
    assert sum(d.tax_minor for d in taxed) == sum(FareRecord.objects.values_list("tax_minor", flat=True))
    assert ledger.invoice_number_gaps() == []
