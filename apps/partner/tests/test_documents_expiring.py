"""`documents_expiring`: what partner tells other contexts (dispatch's alerts) about drivers' papers running out."""

import datetime as dt

import pytest
from django.utils import timezone

from apps.partner import api
from apps.partner.contracts import KycDocumentType, KycExpiry
from apps.partner.tests.factories import KycDocumentFactory, make_compliant
from logitrack.testing.queries import CaptureEveryDatabase

pytestmark = pytest.mark.django_db


def test_approved_documents_running_out_by_the_date_one_per_driver_and_type(drivers):
    mine, theirs = drivers
    today = timezone.localdate()
    make_compliant(mine, expires_in_days=5)
    make_compliant(theirs, expires_in_days=400)
    # a renewed identity document supersedes the old one; a submitted (unreviewed) one does not count
    KycDocumentFactory(driver=mine, doc_type=KycDocumentType.IDENTITY_DOCUMENT, expires_in_days=800, approved=True)
    KycDocumentFactory(driver=mine, doc_type=KycDocumentType.BACKGROUND_CHECK, expires_in_days=900)

    with CaptureEveryDatabase() as queries:
        found = api.documents_expiring(driver_ids=[mine.id, theirs.id], on_or_before=today + dt.timedelta(days=7))
    assert len(queries) == 1
    papers = {d.get_real_instance_class().__name__: d.id for d in mine.documents.filter(status="approved")}
    assert found == [
        KycExpiry(
            driver_id=mine.id,
            document_type=KycDocumentType.BACKGROUND_CHECK,
            expires_on=today + dt.timedelta(5),
            document_id=papers["BackgroundCheck"],
        ),
        KycExpiry(
            driver_id=mine.id,
            document_type=KycDocumentType.DRIVING_LICENCE,
            expires_on=today + dt.timedelta(5),
            document_id=papers["DrivingLicence"],
        ),
    ]
    assert api.documents_expiring(driver_ids=[mine.id], on_or_before=today + dt.timedelta(days=4)) == []


def test_every_driver_of_the_fleets_and_the_review_queue(drivers, two_fleets, clock):
    """The manager's overview asks by fleet: papers running out for every driver of the fleets, and the documents
    waiting for review (how many, since when, the oldest with the driver's name), never another fleet's."""
    mine, theirs = drivers
    clock.set(dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC))
    today = timezone.localdate()
    make_compliant(mine, expires_in_days=20)
    make_compliant(theirs, expires_in_days=10)
    clock.set(dt.datetime(2026, 11, 10, 9, 0, tzinfo=dt.UTC))
    first = KycDocumentFactory(driver=mine, doc_type=KycDocumentType.IDENTITY_DOCUMENT, expires_in_days=800)
    clock.set(dt.datetime(2026, 11, 10, 9, 30, tzinfo=dt.UTC))
    second = KycDocumentFactory(driver=mine, doc_type=KycDocumentType.BACKGROUND_CHECK, expires_in_days=800)
    KycDocumentFactory(driver=theirs, doc_type=KycDocumentType.IDENTITY_DOCUMENT)

    expiring = api.kyc_documents_expiring(fleet_ids=[two_fleets.a.fleet_id], on_or_before=today + dt.timedelta(30))
    assert {(e.driver_id, e.document_type, e.expires_on) for e in expiring} == {
        (mine.id, t, today + dt.timedelta(20)) for t in KycDocumentType
    }
    assert all(e.document_id is not None for e in expiring)
    assert api.kyc_documents_expiring(fleet_ids=[two_fleets.a.fleet_id], on_or_before=today + dt.timedelta(19)) == []

    queue = api.kyc_review_queue(fleet_ids=[two_fleets.a.fleet_id], limit=1)
    assert (queue.count, queue.oldest_at) == (2, first.submitted_at)
    (pending,) = queue.oldest
    assert (pending.id, pending.driver_id, pending.driver_name, pending.fleet_id, pending.document_type) == (
        first.id,
        mine.id,
        mine.display_name,
        two_fleets.a.fleet_id,
        KycDocumentType.IDENTITY_DOCUMENT,
    )
    assert [d.id for d in api.kyc_review_queue(fleet_ids=[two_fleets.a.fleet_id]).oldest] == [first.id, second.id]
    both = api.kyc_review_queue(fleet_ids=[two_fleets.a.fleet_id, two_fleets.b.fleet_id])
    assert both.count == 3
    empty = api.kyc_review_queue(fleet_ids=[])
    assert (empty.count, empty.oldest_at, empty.oldest) == (0, None, ())
