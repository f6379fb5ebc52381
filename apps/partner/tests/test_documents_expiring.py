"""`documents_expiring`: what partner tells other contexts (dispatch's alerts) about drivers' papers running out."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from apps.partner import api
from apps.partner.contracts import KycDocumentType, KycExpiry
from apps.partner.tests.factories import KycDocumentFactory, make_compliant

pytestmark = pytest.mark.django_db


def test_approved_documents_running_out_by_the_date_one_per_driver_and_type(drivers):
    mine, theirs = drivers
    today = timezone.localdate()
    make_compliant(mine, expires_in_days=5)
    make_compliant(theirs, expires_in_days=400)
    # a renewed identity document supersedes the old one; a submitted (unreviewed) one does not count
    KycDocumentFactory(driver=mine, doc_type=KycDocumentType.IDENTITY_DOCUMENT, expires_in_days=800, approved=True)
    KycDocumentFactory(driver=mine, doc_type=KycDocumentType.BACKGROUND_CHECK, expires_in_days=900)

    with CaptureQueriesContext(connection) as queries:
        found = api.documents_expiring(driver_ids=[mine.id, theirs.id], on_or_before=today + dt.timedelta(days=7))
    assert len(queries) == 1
    assert found == [
        KycExpiry(
            driver_id=mine.id, document_type=KycDocumentType.BACKGROUND_CHECK, expires_on=today + dt.timedelta(5)
        ),
        KycExpiry(driver_id=mine.id, document_type=KycDocumentType.DRIVING_LICENCE, expires_on=today + dt.timedelta(5)),
    ]
    assert api.documents_expiring(driver_ids=[mine.id], on_or_before=today + dt.timedelta(days=4)) == []
