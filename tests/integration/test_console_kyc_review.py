"""The KYC review page: the scan inline (an image as itself, a PDF's pages drawn), the facts beside it, approve or
reject through the review service, then the next document waiting; and the lists in names, not ids."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from pypdf import PdfWriter

from apps.fleet.tests.factories import FleetFactory
from apps.partner.contracts import KycDocumentType
from apps.partner.events import ComplianceChangedV1
from apps.partner.models import KycDocument
from apps.partner.tests.factories import JPEG, DriverProfileFactory, KycDocumentFactory, pdf

pytestmark = pytest.mark.django_db

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
BASE = "/admin/partner/kycdocument"


def two_page_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_blank_page(842, 595)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


class _Text(HTMLParser):
    """The words a person reads on a page (no attributes, no scripts or styles)."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(response) -> str:
    parser = _Text()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


@pytest.fixture
def world(two_fleets):
    """Fleet A in Berlin (its clock shows submissions), fleet B in London; a driver each, named."""
    FleetFactory(id=two_fleets.a.fleet_id, name="Alpha Logistics", time_zone="Europe/Berlin", country="DE")
    FleetFactory(id=two_fleets.b.fleet_id, name="Bravo Freight", time_zone="Europe/London", country="GB")
    driver_a = DriverProfileFactory(fleet_id=two_fleets.a.fleet_id, display_name="Ana Lima")
    driver_b = DriverProfileFactory(fleet_id=two_fleets.b.fleet_id, display_name="Ben Okafor")
    return two_fleets, driver_a, driver_b


def _at(document, when):
    KycDocument.objects.filter(id=document.id).update(submitted_at=when)
    document.refresh_from_db()
    return document


def _manager(client, fleets, side="a"):
    client.force_login(getattr(fleets, side).users["fleet_manager"])
    return client


def test_an_image_scan_is_shown_inline_beside_the_documents_facts(world, client):
    fleets, driver_a, _ = world
    doc = KycDocumentFactory(driver=driver_a, upload=SimpleUploadedFile("licence.jpg", JPEG, "image/jpeg"))
    _at(doc, dt.datetime(2026, 12, 5, 13, 30, tzinfo=dt.UTC))
    _manager(client, fleets)

    page = client.get(f"{BASE}/{doc.id}/review/")
    html = page.content.decode()
    assert page.status_code == 200
    assert f'<img src="{BASE}/{doc.id}/scan/"' in html
    text = visible_text(page)
    assert "Ana Lima" in text and "Alpha Logistics" in text
    assert "B072RRE2I55" in text and "B,C1" in text  # the licence's number and classes
    assert "05.12.2026, 14:30" in text  # submitted, on Berlin's clock in German
    assert doc.sha256 in text and "image/jpeg" in text
    assert "Pending" in text  # the driver's compliance
    assert "1 waiting" in text

    scan = client.get(f"{BASE}/{doc.id}/scan/")
    assert scan.status_code == 200 and scan["Content-Type"] == "image/jpeg"
    assert scan["Content-Disposition"].startswith("inline;")
    assert scan["X-Content-Type-Options"] == "nosniff" and "no-store" in scan["Cache-Control"]
    assert "sandbox" in scan["Content-Security-Policy"]
    assert Image.open(io.BytesIO(scan.content)).format == "JPEG"


def test_a_pdf_scans_pages_are_drawn_as_pictures_and_the_pdf_only_downloads(world, client):
    fleets, driver_a, _ = world
    doc = KycDocumentFactory(driver=driver_a, upload=pdf(content=two_page_pdf()))
    _manager(client, fleets)

    html = client.get(f"{BASE}/{doc.id}/review/").content.decode()
    assert f'<img src="{BASE}/{doc.id}/scan/page/1/"' in html
    assert f'<img src="{BASE}/{doc.id}/scan/page/2/"' in html
    assert f"{BASE}/{doc.id}/scan/page/3/" not in html

    first, second = (client.get(f"{BASE}/{doc.id}/scan/page/{n}/") for n in (1, 2))
    assert first["Content-Type"] == second["Content-Type"] == "image/png"
    assert first["X-Content-Type-Options"] == "nosniff"
    assert Image.open(io.BytesIO(first.content)).size == (1000, 1416)  # portrait A4, 1000 px across
    assert Image.open(io.BytesIO(second.content)).size == (1000, 707)  # the landscape page
    assert client.get(f"{BASE}/{doc.id}/scan/page/3/").status_code == 404

    original = client.get(f"{BASE}/{doc.id}/scan/")
    assert original["Content-Type"] == "application/pdf"
    assert original["Content-Disposition"].startswith("attachment;")
    assert original.content == two_page_pdf() or original.content.startswith(b"%PDF-")


def test_a_stored_file_that_is_not_what_was_recorded_is_never_served_or_drawn(world, client):
    fleets, driver_a, _ = world
    doc = KycDocumentFactory(driver=driver_a)
    KycDocument.objects.filter(id=doc.id).update(content_type="image/png")  # the row says PNG, the bytes are a PDF
    _manager(client, fleets)

    assert client.get(f"{BASE}/{doc.id}/scan/").status_code == 415
    page = client.get(f"{BASE}/{doc.id}/review/")
    assert page.status_code == 200
    assert "not what it was recorded as" in visible_text(page)
    assert "/scan/page/" not in page.content.decode()


def test_another_fleets_manager_and_anonymous_users_get_no_scan(world, client):
    fleets, _, driver_b = world
    doc_b = KycDocumentFactory(driver=driver_b, upload=SimpleUploadedFile("id.jpg", JPEG, "image/jpeg"))
    pdf_b = KycDocumentFactory(driver=driver_b, doc_type=KycDocumentType.IDENTITY_DOCUMENT)

    for path in (f"{doc_b.id}/scan/", f"{pdf_b.id}/scan/page/1/", f"{doc_b.id}/review/", "not-a-uuid/scan/"):
        anonymous = client.get(f"{BASE}/{path}")
        assert anonymous.status_code == 302 and anonymous["Location"].startswith("/admin/login/")
    _manager(client, fleets, "a")
    for path in (f"{doc_b.id}/scan/", f"{pdf_b.id}/scan/page/1/", f"{doc_b.id}/review/", "not-a-uuid/scan/"):
        assert client.get(f"{BASE}/{path}").status_code == 404
    refused = client.post(f"{BASE}/{doc_b.id}/review/", {"decision": "approve"})
    assert refused.status_code == 404
    doc_b.refresh_from_db()
    assert doc_b.status == "submitted"
    _manager(client, fleets, "b")
    assert client.get(f"{BASE}/{doc_b.id}/scan/").status_code == 200


def test_approving_from_the_page_goes_through_the_service_and_moves_to_the_next(world, client, captured_events):
    fleets, driver_a, _ = world
    docs = [KycDocumentFactory(driver=driver_a, doc_type=t) for t in KycDocumentType]
    for n, doc in enumerate(docs):
        _at(doc, dt.datetime(2026, 12, 1, 8, n, tzinfo=dt.UTC))
    manager = fleets.a.users["fleet_manager"]
    _manager(client, fleets)

    with captured_events() as published:
        for n, doc in enumerate(docs):
            answer = client.post(f"{BASE}/{doc.id}/review/", {"decision": "approve"})
            assert answer.status_code == 302
            following = f"{BASE}/{docs[n + 1].id}/review/" if n + 1 < len(docs) else f"{BASE}/?status__exact=submitted"
            assert answer["Location"] == following

    for doc in docs:
        doc.refresh_from_db()
        assert (doc.status, doc.reviewed_by_id, doc.rejection_reason) == ("approved", manager.id, "")
        assert doc.reviewed_at is not None
    driver_a.refresh_from_db()
    assert driver_a.compliance_status == "compliant"
    changed = [e for e in published if isinstance(e, ComplianceChangedV1)]
    assert [(e.driver_id, e.old_status, e.new_status) for e in changed] == [(driver_a.id, "pending", "compliant")]


def test_rejecting_records_the_chosen_reason_and_the_note(world, client):
    fleets, driver_a, _ = world
    doc = KycDocumentFactory(driver=driver_a)
    other = KycDocumentFactory(driver=driver_a, doc_type=KycDocumentType.IDENTITY_DOCUMENT)
    _manager(client, fleets)

    answer = client.post(
        f"{BASE}/{doc.id}/review/", {"decision": "reject", "reason": "unreadable", "note": "the corner is cut off"}
    )
    assert answer.status_code == 302 and answer["Location"] == f"{BASE}/{other.id}/review/"
    doc.refresh_from_db()
    assert doc.status == "rejected"
    assert doc.rejection_reason == "unreadable or incomplete scan: the corner is cut off"
    assert doc.reviewed_by_id == fleets.a.users["fleet_manager"].id
    client.post(f"{BASE}/{other.id}/review/", {"decision": "reject", "reason": "other", "note": "a photocopy"})
    other.refresh_from_db()
    assert (other.status, other.rejection_reason) == ("rejected", "a photocopy")


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"decision": "reject"}, "Say why the document is rejected."),
        ({"decision": "reject", "reason": "other"}, "Write the reason when it is none of the listed ones."),
        ({"decision": "reject", "reason": "because"}, "Select a valid choice."),
        ({"decision": "maybe"}, "Choose approve or reject."),
        ({}, "Choose approve or reject."),
        ({"decision": "approve", "note": "x" * 201}, "at most 200 characters"),
    ],
)
def test_a_bad_decision_is_a_form_error_and_changes_nothing(world, client, data, error):
    fleets, driver_a, _ = world
    doc = KycDocumentFactory(driver=driver_a)
    _manager(client, fleets)

    answer = client.post(f"{BASE}/{doc.id}/review/", data)
    assert answer.status_code == 400
    assert error in answer.content.decode()
    doc.refresh_from_db()
    assert (doc.status, doc.reviewed_at) == ("submitted", None)


def test_a_document_already_reviewed_says_so_instead_of_failing(world, client):
    fleets, driver_a, _ = world
    doc = KycDocumentFactory(driver=driver_a, approved=True)
    _manager(client, fleets)

    page = client.get(f"{BASE}/{doc.id}/review/")
    assert page.status_code == 200 and 'name="decision"' not in page.content.decode()  # nothing to decide
    answer = client.post(f"{BASE}/{doc.id}/review/", {"decision": "reject", "reason": "invalid"})
    assert answer.status_code == 400
    assert "this document was already approved" in answer.content.decode()
    doc.refresh_from_db()
    assert doc.status == "approved"


def test_the_queue_is_oldest_first_counts_what_waits_and_links_each_row_to_its_review(world, client):
    fleets, driver_a, driver_b = world
    second_driver = DriverProfileFactory(fleet_id=fleets.a.fleet_id, display_name="Cy Park")
    assert driver_b.fleet_id == fleets.b.fleet_id
    newest = _at(KycDocumentFactory(driver=driver_a), dt.datetime(2026, 12, 3, 9, tzinfo=dt.UTC))
    oldest = _at(KycDocumentFactory(driver=second_driver), dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))
    middle = _at(
        KycDocumentFactory(driver=driver_a, doc_type=KycDocumentType.IDENTITY_DOCUMENT),
        dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC),
    )
    reviewed = _at(
        KycDocumentFactory(driver=driver_a, doc_type=KycDocumentType.BACKGROUND_CHECK, approved=True),
        dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC),
    )
    _at(KycDocumentFactory(driver=driver_b), dt.datetime(2026, 11, 30, 9, tzinfo=dt.UTC))  # fleet B's: not ours
    _manager(client, fleets)

    listing = client.get(f"{BASE}/")
    html = listing.content.decode()
    assert "3 waiting" in visible_text(listing)
    assert "Select KYC document to change" in visible_text(listing) or "KYC documents" in visible_text(listing)
    assert "Kyc" not in visible_text(listing)
    assert f'href="{BASE}/{oldest.id}/review/" class="button"' in html or f"{BASE}/{oldest.id}/review/" in html
    rows = [m for m in re.findall(rf'href="{BASE}/([0-9a-f-]+)/review/"', html)]
    ordered = [str(d.id) for d in (reviewed, oldest, middle, newest)]
    assert [r for r in rows if r in ordered][-4:] == ordered  # each row opens its review page, oldest first

    def next_of(doc):
        return re.search(r'class="kyc-next" href="([^"]+)"', client.get(f"{BASE}/{doc.id}/review/").content.decode())

    assert next_of(oldest).group(1) == f"{BASE}/{middle.id}/review/"
    assert next_of(middle).group(1) == f"{BASE}/{newest.id}/review/"
    assert next_of(newest).group(1) == f"{BASE}/{oldest.id}/review/"  # the queue wraps round
    assert next_of(reviewed).group(1) == f"{BASE}/{oldest.id}/review/"  # a reviewed one leads to the oldest waiting
    assert "3 waiting" in visible_text(client.get(f"{BASE}/{newest.id}/review/"))


def test_the_lists_show_names_and_local_times_never_an_id(world, client):
    fleets, driver_a, _ = world
    doc = _at(KycDocumentFactory(driver=driver_a), dt.datetime(2026, 12, 5, 13, 30, tzinfo=dt.UTC))
    KycDocumentFactory(driver=driver_a, doc_type=KycDocumentType.IDENTITY_DOCUMENT, approved=True)
    _manager(client, fleets)

    documents = visible_text(client.get(f"{BASE}/"))
    assert "Ana Lima" in documents and "05.12.2026, 14:30" in documents
    drivers = visible_text(client.get("/admin/partner/driverprofile/"))
    assert "Ana Lima" in drivers and "Alpha Logistics" in drivers
    driver_page = client.get(f"/admin/partner/driverprofile/{driver_a.id}/change/").content.decode()
    assert f'<a href="{BASE}/{doc.id}/review/">Driving licence</a>' in driver_page  # each document opens its review
    for page in (
        f"{BASE}/",
        "/admin/partner/driverprofile/",
        f"/admin/partner/driverprofile/{driver_a.id}/change/",
        f"/admin/partner/drivinglicence/{doc.id}/change/",
    ):
        response = client.get(page)
        assert response.status_code == 200, page
        assert not UUID.search(visible_text(response)), f"{page}: {UUID.search(visible_text(response)).group()}"


def test_a_managers_export_holds_only_their_fleets_rows_by_name(world, client):
    fleets, driver_a, driver_b = world
    KycDocumentFactory(driver=driver_a)
    KycDocumentFactory(driver=driver_b)
    _manager(client, fleets)

    for path, column, ours, theirs in (
        (f"{BASE}/export/?format=csv", "Driver", "Ana Lima", "Ben Okafor"),
        ("/admin/partner/driverprofile/export/?format=csv", "Display name", "Ana Lima", "Ben Okafor"),
    ):
        response = client.get(path)
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
        assert [r[column] for r in rows] == [ours], path
        assert theirs not in str(rows)


def test_the_queue_page_costs_the_same_queries_for_three_rows_as_for_nine(world, client):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fleets, driver_a, _ = world
    _manager(client, fleets)

    def cost():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"{BASE}/").status_code == 200
        return len(queries)

    submitted = [KycDocumentFactory(driver=driver_a, doc_type=t) for t in KycDocumentType]
    cost()  # the manager's principal is cached from here on
    few = cost()
    submitted += [KycDocumentFactory(driver=driver_a, doc_type=t) for t in KycDocumentType for _ in (1, 2)]
    assert len(submitted) == 9 and cost() == few  # names, fleets and clocks are looked up once per page


def test_a_scan_over_the_upload_limit_is_never_read_or_drawn(world, client):
    fleets, driver_a, _ = world
    doc = KycDocumentFactory(driver=driver_a)
    KycDocument.objects.filter(id=doc.id).update(size=10 * 1024 * 1024 + 1)
    _manager(client, fleets)

    assert client.get(f"{BASE}/{doc.id}/scan/").status_code == 413
    assert client.get(f"{BASE}/{doc.id}/scan/page/1/").status_code == 413
    page = client.get(f"{BASE}/{doc.id}/review/")
    assert page.status_code == 200 and "larger than uploads may be" in visible_text(page)


def test_the_queue_exports_as_a_workbook_too(world, client):
    from openpyxl import load_workbook

    fleets, driver_a, driver_b = world
    KycDocumentFactory(driver=driver_a)
    KycDocumentFactory(driver=driver_b)
    _manager(client, fleets)

    response = client.get(f"{BASE}/export/", {"format": "xlsx", "status__exact": "submitted"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Driver", "Type", "Status")
    assert [r[:3] for r in rows[1:]] == [("Ana Lima", "Driving licence", "Submitted")]
